from typing import Annotated

from fastapi import Depends, Header, Request

from core.database import SessionDep
from partners import service
from partners.models import Partner


def request_partner(
    request: Request,
    session: SessionDep,
    key: Annotated[
        str | None,
        Header(
            alias="X-Partner-Key",
            max_length=200,
            description="a partner's publishable key (`pk_...`): the call is attributed to that partner, "
            "and browsers may send it only from the partner's allowed origins",
        ),
    ] = None,
) -> Partner | None:
    """The partner named by `X-Partner-Key`, or None without the header (401/403 when refused)."""
    if key is None:
        return None
    return service.authorize_partner(
        session=session, key=key, origin=request.headers.get("origin"), host=request.headers.get("host")
    )


RequestPartner = Annotated[Partner | None, Depends(request_partner)]

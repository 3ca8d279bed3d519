from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from core.database import SessionDep
from partners import service
from partners.models import Partner


async def request_partner(
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
    """The partner named by `X-Partner-Key`, or None without the header (401/403 when refused).

    Async so that the common call, without a key, costs no thread switch; with a key the database
    check runs in the threadpool like any sync dependency."""
    if key is None:
        return None
    return await run_in_threadpool(
        service.authorize_partner,
        session=session,
        key=key,
        origin=request.headers.get("origin"),
        host=request.headers.get("host"),
    )


RequestPartner = Annotated[Partner | None, Depends(request_partner)]

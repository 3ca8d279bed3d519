from typing import Annotated

from fastapi import Depends

from core.database import SessionDep
from locations import service
from locations.models import Location


def valid_active_location(session: SessionDep, id_or_slug: str) -> Location:
    return service.get_location(session=session, key=id_or_slug)


ValidLocation = Annotated[Location, Depends(valid_active_location)]

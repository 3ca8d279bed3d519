from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from accounts import service
from accounts.models import StaffRole, StaffUser
from core.database import SessionDep
from core.errors import AuthenticationRequired, PermissionDenied

# auto_error=False: a missing token becomes our problem+json 401, not FastAPI's plain one.
_bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def current_staff_user(session: SessionDep, token: Annotated[str | None, Depends(_bearer)]) -> StaffUser:
    if not token:
        raise AuthenticationRequired()
    return service.staff_user_from_token(session=session, token=token)


def current_admin(user: Annotated[StaffUser, Depends(current_staff_user)]) -> StaffUser:
    if user.role != StaffRole.admin:
        raise PermissionDenied("This needs an admin account.")
    return user


CurrentStaff = Annotated[StaffUser, Depends(current_staff_user)]
CurrentAdmin = Annotated[StaffUser, Depends(current_admin)]

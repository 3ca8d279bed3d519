from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from accounts import service
from accounts.dependencies import CurrentAdmin, CurrentStaff
from accounts.models import AccessToken, StaffUser, StaffUserCreate, StaffUserPublic, StaffUserUpdate
from core.database import RowId, SessionDep
from core.errors import problem_responses

auth_router = APIRouter(prefix="/v1/auth", tags=["staff login"])
admin_router = APIRouter(
    prefix="/v1/admin/staff", tags=["admin: staff accounts"], responses=problem_responses(401, 403, 422)
)


@auth_router.post("/token", response_model=AccessToken, responses=problem_responses(401, 422))
def log_in(session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> AccessToken:
    """Exchange a staff email (as `username`) and password for a bearer token."""
    user = service.authenticate(session=session, email=form.username, password=form.password)
    return service.issue_access_token(user)


@auth_router.get("/me", response_model=StaffUserPublic, responses=problem_responses(401))
def who_am_i(user: CurrentStaff) -> StaffUser:
    """The logged-in staff user."""
    return user


@admin_router.get("", response_model=list[StaffUserPublic])
def list_staff(session: SessionDep, _admin: CurrentAdmin) -> list[StaffUser]:
    """All staff accounts."""
    return service.list_staff_users(session=session)


@admin_router.post("", response_model=StaffUserPublic, status_code=201, responses=problem_responses(409))
def create_staff(session: SessionDep, _admin: CurrentAdmin, data: StaffUserCreate) -> StaffUser:
    """Create an agent or admin account."""
    return service.create_staff_user(session=session, data=data)


@admin_router.patch("/{staff_id}", response_model=StaffUserPublic, responses=problem_responses(404))
def update_staff(
    session: SessionDep, _admin: CurrentAdmin, staff_id: RowId, data: StaffUserUpdate
) -> StaffUser:
    """Change a staff account's name, role or password, or deactivate it."""
    return service.update_staff_user(session=session, staff_id=staff_id, data=data)

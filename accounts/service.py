"""Staff accounts: create, update, authenticate, and issue and read bearer tokens."""

from datetime import timedelta

import jwt
from pwdlib import PasswordHash
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from accounts.exceptions import EmailAlreadyUsed, InvalidCredentials, StaffUserNotFound
from accounts.models import AccessToken, StaffRole, StaffUser, StaffUserCreate, StaffUserUpdate
from core.database import MAX_ROW_ID, utc_now
from core.errors import AuthenticationRequired, ConflictError
from core.settings import get_settings

_password_hash = PasswordHash.recommended()  # argon2id with current parameters
# Verifying against this when the email is unknown keeps login timing the same either way.
_DUMMY_HASH = _password_hash.hash("not-a-real-password")
_TOKEN_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def create_staff_user(*, session: Session, data: StaffUserCreate) -> StaffUser:
    """Create a staff account; its email must be unused."""
    user = StaffUser(
        email=data.email.lower(),
        full_name=data.full_name,
        role=data.role,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise EmailAlreadyUsed(data.email) from None
    session.refresh(user)
    return user


def update_staff_user(*, session: Session, staff_id: int, data: StaffUserUpdate) -> StaffUser:
    user = get_staff_user(session=session, staff_id=staff_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    stays_admin = changes.get("role", user.role) == StaffRole.admin and changes.get("active", user.active)
    if user.role == StaffRole.admin and user.active and not stays_admin and _active_admins(session) <= 1:
        # Nobody could then manage staff, sites or schedules, and only the command line could repair it.
        raise ConflictError("This is the last active admin; make another admin first.", slug="last-admin")
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"))
    for field, value in changes.items():
        setattr(user, field, value)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def _active_admins(session: Session) -> int:
    return len(
        session.exec(select(StaffUser.id).where(StaffUser.role == StaffRole.admin, StaffUser.active)).all()
    )


def get_staff_user(*, session: Session, staff_id: int) -> StaffUser:
    user = session.get(StaffUser, staff_id)
    if user is None:
        raise StaffUserNotFound(staff_id)
    return user


def list_staff_users(*, session: Session) -> list[StaffUser]:
    return list(session.exec(select(StaffUser).order_by(StaffUser.email)))


def authenticate(*, session: Session, email: str, password: str) -> StaffUser:
    """The active staff user with these credentials, or InvalidCredentials."""
    email = email.strip().lower()
    # No stored email holds NUL, and PostgreSQL refuses to compare text with one: no lookup needed.
    user = (
        None if "\x00" in email else session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    )
    verified = _password_hash.verify(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not verified or not user.active:
        raise InvalidCredentials()
    return user


def issue_access_token(user: StaffUser) -> AccessToken:
    settings = get_settings()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {"sub": str(user.id), "role": user.role, "exp": utc_now() + lifetime}
    token = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=_TOKEN_ALGORITHM)
    return AccessToken(access_token=token, expires_in=int(lifetime.total_seconds()))


def staff_user_from_token(*, session: Session, token: str) -> StaffUser:
    """The active staff user a token was issued to; the role is read fresh from the database."""
    try:
        claims = jwt.decode(
            token, get_settings().secret_key.get_secret_value(), algorithms=[_TOKEN_ALGORITHM]
        )
        staff_id = int(claims["sub"])
    except jwt.ExpiredSignatureError:
        raise AuthenticationRequired("Your login has expired; log in again.") from None
    except (jwt.InvalidTokenError, KeyError, ValueError):
        raise AuthenticationRequired("The bearer token is not valid; log in again.") from None
    user = session.get(StaffUser, staff_id) if 1 <= staff_id <= MAX_ROW_ID else None
    if user is None or not user.active:
        raise AuthenticationRequired("This account no longer exists or is inactive.")
    return user

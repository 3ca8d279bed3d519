"""Staff accounts: call-center agents and admins who log in to the console and the admin API."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import Column, String
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from core.database import UTCDateTime, utc_now
from core.schemas import InputModel


class StaffRole(StrEnum):
    agent = "agent"
    admin = "admin"


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"
    id: int | None = SQLField(default=None, primary_key=True)
    email: str = SQLField(max_length=254, unique=True)
    full_name: str = SQLField(max_length=120)
    role: StaffRole = SQLField(sa_column=Column(String(16), nullable=False))
    password_hash: str = SQLField(max_length=255)
    active: bool = True
    created_at: datetime = SQLField(default_factory=utc_now, sa_type=UTCDateTime)


class StaffUserPublic(BaseModel):
    id: int
    email: str
    full_name: str
    role: StaffRole
    active: bool


class StaffUserCreate(InputModel):
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=120)
    role: StaffRole
    password: str = Field(min_length=12, max_length=256, description="at least 12 characters")


class StaffUserUpdate(InputModel):
    full_name: str | None = Field(default=None, min_length=1, max_length=120)
    role: StaffRole | None = None
    password: str | None = Field(default=None, min_length=12, max_length=256)
    active: bool | None = None


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the token expires")

"""Tables and API schemas of the practice network: service lines, services, sites, providers."""

from datetime import datetime, time
from typing import Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, Text
from sqlmodel import Field as SQLField
from sqlmodel import Relationship, SQLModel

from core.database import RowId
from core.schemas import InputModel, WallClockTime

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CODE_PATTERN = r"^[a-z][a-z0-9_]*$"
ZIP_PATTERN = r"^\d{5}(?:-\d{4})?$"


def _cascade_fk(target: str) -> Column:  # type: ignore[type-arg]
    return Column(Integer, ForeignKey(target, ondelete="CASCADE"), primary_key=True)


# --- tables -------------------------------------------------------------------------------------


class LocationService(SQLModel, table=True):
    __tablename__ = "location_service"
    location_id: int = SQLField(sa_column=_cascade_fk("location.id"))
    service_id: int = SQLField(sa_column=_cascade_fk("service.id"))


class ProviderLocation(SQLModel, table=True):
    __tablename__ = "provider_location"
    provider_id: int = SQLField(sa_column=_cascade_fk("provider.id"))
    location_id: int = SQLField(sa_column=_cascade_fk("location.id"))


class ProviderServiceLine(SQLModel, table=True):
    __tablename__ = "provider_service_line"
    provider_id: int = SQLField(sa_column=_cascade_fk("provider.id"))
    service_line_id: int = SQLField(sa_column=_cascade_fk("service_line.id"))


class ServiceLine(SQLModel, table=True):
    __tablename__ = "service_line"
    id: int | None = SQLField(default=None, primary_key=True)
    code: str = SQLField(max_length=40, unique=True)
    name: str = SQLField(max_length=120)
    description: str = SQLField(default="", sa_type=Text)
    active: bool = True

    services: list["Service"] = Relationship(back_populates="service_line")


class Service(SQLModel, table=True):
    """A visit type. Procedures are staff-only: the seeds book them only after a consultation."""

    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("slot_step_minutes > 0", name="step_positive"),
        CheckConstraint("buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name="buffers"),
    )
    id: int | None = SQLField(default=None, primary_key=True)
    code: str = SQLField(max_length=60, unique=True)
    name: str = SQLField(max_length=120)
    description: str = SQLField(default="", sa_type=Text)
    service_line_id: int = SQLField(foreign_key="service_line.id", index=True)
    duration_minutes: int
    bookable_online: bool = False
    slot_step_minutes: int = 15
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    active: bool = True

    service_line: ServiceLine = Relationship(back_populates="services")


class Location(SQLModel, table=True):
    __tablename__ = "location"
    # Nearest-site search narrows candidates with a bounding box on these two columns.
    __table_args__ = (Index("ix_location_latitude_longitude", "latitude", "longitude"),)
    id: int | None = SQLField(default=None, primary_key=True)
    slug: str = SQLField(max_length=80, unique=True)
    name: str = SQLField(max_length=160)
    address_line1: str = SQLField(max_length=160)
    address_line2: str = SQLField(default="", max_length=160)
    city: str = SQLField(max_length=80)
    state: str = SQLField(max_length=2)
    postal_code: str = SQLField(max_length=10)
    phone: str = SQLField(max_length=32)
    latitude: float
    longitude: float
    timezone: str = SQLField(max_length=64)
    active: bool = True

    opening_hours: list["LocationOpeningHours"] = Relationship(
        back_populates="location",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "LocationOpeningHours.id"},
    )
    services: list[Service] = Relationship(link_model=LocationService)
    providers: list["Provider"] = Relationship(back_populates="locations", link_model=ProviderLocation)


class LocationOpeningHours(SQLModel, table=True):
    """One open interval of a weekday in the site's own wall-clock time; several make a split day."""

    __tablename__ = "location_opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
    )
    id: int | None = SQLField(default=None, primary_key=True)
    location_id: int = SQLField(
        sa_column=Column(Integer, ForeignKey("location.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    weekday: int = SQLField(description="0 = Monday ... 6 = Sunday")
    opens_at: time
    closes_at: time

    location: Location = Relationship(back_populates="opening_hours")


class CatalogueRevision(SQLModel, table=True):
    """One row (id 1) whose revision database triggers bump on every write to the locator's catalogue.

    The locator's in-memory snapshot (locations/snapshot.py) is served only while its revision is
    the database's; the triggers, and the tables they watch (sites, their services and hours,
    services, lines; not bookings), are in the catalogue_revision migration.
    """

    __tablename__ = "catalogue_revision"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
    id: int = SQLField(primary_key=True, sa_column_kwargs={"autoincrement": False})
    revision: int = SQLField(sa_type=BigInteger)  # +1 per statement (PostgreSQL), per row (SQLite)
    # Random on every bump: a rolled-back transaction's revision number is taken by the next writer.
    stamp: int = SQLField(sa_type=BigInteger)


class Provider(SQLModel, table=True):
    __tablename__ = "provider"
    id: int | None = SQLField(default=None, primary_key=True)
    display_name: str = SQLField(max_length=120)
    credentials: str = SQLField(default="", max_length=60)
    active: bool = True

    service_lines: list[ServiceLine] = Relationship(link_model=ProviderServiceLine)
    locations: list[Location] = Relationship(back_populates="providers", link_model=ProviderLocation)


# --- API schemas --------------------------------------------------------------------------------


class ServiceLinePublic(BaseModel):
    code: str
    name: str
    description: str


class ServiceLineAdmin(ServiceLinePublic):
    active: bool


class ServiceLineCreate(InputModel):
    code: str = Field(pattern=CODE_PATTERN, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    description: str = ""


class ServiceLineUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = None
    active: bool | None = None


class ServicePublic(BaseModel):
    code: str
    name: str
    description: str
    service_line: str
    duration_minutes: int
    bookable_online: bool


class ServiceAdmin(ServicePublic):
    slot_step_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    active: bool


class ServiceCreate(InputModel):
    code: str = Field(pattern=CODE_PATTERN, max_length=60)
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    service_line: str
    duration_minutes: int = Field(ge=5, le=480)
    bookable_online: bool = False
    slot_step_minutes: int = Field(default=15, ge=5, le=240)
    buffer_before_minutes: int = Field(default=0, ge=0, le=120)
    buffer_after_minutes: int = Field(default=0, ge=0, le=120)


class ServiceUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = None
    service_line: str | None = None
    duration_minutes: int | None = Field(default=None, ge=5, le=480)
    bookable_online: bool | None = None
    slot_step_minutes: int | None = Field(default=None, ge=5, le=240)
    buffer_before_minutes: int | None = Field(default=None, ge=0, le=120)
    buffer_after_minutes: int | None = Field(default=None, ge=0, le=120)
    active: bool | None = None


class Address(BaseModel):
    line1: str = Field(min_length=1, max_length=160)
    line2: str = Field(default="", max_length=160)
    city: str = Field(min_length=1, max_length=80)
    state: str = Field(pattern=r"^[A-Z]{2}$", description="two-letter US state code")
    postal_code: str = Field(pattern=ZIP_PATTERN)


class AddressInput(Address, InputModel):
    pass


class OpeningHours(BaseModel):
    weekday: Weekday
    opens: WallClockTime = Field(description="local wall-clock time, HH:MM")
    closes: WallClockTime

    @field_validator("closes")
    @classmethod
    def _closes_after_opens(cls, closes: time, info: ValidationInfo) -> time:
        # On `closes`, not the whole interval, so the error names a field the admin can correct.
        opens = info.data.get("opens")
        if opens is not None and closes <= opens:
            raise ValueError(f"must be later than opens ({opens.strftime('%H:%M')})")
        return closes


class OpeningHoursInput(OpeningHours, InputModel):
    pass


def _check_timezone(value: str | None) -> str | None:
    if value is not None and value not in _known_timezones():
        raise ValueError(f"'{value}' is not an IANA time zone such as America/Los_Angeles")
    return value


_TIMEZONES: set[str] = set()


def _known_timezones() -> set[str]:
    if not _TIMEZONES:
        _TIMEZONES.update(available_timezones())
    return _TIMEZONES


def _check_slug(value: str | None) -> str | None:
    if value is not None and value.isdigit():
        raise ValueError("a slug needs at least one letter, so it cannot be mistaken for an id")
    return value


class LocationPublic(BaseModel):
    id: int
    slug: str
    name: str
    address: Address
    phone: str
    timezone: str
    latitude: float
    longitude: float
    services: list[str]
    service_lines: list[str]
    opening_hours: list[OpeningHours]


class LocationAdmin(LocationPublic):
    active: bool


class LocationCreate(InputModel):
    slug: str = Field(pattern=SLUG_PATTERN, max_length=80)
    name: str = Field(min_length=1, max_length=160)
    address: AddressInput
    phone: str = Field(pattern=r"^[0-9+()\-. ]{7,32}$")
    timezone: str = "America/Los_Angeles"
    latitude: float | None = Field(
        default=None, ge=-90, le=90, description="with longitude; without both, the ZIP code's centroid"
    )
    longitude: float | None = Field(default=None, ge=-180, le=180)
    opening_hours: list[OpeningHoursInput] = []
    services: list[str] = Field(default=[], description="service codes offered here")
    active: bool = True

    _slug = field_validator("slug")(_check_slug)
    _tz = field_validator("timezone")(_check_timezone)


class LocationUpdate(InputModel):
    slug: str | None = Field(default=None, pattern=SLUG_PATTERN, max_length=80)
    name: str | None = Field(default=None, min_length=1, max_length=160)
    address: AddressInput | None = None
    phone: str | None = Field(default=None, pattern=r"^[0-9+()\-. ]{7,32}$")
    timezone: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90, description="only with longitude")
    longitude: float | None = Field(default=None, ge=-180, le=180)
    opening_hours: list[OpeningHoursInput] | None = None
    services: list[str] | None = None
    active: bool | None = None

    _slug = field_validator("slug")(_check_slug)
    _tz = field_validator("timezone")(_check_timezone)


class LocationMatch(BaseModel):
    location: LocationPublic
    distance_miles: float | None
    next_available: datetime | None = Field(
        default=None, description="with `service`: the site's first free start for it, in its zone"
    )


class LocationSearchResults(BaseModel):
    results: list[LocationMatch]


class ProviderPublic(BaseModel):
    id: int
    display_name: str
    credentials: str
    service_lines: list[str]
    location_ids: list[int]


class ProviderAdmin(ProviderPublic):
    active: bool


class ProviderCreate(InputModel):
    display_name: str = Field(min_length=1, max_length=120)
    credentials: str = Field(default="", max_length=60)
    service_lines: list[str] = Field(min_length=1)
    location_ids: list[RowId] = []


class ProviderUpdate(InputModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=120)
    credentials: str | None = Field(default=None, max_length=60)
    service_lines: list[str] | None = Field(default=None, min_length=1)
    location_ids: list[RowId] | None = None
    active: bool | None = None


def weekday_code(index: int) -> str:
    return WEEKDAYS[index]


def weekday_index(code: str) -> int:
    return WEEKDAYS.index(code)

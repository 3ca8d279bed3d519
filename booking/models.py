"""Booking tables: provider schedules, closures, patients, appointments (and holds), audit, idempotency.

A hold is an `appointment` row in status `held` with an expiry: holds and appointments live in one
table so that one database rule can forbid any overlap between them. On PostgreSQL that rule is an
exclusion constraint (see the booking migration) over the provider and the half-open range
[blocked_from, blocked_until) of rows in a blocking status; on SQLite the same check runs inside a
`BEGIN IMMEDIATE` transaction (booking/service.py).
"""

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from core.database import UTCDateTime, utc_now


class AppointmentStatus(StrEnum):
    held = "held"
    booked = "booked"
    cancelled = "cancelled"
    fulfilled = "fulfilled"
    noshow = "noshow"
    expired = "expired"  # a hold that ran out or was released; never shown as an appointment


# Rows in these statuses occupy the provider's time (a `held` row only until it expires).
BLOCKING_STATUSES = (
    AppointmentStatus.held,
    AppointmentStatus.booked,
    AppointmentStatus.fulfilled,
    AppointmentStatus.noshow,
)
APPOINTMENT_STATUSES = (
    AppointmentStatus.booked,
    AppointmentStatus.cancelled,
    AppointmentStatus.fulfilled,
    AppointmentStatus.noshow,
)


class Channel(StrEnum):
    online = "online"
    phone = "phone"
    partner = "partner"


class ExceptionKind(StrEnum):
    time_off = "time_off"
    extra_hours = "extra_hours"


def _fk(target: str, *, nullable: bool = False, ondelete: str | None = None, index: bool = True) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


class ProviderWorkingHours(SQLModel, table=True):
    """One weekly working interval of a provider at a site, in the site's wall-clock time."""

    __tablename__ = "provider_working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
    )
    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = _fk("provider.id", ondelete="CASCADE")
    location_id: int = _fk("location.id", ondelete="CASCADE")
    weekday: int
    starts_at: time
    ends_at: time


class ScheduleException(SQLModel, table=True):
    """A dated change to a provider's week: time off (all day or part) or extra hours at a site."""

    __tablename__ = "schedule_exception"
    __table_args__ = (
        CheckConstraint("kind IN ('time_off', 'extra_hours')", name="kind"),
        CheckConstraint("(starts_at IS NULL AND ends_at IS NULL) OR (starts_at < ends_at)", name="interval"),
    )
    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = _fk("provider.id", ondelete="CASCADE")
    location_id: int | None = _fk("location.id", nullable=True, ondelete="CASCADE")  # None: every site
    on_date: date = Field(index=True)
    kind: str = Field(max_length=16)
    starts_at: time | None = None  # None with ends_at None: the whole day
    ends_at: time | None = None
    note: str = Field(default="", max_length=200)


class SiteClosure(SQLModel, table=True):
    """A whole local day a site (or, with no location, every site) is closed: holidays."""

    __tablename__ = "site_closure"
    __table_args__ = (UniqueConstraint("location_id", "on_date", name="uq_site_closure_location_date"),)
    id: int | None = Field(default=None, primary_key=True)
    location_id: int | None = _fk("location.id", nullable=True, ondelete="CASCADE")
    on_date: date = Field(index=True)
    reason: str = Field(default="", max_length=200)


class CalendarRevision(SQLModel, table=True):
    """One row (id 1) whose revision database triggers bump on every change that can move free slots.

    The availability cache (booking/slot_cache.py) keys computed slots by it; the triggers, and the
    list of tables they watch, are in the calendar_revision migration. A row in the writer's own
    transaction rather than a sequence: a reader never sees a revision before the data behind it.
    """

    __tablename__ = "calendar_revision"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    revision: int = Field(sa_type=BigInteger)  # +1 per change: per statement (PostgreSQL), per row (SQLite)
    # Random on every bump: a revision number repeats when the transaction that took it rolls back,
    # and slots computed inside that transaction must never match the next writer's same number.
    stamp: int = Field(sa_type=BigInteger)


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (Index("ix_patient_family_given", "family_name_key", "given_name_key"),)
    id: int | None = Field(default=None, primary_key=True)
    given_name: str = Field(max_length=80)
    family_name: str = Field(max_length=80)
    # Lower-cased copies make name search index-friendly on both databases.
    given_name_key: str = Field(max_length=80)
    family_name_key: str = Field(max_length=80)
    birth_date: date = Field(index=True)
    phone: str = Field(max_length=32)
    phone_digits: str = Field(max_length=20, index=True)
    email: str = Field(max_length=254)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Appointment(SQLModel, table=True):
    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint(
            "blocked_from <= starts_at AND ends_at <= blocked_until", name="blocked_covers_visit"
        ),
        CheckConstraint(
            "status IN ('held', 'booked', 'cancelled', 'fulfilled', 'noshow', 'expired')", name="status"
        ),
        CheckConstraint("channel IN ('online', 'phone', 'partner')", name="channel"),
        Index("ix_appointment_provider_blocked", "provider_id", "blocked_from"),
        Index("ix_appointment_location_starts", "location_id", "starts_at"),
    )
    id: str = Field(primary_key=True, max_length=32)
    status: str = Field(max_length=16)
    provider_id: int = _fk("provider.id", index=False)
    location_id: int = _fk("location.id", index=False)
    service_id: int = _fk("service.id", index=False)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    blocked_from: datetime = Field(sa_type=UTCDateTime)  # starts_at minus the service's buffer before
    blocked_until: datetime = Field(sa_type=UTCDateTime)  # ends_at plus the buffer after
    hold_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    patient_id: int | None = _fk("patient.id", nullable=True)
    confirmation_code: str | None = Field(default=None, max_length=8, unique=True)
    manage_token_hash: str | None = Field(default=None, max_length=64)
    channel: str = Field(max_length=16)
    triage_assessment_id: str | None = Field(
        default=None, sa_column=Column(String(36), ForeignKey("triage_assessment.id"), nullable=True)
    )
    reason: str = Field(default="", sa_type=Text)
    created_by_staff_id: int | None = _fk("staff_user.id", nullable=True, index=False)
    partner_id: int | None = _fk("partner.id", nullable=True)  # booked through this partner's key
    revision: int = 0  # the calendar file's SEQUENCE: bumped on every change a patient should see
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Who did what to an appointment, when, and through which channel."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    appointment_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("appointment.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    occurred_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    action: str = Field(max_length=40)
    channel: str = Field(max_length=16)
    actor: str = Field(max_length=120, description="'patient', 'staff:<id> <email>', 'partner:<id>'")
    staff_user_id: int | None = _fk("staff_user.id", nullable=True, index=False)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class IdempotencyRecord(SQLModel, table=True):
    """A request made with an Idempotency-Key: claimed while running, then its response for replay."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_record_scope_key"),)
    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=120)
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    completed: bool = False
    response_status: int | None = None
    # Encrypted with a key derived from SECRET_KEY: a booking response holds the manage token,
    # which must never sit in the database in the clear.
    response_body: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)

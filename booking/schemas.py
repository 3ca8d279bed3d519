"""Request and response models of the booking API. Clients never write ids, status or channel."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, EmailStr, Field, model_validator

from booking.models import ExceptionKind
from core.schemas import InputModel, WallClockTime
from locations.models import Weekday

# --- schedules (admin) --------------------------------------------------------------------------


class WorkingHours(BaseModel):
    location_id: int
    weekday: Weekday
    starts: WallClockTime = Field(description="local wall-clock time at the site, HH:MM")
    ends: WallClockTime

    @model_validator(mode="after")
    def _starts_before_ends(self) -> "WorkingHours":
        if self.starts >= self.ends:
            raise ValueError("starts must be earlier than ends")
        return self


class WorkingHoursInput(WorkingHours, InputModel):
    pass


class WeeklyScheduleInput(InputModel):
    hours: list[WorkingHoursInput] = Field(
        description="every weekly interval (several a day make breaks); replaces the old ones"
    )


class WeeklySchedule(BaseModel):
    provider_id: int
    hours: list[WorkingHours]


class ScheduleExceptionInput(InputModel):
    on_date: date
    kind: ExceptionKind
    location_id: int | None = Field(default=None, description="required for extra hours; none = every site")
    starts: time | None = Field(default=None, description="with `ends`; both absent = the whole day")
    ends: time | None = None
    note: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> "ScheduleExceptionInput":
        if (self.starts is None) != (self.ends is None):
            raise ValueError("give both starts and ends, or neither for the whole day")
        if self.starts is not None and self.ends is not None and self.starts >= self.ends:
            raise ValueError("starts must be earlier than ends")
        if self.kind == ExceptionKind.extra_hours and (self.location_id is None or self.starts is None):
            raise ValueError("extra hours need a location_id, starts and ends")
        return self


class ScheduleExceptionPublic(BaseModel):
    id: int
    provider_id: int
    location_id: int | None
    on_date: date
    kind: ExceptionKind
    starts: time | None
    ends: time | None
    note: str


class SiteClosureInput(InputModel):
    on_date: date
    location_id: int | None = Field(default=None, description="none closes every site")
    reason: str = Field(default="", max_length=200)


class SiteClosurePublic(BaseModel):
    id: int
    location_id: int | None
    on_date: date
    reason: str


# --- availability -------------------------------------------------------------------------------


class Slot(BaseModel):
    start: datetime = Field(description="in the site's time zone, with its UTC offset")
    end: datetime
    service: str
    location_id: int
    provider_id: int
    distance_miles: float | None = None


class SlotList(BaseModel):
    slots: list[Slot]


# --- holds and appointments ---------------------------------------------------------------------


class SlotChoice(InputModel):
    service: str = Field(min_length=1, max_length=60, description="service code")
    location_id: int
    provider_id: int
    start: AwareDatetime = Field(description="a free slot's start, ISO 8601 with offset")


class HoldCreate(SlotChoice):
    pass


class HoldPublic(BaseModel):
    id: str
    expires_at: datetime
    start: datetime
    end: datetime
    service: str
    location_id: int
    provider_id: int


class PatientInput(InputModel):
    given_name: str = Field(min_length=1, max_length=80)
    family_name: str = Field(min_length=1, max_length=80)
    birth_date: date
    phone: str = Field(pattern=r"^\+?[0-9 ()\-.]{7,32}$", description="a reachable phone number")
    email: EmailStr

    @model_validator(mode="after")
    def _plausible_birth_date(self) -> "PatientInput":
        # A day of slack: "today" differs by zone and the patient's may already be tomorrow.
        if not date(1900, 1, 1) <= self.birth_date <= (datetime.now(UTC) + timedelta(days=1)).date():
            raise ValueError("birth_date must be between 1900-01-01 and today")
        return self


class AppointmentCreate(InputModel):
    """Either `hold_id`, or `service`, `location_id`, `provider_id` and `start`."""

    hold_id: str | None = Field(default=None, max_length=32)
    service: str | None = Field(default=None, min_length=1, max_length=60)
    location_id: int | None = None
    provider_id: int | None = None
    start: AwareDatetime | None = None
    patient: PatientInput
    triage_id: str | None = Field(default=None, max_length=36)
    reason: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _hold_or_slot(self) -> "AppointmentCreate":
        slot_fields = (self.service, self.location_id, self.provider_id, self.start)
        if self.hold_id is not None and any(v is not None for v in slot_fields):
            raise ValueError("give either hold_id or service, location_id, provider_id and start, not both")
        if self.hold_id is None and any(v is None for v in slot_fields):
            raise ValueError("give hold_id, or all of service, location_id, provider_id and start")
        return self


class RescheduleRequest(InputModel):
    start: AwareDatetime
    provider_id: int | None = None
    location_id: int | None = None


class AppointmentPublic(BaseModel):
    id: str
    confirmation_code: str
    status: Literal["booked", "cancelled", "fulfilled", "noshow"]
    start: datetime
    end: datetime
    timezone: str
    service: str
    service_name: str
    location_id: int
    location_name: str
    provider_id: int
    provider_name: str
    channel: str


class AppointmentCreated(AppointmentPublic):
    manage_token: str = Field(description="shown once: with the confirmation code it lets the patient manage")


class PatientPublic(BaseModel):
    id: int
    given_name: str
    family_name: str
    birth_date: date
    phone: str
    email: str


class AppointmentStaffView(AppointmentPublic):
    patient: PatientPublic | None
    reason: str
    triage_id: str | None
    created_by_staff_id: int | None
    created_at: datetime
    updated_at: datetime


class StaffAppointmentCreate(AppointmentCreate):
    patient_id: int | None = Field(default=None, description="an existing patient instead of `patient`")
    patient: PatientInput | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _patient_given(self) -> "StaffAppointmentCreate":
        if (self.patient is None) == (self.patient_id is None):
            raise ValueError("give either patient_id or patient")
        return self


class StatusChange(InputModel):
    status: Literal["fulfilled", "noshow"]


class AuditEventPublic(BaseModel):
    occurred_at: datetime
    action: str
    channel: str
    actor: str
    changes: dict[str, object]


class DaySheetEntry(BaseModel):
    provider_id: int
    provider_name: str
    appointments: list[AppointmentStaffView]


class DaySheet(BaseModel):
    location_id: int
    date: date
    timezone: str
    providers: list[DaySheetEntry]

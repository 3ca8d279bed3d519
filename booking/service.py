"""Holds and appointments: hold a slot, book it, look it up, cancel it, move it, mark its outcome.

Every write is one transaction that (on SQLite) takes the write lock first, re-checks that the
provider's time is free and then writes; on PostgreSQL the exclusion constraint on `appointment`
makes the same guarantee under any concurrency, and a violation becomes the same 409.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from accounts.models import StaffUser
from booking import availability, codes
from booking.exceptions import (
    AppointmentNotChangeable,
    AppointmentNotFound,
    HoldExpired,
    HoldNotFound,
    SlotUnavailable,
)
from booking.idempotency import Outcome, request_fingerprint, run_idempotently
from booking.models import (
    BLOCKING_STATUSES,
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Channel,
    Patient,
)
from booking.schemas import (
    AppointmentCreate,
    AppointmentCreated,
    AppointmentPublic,
    HoldCreate,
    HoldPublic,
    PatientInput,
    RescheduleRequest,
    SlotChoice,
)
from booking.triage.models import TriageAssessment
from core.database import utc_now
from core.errors import InvalidInputError
from core.settings import get_settings
from locations.models import (
    Location,
    LocationService,
    Provider,
    ProviderLocation,
    ProviderServiceLine,
    Service,
)
from partners import service as partners_service
from partners import webhooks as partner_webhooks
from partners.models import Partner


@dataclass(frozen=True)
class Actor:
    """Who is acting, through which front door: recorded on every change."""

    channel: Channel
    staff_user: StaffUser | None = None
    partner: Partner | None = None  # a public call made with this partner's publishable key

    @classmethod
    def for_partner(cls, partner: Partner) -> "Actor":
        return cls(channel=Channel.partner, partner=partner)

    @property
    def is_staff(self) -> bool:
        return self.staff_user is not None

    @property
    def partner_id(self) -> int | None:
        return self.partner.id if self.partner else None

    @property
    def idempotency_scope(self) -> str:
        if self.staff_user:
            return f"staff:{self.staff_user.id}"
        return f"partner:{self.partner.id}" if self.partner else f"public:{self.channel}"

    @property
    def label(self) -> str:
        if self.staff_user:
            return f"staff:{self.staff_user.id} {self.staff_user.email}"
        return f"partner:{self.partner.id} {self.partner.name}" if self.partner else "patient"


@dataclass(frozen=True)
class ResolvedSlot:
    service: Service
    location: Location
    provider: Provider
    starts_at: datetime
    ends_at: datetime
    blocked_from: datetime
    blocked_until: datetime


PATIENT = Actor(channel=Channel.online)


@contextmanager
def write_transaction(session: Session) -> Iterator[None]:
    """One unit of work: committed if the block succeeds, rolled back (nothing changed) if it raises."""
    begin_write(session)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def begin_write(session: Session) -> None:
    """Start the write transaction; on SQLite take the database write lock up front (BEGIN IMMEDIATE),
    so two requests can never both see a slot free and both insert."""
    if session.in_transaction():
        session.commit()  # end any read-only transaction opened by lookups before this write
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


# --- holds --------------------------------------------------------------------------------------


def create_hold(
    *, session: Session, data: HoldCreate, actor: Actor, idempotency_key: str | None = None
) -> Outcome:
    """Reserve a free slot for HOLD_TTL_SECONDS while the patient fills in the form."""

    def hold() -> Outcome:
        now = utc_now()
        slot = _requested_slot(session, data, actor, now=now)
        row = Appointment(
            id=uuid.uuid4().hex,
            status=AppointmentStatus.held,
            hold_expires_at=now + timedelta(seconds=get_settings().hold_ttl_seconds),
            channel=actor.channel,
            created_by_staff_id=actor.staff_user.id if actor.staff_user else None,
            partner_id=actor.partner_id,
            **_slot_columns(slot),
        )
        _claim_time(session, row, now=now)
        return Outcome(201, present_hold(row, slot.service, slot.location).model_dump(mode="json"))

    return run_idempotently(
        session,
        scope=actor.idempotency_scope,
        key=idempotency_key,
        fingerprint=request_fingerprint("create_hold", data.model_dump(mode="json")),
        operation=hold,
        begin_write=lambda: begin_write(session),
    )


def get_hold(*, session: Session, hold_id: str) -> HoldPublic:
    """A live hold."""
    row = session.get(Appointment, hold_id)
    if row is None or row.status != AppointmentStatus.held or _expired(row, utc_now()):
        raise HoldNotFound()
    return present_hold(row, session.get(Service, row.service_id), session.get(Location, row.location_id))


def release_hold(*, session: Session, hold_id: str) -> None:
    """Free a held slot at once (the patient changed their mind)."""
    with write_transaction(session):
        row = session.get(Appointment, hold_id)
        if row is None or row.status != AppointmentStatus.held:
            raise HoldNotFound()
        row.status = AppointmentStatus.expired
        row.updated_at = utc_now()
        session.add(row)


def present_hold(row: Appointment, service: Service | None, location: Location | None) -> HoldPublic:
    assert service is not None and location is not None and row.hold_expires_at is not None
    zone = _zone(location)
    return HoldPublic(
        id=row.id,
        expires_at=row.hold_expires_at,
        start=row.starts_at.astimezone(zone),
        end=row.ends_at.astimezone(zone),
        service=service.code,
        location_id=row.location_id,
        provider_id=row.provider_id,
    )


# --- booking ------------------------------------------------------------------------------------


def book_appointment(
    *,
    session: Session,
    data: AppointmentCreate,
    actor: Actor,
    patient_id: int | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    """Book a held slot (`hold_id`) or a free slot directly; 201 with the code and manage token."""

    def book() -> Outcome:
        now = utc_now()
        if data.hold_id is not None:
            row = _convert_hold(session, data.hold_id, now=now)
            held_service = session.get(Service, row.service_id)
            assert held_service is not None
            partners_service.check_service_allowed(
                session=session, partner=actor.partner, service=held_service
            )
        else:
            slot = _requested_slot(session, data, actor, now=now)
            row = Appointment(id=uuid.uuid4().hex, status=AppointmentStatus.held, **_slot_columns(slot))
        _check_triage(session, data.triage_id)
        patient = (
            _existing_patient(session, patient_id)
            if patient_id is not None
            else _find_or_create_patient(session, data.patient)  # type: ignore[arg-type]
        )
        confirmation_code = _unused_confirmation_code(session)
        token = codes.new_manage_token()
        with session.no_autoflush:  # nothing reaches the database before _claim_time checks it
            row.status = AppointmentStatus.booked
            row.hold_expires_at = None
            row.patient_id = patient.id
            row.confirmation_code = confirmation_code
            row.manage_token_hash = codes.hash_manage_token(token)
            row.channel = actor.channel
            row.triage_assessment_id = data.triage_id
            row.reason = data.reason
            row.created_by_staff_id = actor.staff_user.id if actor.staff_user else row.created_by_staff_id
            row.partner_id = actor.partner_id
            row.updated_at = now
        _claim_time(session, row, now=now)
        _audit(session, row, "appointment.booked", actor, {"start": row.starts_at.isoformat()})
        partner_webhooks.enqueue_appointment_event(session, row, "appointment.booked")
        created = AppointmentCreated(**present_appointment(session, row).model_dump(), manage_token=token)
        return Outcome(201, created.model_dump(mode="json"))

    payload = data.model_dump(mode="json") | {"patient_id": patient_id}
    return run_idempotently(
        session,
        scope=actor.idempotency_scope,
        key=idempotency_key,
        fingerprint=request_fingerprint("book_appointment", payload),
        operation=book,
        begin_write=lambda: begin_write(session),
    )


def _convert_hold(session: Session, hold_id: str, *, now: datetime) -> Appointment:
    row = session.get(Appointment, hold_id, with_for_update=True, populate_existing=True)
    if row is None or row.status not in (AppointmentStatus.held, AppointmentStatus.expired):
        raise InvalidInputError.for_field("hold_id", "no hold with this id; hold the slot again")
    ran_out = row.status == AppointmentStatus.expired or _expired(row, now)
    # A hold that ran out still gets the patient the time if nobody else took it meanwhile.
    if ran_out and _overlapping_claims(session, row, now=now, exclude_id=row.id):
        raise HoldExpired()
    return row


def _requested_slot(
    session: Session, data: SlotChoice | AppointmentCreate, actor: Actor, *, now: datetime
) -> ResolvedSlot:
    """The slot a hold or direct booking names, checked for this actor (online-only, partner lines)."""
    assert data.service and data.location_id and data.provider_id and data.start
    return resolve_slot(
        session,
        service_code=data.service,
        location_id=data.location_id,
        provider_id=data.provider_id,
        start=data.start,
        online_only=not actor.is_staff,
        now=now,
        partner=actor.partner,
    )


def resolve_slot(
    session: Session,
    *,
    service_code: str,
    location_id: int,
    provider_id: int,
    start: datetime,
    online_only: bool,
    now: datetime,
    field_prefix: str = "",
    partner: Partner | None = None,
) -> ResolvedSlot:
    """The slot a request names, if the schedule rules allow booking it (422 naming the field if not)."""
    service = session.execute(select(Service).where(Service.code == service_code)).scalar()
    if service is None or not service.active:
        raise InvalidInputError.for_field(f"{field_prefix}service", f"unknown service '{service_code}'")
    if online_only and not service.bookable_online:
        raise InvalidInputError.for_field(
            f"{field_prefix}service",
            f"'{service.name}' is scheduled by our staff after a consultation; please call the practice",
        )
    partners_service.check_service_allowed(session=session, partner=partner, service=service)
    location = session.get(Location, location_id)
    if location is None or not location.active:
        raise InvalidInputError.for_field(
            f"{field_prefix}location_id", f"no active location with id {location_id}"
        )
    if not _exists(
        session,
        select(LocationService).where(
            LocationService.location_id == location_id, LocationService.service_id == service.id
        ),
    ):
        raise InvalidInputError.for_field(
            f"{field_prefix}location_id", f"{location.name} does not offer {service.name}"
        )
    provider = session.get(Provider, provider_id)
    if provider is None or not provider.active:
        raise InvalidInputError.for_field(
            f"{field_prefix}provider_id", f"no active provider with id {provider_id}"
        )
    works_there = _exists(
        session,
        select(ProviderLocation).where(
            ProviderLocation.provider_id == provider_id, ProviderLocation.location_id == location_id
        ),
    )
    gives_service = _exists(
        session,
        select(ProviderServiceLine).where(
            ProviderServiceLine.provider_id == provider_id,
            ProviderServiceLine.service_line_id == service.service_line_id,
        ),
    )
    if not (works_there and gives_service):
        raise InvalidInputError.for_field(
            f"{field_prefix}provider_id",
            f"{provider.display_name} does not give {service.name} at {location.name}",
        )
    starts_at = start.astimezone(now.tzinfo)
    free = availability.find_free_slots(
        session,
        service=service,
        location_ids=[location_id],
        provider_id=provider_id,
        start=availability.TimeBound(instant=starts_at),
        end=availability.TimeBound(instant=starts_at + timedelta(seconds=1)),
        include_busy=False,
        now=now,
    )
    if not any(slot.start == starts_at for slot in free):
        settings = get_settings()
        raise InvalidInputError.for_field(
            f"{field_prefix}start",
            "is not a bookable time for this provider at this site (outside working hours, on a closure, "
            f"off the {service.slot_step_minutes}-minute grid, sooner than {settings.min_notice_minutes} "
            f"minutes from now or more than {settings.booking_horizon_days} days ahead); "
            "pick one from GET /v1/availability",
        )
    ends_at = starts_at + timedelta(minutes=service.duration_minutes)
    return ResolvedSlot(
        service=service,
        location=location,
        provider=provider,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_from=starts_at - timedelta(minutes=service.buffer_before_minutes),
        blocked_until=ends_at + timedelta(minutes=service.buffer_after_minutes),
    )


# --- managing a booking -------------------------------------------------------------------------


def find_appointment_for_patient(
    *, session: Session, confirmation_code: str, token: str | None
) -> Appointment:
    """The appointment this code and manage token open; any mismatch is the same 404."""
    code = codes.normalize_confirmation_code(confirmation_code)
    row = session.execute(select(Appointment).where(Appointment.confirmation_code == code)).scalar()
    if row is None or not token or not codes.manage_token_matches(token, row.manage_token_hash):
        raise AppointmentNotFound()
    return row


def cancel_appointment(*, session: Session, appointment_id: str, actor: Actor) -> AppointmentPublic:
    """Cancel a booked appointment; its time is free again at once."""
    with write_transaction(session):
        row = _locked_appointment(session, appointment_id)
        if row.status != AppointmentStatus.booked:
            raise AppointmentNotChangeable(row.status)
        row.status = AppointmentStatus.cancelled
        row.revision += 1
        row.updated_at = utc_now()
        session.add(row)
        _audit(session, row, "appointment.cancelled", actor, {"status": ["booked", "cancelled"]})
        partner_webhooks.enqueue_appointment_event(session, row, "appointment.cancelled")

    return present_appointment(session, row)


def reschedule_appointment(
    *, session: Session, appointment_id: str, data: RescheduleRequest, actor: Actor
) -> AppointmentPublic:
    """Move a booking; atomic: the old time is released only if the new one is booked."""
    with write_transaction(session):
        row = _locked_appointment(session, appointment_id)
        if row.status != AppointmentStatus.booked:
            raise AppointmentNotChangeable(row.status)
        now = utc_now()
        service = session.get(Service, row.service_id)
        assert service is not None
        slot = resolve_slot(
            session,
            service_code=service.code,
            location_id=data.location_id or row.location_id,
            provider_id=data.provider_id or row.provider_id,
            start=data.start,
            online_only=False,  # the visit type stays the one the patient already has, even staff-only
            now=now,
        )
        before = {
            "start": row.starts_at.isoformat(),
            "provider_id": row.provider_id,
            "location_id": row.location_id,
        }
        with session.no_autoflush:
            for field, value in _slot_columns(slot).items():
                setattr(row, field, value)
            row.revision += 1
            row.updated_at = now
        _claim_time(session, row, now=now)
        after = {
            "start": row.starts_at.isoformat(),
            "provider_id": row.provider_id,
            "location_id": row.location_id,
        }
        _audit(
            session,
            row,
            "appointment.rescheduled",
            actor,
            {k: [before[k], after[k]] for k in before if before[k] != after[k]},
        )
        partner_webhooks.enqueue_appointment_event(session, row, "appointment.rescheduled")
    return present_appointment(session, row)


def present_appointment(session: Session, row: Appointment) -> AppointmentPublic:
    service = session.get(Service, row.service_id)
    location = session.get(Location, row.location_id)
    provider = session.get(Provider, row.provider_id)
    assert service and location and provider and row.confirmation_code
    zone = _zone(location)
    return AppointmentPublic(
        id=row.id,
        confirmation_code=row.confirmation_code,
        status=row.status,  # type: ignore[arg-type]
        start=row.starts_at.astimezone(zone),
        end=row.ends_at.astimezone(zone),
        timezone=location.timezone,
        service=service.code,
        service_name=service.name,
        location_id=location.id,  # type: ignore[arg-type]
        location_name=location.name,
        provider_id=provider.id,  # type: ignore[arg-type]
        provider_name=provider.display_name,
        channel=row.channel,
    )


# --- the one place time is claimed --------------------------------------------------------------


def _claim_time(session: Session, row: Appointment, *, now: datetime) -> None:
    """Write `row` if its provider's time is free; SlotUnavailable (nothing written) if not."""
    try:
        with session.no_autoflush:
            _expire_stale_holds(session, row, now=now)
            if _overlapping_claims(session, row, now=now, exclude_id=row.id):
                raise SlotUnavailable()
        session.add(row)
        session.flush()
    except IntegrityError as error:
        # PostgreSQL's exclusion constraint caught a racer that committed after our check.
        if _is_overlap_violation(error):
            raise SlotUnavailable() from None
        raise


def _expire_stale_holds(session: Session, row: Appointment, *, now: datetime) -> None:
    # Expired holds still sit in the constraint's blocking set until marked; mark the ones in the way.
    session.execute(
        update(Appointment)
        .where(
            Appointment.provider_id == row.provider_id,
            Appointment.status == AppointmentStatus.held,
            col(Appointment.hold_expires_at) <= now,
            Appointment.blocked_from < row.blocked_until,
            Appointment.blocked_until > row.blocked_from,
            Appointment.id != row.id,
        )
        .values(status=AppointmentStatus.expired)
        .execution_options(synchronize_session=False)
    )


def _overlapping_claims(session: Session, row: Appointment, *, now: datetime, exclude_id: str) -> bool:
    return _exists(
        session,
        select(Appointment.id).where(
            Appointment.provider_id == row.provider_id,
            col(Appointment.status).in_(BLOCKING_STATUSES),
            or_(Appointment.status != AppointmentStatus.held, col(Appointment.hold_expires_at) > now),
            Appointment.blocked_from < row.blocked_until,
            Appointment.blocked_until > row.blocked_from,
            Appointment.id != exclude_id,
        ),
    )


def _is_overlap_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "23P01" or "ex_appointment_no_overlap" in str(error.orig)


# --- helpers ------------------------------------------------------------------------------------


def _slot_columns(slot: ResolvedSlot) -> dict[str, Any]:
    return {
        "provider_id": slot.provider.id,
        "location_id": slot.location.id,
        "service_id": slot.service.id,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "blocked_from": slot.blocked_from,
        "blocked_until": slot.blocked_until,
    }


def _locked_appointment(session: Session, appointment_id: str) -> Appointment:
    # populate_existing: the row may already sit in the session from before this transaction.
    row = session.execute(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar()
    if row is None or row.confirmation_code is None:
        raise AppointmentNotFound()
    return row


def _expired(row: Appointment, now: datetime) -> bool:
    return row.hold_expires_at is not None and row.hold_expires_at <= now


def _exists(session: Session, query: Any) -> bool:
    return session.execute(query.limit(1)).first() is not None


def _zone(location: Location) -> ZoneInfo:
    return ZoneInfo(location.timezone)


def _unused_confirmation_code(session: Session) -> str:
    while True:
        code = codes.new_confirmation_code()
        if not _exists(session, select(Appointment.id).where(Appointment.confirmation_code == code)):
            return code


def _check_triage(session: Session, triage_id: str | None) -> None:
    """Hard guarantee 5: an assessment that found red flags never leads to a routine booking."""
    if triage_id is None:
        return
    assessment = session.get(TriageAssessment, triage_id)
    if assessment is None:
        raise InvalidInputError.for_field("triage_id", "no triage assessment with this id")
    if assessment.urgency == "emergency":
        raise InvalidInputError.for_field(
            "triage_id",
            "this assessment found signs that need emergency care now: call 911 or go to the nearest "
            "emergency department; a routine visit cannot be booked",
        )


def _existing_patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise InvalidInputError.for_field("patient_id", f"no patient with id {patient_id}")
    return patient


def _find_or_create_patient(session: Session, data: PatientInput) -> Patient:
    """The patient with this name, birth date and phone or email, or a new record."""
    digits = "".join(ch for ch in data.phone if ch.isdigit())
    email = data.email.lower()
    candidates = session.execute(
        select(Patient).where(
            Patient.family_name_key == data.family_name.lower(),
            Patient.given_name_key == data.given_name.lower(),
            Patient.birth_date == data.birth_date,
        )
    ).scalars()
    for patient in candidates:
        if patient.phone_digits == digits or patient.email.lower() == email:
            patient.phone, patient.phone_digits, patient.email = data.phone, digits, email
            session.add(patient)
            return patient
    patient = Patient(
        given_name=data.given_name,
        family_name=data.family_name,
        given_name_key=data.given_name.lower(),
        family_name_key=data.family_name.lower(),
        birth_date=data.birth_date,
        phone=data.phone,
        phone_digits=digits,
        email=email,
    )
    session.add(patient)
    session.flush()
    return patient


def _audit(session: Session, row: Appointment, action: str, actor: Actor, changes: dict[str, Any]) -> None:
    session.add(
        AuditEvent(
            appointment_id=row.id,
            action=action,
            channel=actor.channel,
            actor=actor.label,
            staff_user_id=actor.staff_user.id if actor.staff_user else None,
            changes=changes,
        )
    )

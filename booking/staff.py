"""What the call-center console needs beyond the patient flow: find patients, read a site's day,
see an appointment in full with its history, record whether the visit happened."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from booking.exceptions import AppointmentNotChangeable, AppointmentNotFound
from booking.models import APPOINTMENT_STATUSES, Appointment, AppointmentStatus, AuditEvent, Patient
from booking.schemas import (
    AppointmentStaffView,
    AuditEventPublic,
    DaySheet,
    DaySheetEntry,
    PatientPublic,
    StatusChange,
)
from booking.service import Actor, _audit, present_appointment, write_transaction
from core.database import utc_now
from core.errors import InvalidInputError
from locations import service as locations_service
from locations.models import Provider


def search_patients(
    *,
    session: Session,
    name: str | None = None,
    birth_date: date | None = None,
    phone: str | None = None,
    limit: int = 25,
) -> list[PatientPublic]:
    """Patients matching every given criterion: name words (prefixes of given or family name),
    date of birth, phone digits (the number's ending is enough)."""
    if not (name or birth_date or phone):
        raise InvalidInputError.for_field("name", "give a name, a birth_date or a phone", location="query")
    query = select(Patient).order_by(Patient.family_name_key, Patient.given_name_key, Patient.id).limit(limit)
    for word in (name or "").lower().split():
        query = query.where(
            col(Patient.family_name_key).startswith(word, autoescape=True)
            | col(Patient.given_name_key).startswith(word, autoescape=True)
        )
    if birth_date is not None:
        query = query.where(Patient.birth_date == birth_date)
    if phone is not None:
        digits = "".join(ch for ch in phone if ch.isdigit())
        if len(digits) < 4:
            raise InvalidInputError.for_field("phone", "give at least the last 4 digits", location="query")
        query = query.where(col(Patient.phone_digits).endswith(digits, autoescape=True))
    return [present_patient(p) for p in session.execute(query).scalars()]


def present_patient(patient: Patient) -> PatientPublic:
    return PatientPublic(
        id=patient.id,  # type: ignore[arg-type]
        given_name=patient.given_name,
        family_name=patient.family_name,
        birth_date=patient.birth_date,
        phone=patient.phone,
        email=patient.email,
    )


def present_staff_view(session: Session, row: Appointment) -> AppointmentStaffView:
    patient = session.get(Patient, row.patient_id) if row.patient_id else None
    return AppointmentStaffView(
        **present_appointment(session, row).model_dump(),
        patient=present_patient(patient) if patient else None,
        reason=row.reason,
        triage_id=row.triage_assessment_id,
        created_by_staff_id=row.created_by_staff_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_appointment(*, session: Session, appointment_id: str) -> Appointment:
    row = session.get(Appointment, appointment_id)
    if row is None or row.status not in APPOINTMENT_STATUSES:
        raise AppointmentNotFound()
    return row


def list_patient_appointments(*, session: Session, patient_id: int) -> list[AppointmentStaffView]:
    rows = session.execute(
        select(Appointment)
        .where(Appointment.patient_id == patient_id, col(Appointment.status).in_(APPOINTMENT_STATUSES))
        .order_by(Appointment.starts_at)
    ).scalars()
    return [present_staff_view(session, row) for row in rows]


def day_sheet(*, session: Session, location: str, on_date: date) -> DaySheet:
    """Every appointment at a site on a local date, grouped by provider, in time order."""
    site = locations_service.get_location(session=session, key=location, include_inactive=True)
    zone = ZoneInfo(site.timezone)
    day_start = datetime.combine(on_date, time(0), tzinfo=zone)
    day_end = datetime.combine(on_date + timedelta(days=1), time(0), tzinfo=zone)
    rows = session.execute(
        select(Appointment)
        .where(
            Appointment.location_id == site.id,
            col(Appointment.status).in_(APPOINTMENT_STATUSES),
            Appointment.starts_at >= day_start,
            Appointment.starts_at < day_end,
        )
        .order_by(Appointment.provider_id, Appointment.starts_at)
    ).scalars()
    by_provider: dict[int, list[AppointmentStaffView]] = {}
    for row in rows:
        by_provider.setdefault(row.provider_id, []).append(present_staff_view(session, row))
    providers = []
    for provider_id, appointments in by_provider.items():
        provider = session.get(Provider, provider_id)
        providers.append(
            DaySheetEntry(
                provider_id=provider_id,
                provider_name=provider.display_name if provider else "",
                appointments=appointments,
            )
        )
    providers.sort(key=lambda entry: entry.provider_name)
    return DaySheet(location_id=site.id, date=on_date, timezone=site.timezone, providers=providers)  # type: ignore[arg-type]


def record_visit_outcome(
    *, session: Session, appointment_id: str, data: StatusChange, actor: Actor
) -> AppointmentStaffView:
    """Mark a booked visit fulfilled or no-show, once its start time has passed."""
    with write_transaction(session):
        row = get_appointment(session=session, appointment_id=appointment_id)
        if row.status != AppointmentStatus.booked:
            raise AppointmentNotChangeable(row.status)
        if row.starts_at > utc_now():
            raise InvalidInputError.for_field("status", "the visit has not started yet")
        _audit(session, row, f"appointment.{data.status}", actor, {"status": [row.status, data.status]})
        row.status = data.status
        row.updated_at = utc_now()
        session.add(row)
    return present_staff_view(session, row)


def list_audit_events(*, session: Session, appointment_id: str) -> list[AuditEventPublic]:
    get_appointment(session=session, appointment_id=appointment_id)
    rows = session.execute(
        select(AuditEvent).where(AuditEvent.appointment_id == appointment_id).order_by(AuditEvent.id)
    ).scalars()
    return [
        AuditEventPublic(
            occurred_at=row.occurred_at,
            action=row.action,
            channel=row.channel,
            actor=row.actor,
            changes=row.changes,
        )
        for row in rows
    ]

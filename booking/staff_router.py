"""Call-center console API: every route needs a staff login (agent or admin); every change is
recorded with who made it, through the `phone` channel."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from accounts.dependencies import CurrentStaff
from booking import service, staff
from booking.dependencies import IdempotencyKey
from booking.idempotency import outcome_response
from booking.models import Channel
from booking.schemas import (
    AppointmentCreated,
    AppointmentPublic,
    AppointmentStaffView,
    AuditEventPublic,
    DaySheet,
    PatientPublic,
    RescheduleRequest,
    StaffAppointmentCreate,
    StatusChange,
)
from core.database import SessionDep
from core.errors import problem_responses

router = APIRouter(
    prefix="/v1/staff", tags=["call-center console"], responses=problem_responses(401, 403, 422)
)


def _agent(user: CurrentStaff) -> service.Actor:
    return service.Actor(channel=Channel.phone, staff_user=user)


@router.get("/patients", response_model=list[PatientPublic])
def search_patients(
    session: SessionDep,
    user: CurrentStaff,
    name: Annotated[
        str | None, Query(max_length=120, description="words matching given or family name")
    ] = None,
    birth_date: date | None = None,
    phone: Annotated[str | None, Query(max_length=32, description="the number or its last digits")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> list[PatientPublic]:
    """Find a caller's patient record by name, date of birth and/or phone."""
    return staff.search_patients(session=session, name=name, birth_date=birth_date, phone=phone, limit=limit)


@router.get("/patients/{patient_id}/appointments", response_model=list[AppointmentStaffView])
def patient_appointments(
    session: SessionDep, user: CurrentStaff, patient_id: int
) -> list[AppointmentStaffView]:
    """A patient's appointments, oldest first."""
    return staff.list_patient_appointments(session=session, patient_id=patient_id)


@router.post(
    "/appointments", status_code=201, response_model=AppointmentCreated, responses=problem_responses(409)
)
def book_for_caller(
    session: SessionDep,
    user: CurrentStaff,
    data: StaffAppointmentCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Book for a caller (an existing `patient_id` or new `patient` details); any visit type."""
    outcome = service.book_appointment(
        session=session,
        data=data,
        actor=_agent(user),
        patient_id=data.patient_id,
        idempotency_key=idempotency_key,
    )
    return outcome_response(outcome)


@router.get(
    "/appointments/{appointment_id}", response_model=AppointmentStaffView, responses=problem_responses(404)
)
def get_appointment(session: SessionDep, user: CurrentStaff, appointment_id: str) -> AppointmentStaffView:
    """An appointment with its patient, reason and triage link."""
    return staff.present_staff_view(
        session, staff.get_appointment(session=session, appointment_id=appointment_id)
    )


@router.post(
    "/appointments/{appointment_id}/cancel",
    response_model=AppointmentPublic,
    responses=problem_responses(404, 409),
)
def cancel_for_caller(session: SessionDep, user: CurrentStaff, appointment_id: str) -> AppointmentPublic:
    """Cancel on the caller's behalf."""
    return service.cancel_appointment(session=session, appointment_id=appointment_id, actor=_agent(user))


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response_model=AppointmentPublic,
    responses=problem_responses(404, 409),
)
def reschedule_for_caller(
    session: SessionDep, user: CurrentStaff, appointment_id: str, data: RescheduleRequest
) -> AppointmentPublic:
    """Move on the caller's behalf; the old time is kept if the new one cannot be booked."""
    return service.reschedule_appointment(
        session=session, appointment_id=appointment_id, data=data, actor=_agent(user)
    )


@router.post(
    "/appointments/{appointment_id}/outcome",
    response_model=AppointmentStaffView,
    responses=problem_responses(404, 409),
)
def record_outcome(
    session: SessionDep, user: CurrentStaff, appointment_id: str, data: StatusChange
) -> AppointmentStaffView:
    """Mark a past visit `fulfilled` or `noshow`."""
    return staff.record_visit_outcome(
        session=session, appointment_id=appointment_id, data=data, actor=_agent(user)
    )


@router.get(
    "/appointments/{appointment_id}/audit",
    response_model=list[AuditEventPublic],
    responses=problem_responses(404),
)
def appointment_history(
    session: SessionDep, user: CurrentStaff, appointment_id: str
) -> list[AuditEventPublic]:
    """Who did what to this appointment, when, through which channel."""
    return staff.list_audit_events(session=session, appointment_id=appointment_id)


@router.get("/locations/{id_or_slug}/day-sheet", response_model=DaySheet, responses=problem_responses(404))
def site_day_sheet(
    session: SessionDep,
    user: CurrentStaff,
    id_or_slug: str,
    on_date: Annotated[date, Query(alias="date", description="local date at the site")],
) -> DaySheet:
    """All appointments at a site on a date, by provider."""
    return staff.day_sheet(session=session, location=id_or_slug, on_date=on_date)

"""Public booking endpoints (contract v1 in PRODUCT.md): free slots, holds, appointments."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from booking import availability, service
from booking.calendar_file import appointment_calendar
from booking.dependencies import IdempotencyKey, PatientAppointment, PublicActor
from booking.idempotency import outcome_response
from booking.schemas import (
    AppointmentCreate,
    AppointmentCreated,
    AppointmentPublic,
    HoldCreate,
    HoldPublic,
    RescheduleRequest,
    SlotList,
)
from core.database import SessionDep
from core.errors import problem_responses
from partners.dependencies import RequestPartner

router = APIRouter(prefix="/v1", tags=["booking"])


@router.get("/availability", response_model=SlotList, responses=problem_responses(401, 403, 404, 422, 503))
def list_availability(
    session: SessionDep,
    partner: RequestPartner,
    service_code: Annotated[
        str, Query(alias="service", min_length=1, max_length=60, description="service code")
    ],
    location: Annotated[str | None, Query(max_length=80, description="a site's id or slug")] = None,
    near: Annotated[
        str | None, Query(min_length=1, max_length=200, description="ZIP, `lat,lon` or place: nearby sites")
    ] = None,
    provider: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    start: Annotated[
        str | None,
        Query(max_length=40, description="date (in each site's zone) or time with offset; default now"),
    ] = None,
    end: Annotated[
        str | None, Query(max_length=40, description="date (inclusive) or time with offset")
    ] = None,
    radius_miles: Annotated[float | None, Query(gt=0, le=500, description="with `near`; default 50")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> Response:
    """Free slots of a service, sorted by start (then distance with `near`), in each site's zone."""
    body = availability.free_slots_json(
        session,
        service_code=service_code,
        location=location,
        near=near,
        provider_id=provider,
        start=start,
        end=end,
        radius_miles=radius_miles,
        limit=limit,
        partner=partner,
    )
    # Thousands of slots, encoded by the service (and mostly kept encoded across requests), never
    # validated model by model.
    return Response(body, media_type="application/json")


@router.post(
    "/holds", status_code=201, response_model=HoldPublic, responses=problem_responses(401, 403, 409, 422)
)
def hold_slot(
    session: SessionDep, data: HoldCreate, actor: PublicActor, idempotency_key: IdempotencyKey = None
) -> Response:
    """Hold a free slot for a few minutes while the patient fills in the form."""
    outcome = service.create_hold(session=session, data=data, actor=actor, idempotency_key=idempotency_key)
    return outcome_response(outcome)


@router.get("/holds/{hold_id}", response_model=HoldPublic, responses=problem_responses(404))
def get_hold(session: SessionDep, hold_id: Annotated[str, Path(max_length=64)]) -> HoldPublic:
    """A live hold, with when it expires."""
    return service.get_hold(session=session, hold_id=hold_id)


@router.delete("/holds/{hold_id}", status_code=204, responses=problem_responses(401, 403, 404))
def release_hold(
    session: SessionDep, _partner: RequestPartner, hold_id: Annotated[str, Path(max_length=64)]
) -> Response:
    """Release a hold: the slot is free again at once."""
    service.release_hold(session=session, hold_id=hold_id)
    return Response(status_code=204)


@router.post(
    "/appointments",
    status_code=201,
    response_model=AppointmentCreated,
    responses=problem_responses(401, 403, 409, 422),
)
def book_appointment(
    session: SessionDep, data: AppointmentCreate, actor: PublicActor, idempotency_key: IdempotencyKey = None
) -> Response:
    """Book a held slot or a free slot; the response's code and manage token open it later."""
    outcome = service.book_appointment(
        session=session, data=data, actor=actor, idempotency_key=idempotency_key
    )
    return outcome_response(outcome)


@router.get(
    "/appointments/{confirmation_code}", response_model=AppointmentPublic, responses=problem_responses(404)
)
def get_appointment(session: SessionDep, appointment: PatientAppointment) -> AppointmentPublic:
    """The appointment these code and manage token open (`X-Manage-Token` or `?token=`)."""
    return service.present_appointment(session, appointment)


@router.post(
    "/appointments/{confirmation_code}/cancel",
    response_model=AppointmentPublic,
    responses=problem_responses(404, 409),
)
def cancel_appointment(session: SessionDep, appointment: PatientAppointment) -> AppointmentPublic:
    """Cancel the appointment; its time is free for others at once."""
    return service.cancel_appointment(session=session, appointment_id=appointment.id, actor=service.PATIENT)


@router.post(
    "/appointments/{confirmation_code}/reschedule",
    response_model=AppointmentPublic,
    responses=problem_responses(404, 409, 422),
)
def reschedule_appointment(
    session: SessionDep, appointment: PatientAppointment, data: RescheduleRequest
) -> AppointmentPublic:
    """Move the appointment; if the new time cannot be booked, the old one is kept."""
    return service.reschedule_appointment(
        session=session, appointment_id=appointment.id, data=data, actor=service.PATIENT
    )


@router.get(
    "/appointments/{confirmation_code}/ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, **problem_responses(404)},
)
def appointment_ics(session: SessionDep, appointment: PatientAppointment) -> Response:
    """The appointment as an RFC 5545 calendar file."""
    body = appointment_calendar(session, appointment)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="appointment-{appointment.confirmation_code}.ics"'
        },
    )

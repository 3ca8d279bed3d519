from typing import Annotated

from fastapi import Depends, Header, Path, Query

from booking import service
from booking.models import Appointment
from core.database import SessionDep
from partners.dependencies import RequestPartner

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="retrying with the same key never books twice; the first response is replayed",
    ),
]


def patient_appointment(
    session: SessionDep,
    confirmation_code: Annotated[str, Path(max_length=20)],
    header_token: Annotated[str | None, Header(alias="X-Manage-Token", max_length=200)] = None,
    query_token: Annotated[str | None, Query(alias="token", max_length=200)] = None,
) -> Appointment:
    """The appointment opened by its confirmation code and manage token (header or `?token=`)."""
    return service.find_appointment_for_patient(
        session=session, confirmation_code=confirmation_code, token=header_token or query_token
    )


PatientAppointment = Annotated[Appointment, Depends(patient_appointment)]


def public_actor(partner: RequestPartner) -> service.Actor:
    """A patient on our pages, or a partner's widget when the call carries `X-Partner-Key`."""
    return service.PATIENT if partner is None else service.Actor.for_partner(partner)


PublicActor = Annotated[service.Actor, Depends(public_actor)]

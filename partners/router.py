"""Admin management of partners: every route needs an admin token."""

from typing import Annotated

from fastapi import APIRouter, Query

from accounts.dependencies import CurrentAdmin
from core.database import RowId, SessionDep
from core.errors import problem_responses
from partners import service
from partners.models import PartnerAdmin, PartnerCreate, PartnerUpdate, WebhookDeliveryPublic

router = APIRouter(
    prefix="/v1/admin/partners", tags=["admin: partners"], responses=problem_responses(401, 403, 422)
)


@router.get("", response_model=list[PartnerAdmin])
def list_partners(session: SessionDep, _admin: CurrentAdmin) -> list[PartnerAdmin]:
    """All partners, inactive ones included."""
    return service.list_partners(session=session)


@router.post("", response_model=PartnerAdmin, status_code=201)
def create_partner(session: SessionDep, _admin: CurrentAdmin, data: PartnerCreate) -> PartnerAdmin:
    """Add a partner; the response carries its publishable key and webhook secret."""
    return service.create_partner(session=session, data=data)


@router.get("/{partner_id}", response_model=PartnerAdmin, responses=problem_responses(404))
def get_partner(session: SessionDep, _admin: CurrentAdmin, partner_id: RowId) -> PartnerAdmin:
    """One partner."""
    return service.present_partner(service.get_partner(session=session, partner_id=partner_id))


@router.patch("/{partner_id}", response_model=PartnerAdmin, responses=problem_responses(404))
def update_partner(
    session: SessionDep, _admin: CurrentAdmin, partner_id: RowId, data: PartnerUpdate
) -> PartnerAdmin:
    """Change a partner's name, origins, webhook or service lines, or deactivate it (`active: false`)."""
    return service.update_partner(session=session, partner_id=partner_id, data=data)


@router.post("/{partner_id}/rotate-key", response_model=PartnerAdmin, responses=problem_responses(404))
def rotate_key(session: SessionDep, _admin: CurrentAdmin, partner_id: RowId) -> PartnerAdmin:
    """Issue a new publishable key; the old one stops working at once."""
    return service.rotate_key(session=session, partner_id=partner_id)


@router.get(
    "/{partner_id}/webhook-deliveries",
    response_model=list[WebhookDeliveryPublic],
    responses=problem_responses(404),
)
def list_webhook_deliveries(
    session: SessionDep,
    _admin: CurrentAdmin,
    partner_id: RowId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[WebhookDeliveryPublic]:
    """The partner's latest webhook deliveries, newest first: status, attempts, last error."""
    return service.list_webhook_deliveries(session=session, partner_id=partner_id, limit=limit)

"""Admin management of the practice network: every route needs an admin token."""

from fastapi import APIRouter

from accounts.dependencies import CurrentAdmin
from core.database import RowId, SessionDep
from core.errors import problem_responses
from locations import service
from locations.models import (
    LocationAdmin,
    LocationCreate,
    LocationUpdate,
    ProviderAdmin,
    ProviderCreate,
    ProviderUpdate,
    ServiceAdmin,
    ServiceCreate,
    ServiceLineAdmin,
    ServiceLineCreate,
    ServiceLineUpdate,
    ServiceUpdate,
)

router = APIRouter(prefix="/v1/admin", responses=problem_responses(401, 403, 422))


@router.get("/service-lines", response_model=list[ServiceLineAdmin], tags=["admin: service lines"])
def list_service_lines(session: SessionDep, _admin: CurrentAdmin) -> list[ServiceLineAdmin]:
    """All service lines, inactive ones included."""
    return service.list_service_lines(session=session, include_inactive=True)


@router.post(
    "/service-lines",
    response_model=ServiceLineAdmin,
    status_code=201,
    tags=["admin: service lines"],
    responses=problem_responses(409),
)
def create_service_line(
    session: SessionDep, _admin: CurrentAdmin, data: ServiceLineCreate
) -> ServiceLineAdmin:
    """Add a service line."""
    return service.create_service_line(session=session, data=data)


@router.patch(
    "/service-lines/{code}",
    response_model=ServiceLineAdmin,
    tags=["admin: service lines"],
    responses=problem_responses(404),
)
def update_service_line(
    session: SessionDep, _admin: CurrentAdmin, code: str, data: ServiceLineUpdate
) -> ServiceLineAdmin:
    """Rename, describe, or deactivate (`active: false`) a service line."""
    return service.update_service_line(session=session, code=code, data=data)


@router.get("/services", response_model=list[ServiceAdmin], tags=["admin: services"])
def list_services(session: SessionDep, _admin: CurrentAdmin) -> list[ServiceAdmin]:
    """All services, inactive ones included."""
    return service.list_services(session=session, include_inactive=True)


@router.post(
    "/services",
    response_model=ServiceAdmin,
    status_code=201,
    tags=["admin: services"],
    responses=problem_responses(409),
)
def create_service(session: SessionDep, _admin: CurrentAdmin, data: ServiceCreate) -> ServiceAdmin:
    """Add a visit type to a service line."""
    return service.create_service(session=session, data=data)


@router.patch(
    "/services/{code}",
    response_model=ServiceAdmin,
    tags=["admin: services"],
    responses=problem_responses(404),
)
def update_service(session: SessionDep, _admin: CurrentAdmin, code: str, data: ServiceUpdate) -> ServiceAdmin:
    """Change a visit type, or deactivate it (`active: false`)."""
    return service.update_service(session=session, code=code, data=data)


@router.get("/locations", response_model=list[LocationAdmin], tags=["admin: locations"])
def list_locations(session: SessionDep, _admin: CurrentAdmin) -> list[LocationAdmin]:
    """All sites, inactive ones included."""
    return service.list_locations(session=session, include_inactive=True)


@router.post(
    "/locations",
    response_model=LocationAdmin,
    status_code=201,
    tags=["admin: locations"],
    responses=problem_responses(409),
)
def create_location(session: SessionDep, _admin: CurrentAdmin, data: LocationCreate) -> LocationAdmin:
    """Add a site; without coordinates it is placed at its ZIP code's centroid."""
    return service.create_location(session=session, data=data)


@router.patch(
    "/locations/{location_id}",
    response_model=LocationAdmin,
    tags=["admin: locations"],
    responses=problem_responses(404, 409),
)
def update_location(
    session: SessionDep, _admin: CurrentAdmin, location_id: RowId, data: LocationUpdate
) -> LocationAdmin:
    """Edit a site (lists given replace the old ones), or deactivate it (`active: false`)."""
    return service.update_location(session=session, location_id=location_id, data=data)


@router.get("/providers", response_model=list[ProviderAdmin], tags=["admin: providers"])
def list_providers(session: SessionDep, _admin: CurrentAdmin) -> list[ProviderAdmin]:
    """All providers, inactive ones included."""
    return service.list_providers(session=session, include_inactive=True)


@router.post("/providers", response_model=ProviderAdmin, status_code=201, tags=["admin: providers"])
def create_provider(session: SessionDep, _admin: CurrentAdmin, data: ProviderCreate) -> ProviderAdmin:
    """Add a provider with their service lines and sites."""
    return service.create_provider(session=session, data=data)


@router.patch(
    "/providers/{provider_id}",
    response_model=ProviderAdmin,
    tags=["admin: providers"],
    responses=problem_responses(404),
)
def update_provider(
    session: SessionDep, _admin: CurrentAdmin, provider_id: RowId, data: ProviderUpdate
) -> ProviderAdmin:
    """Edit a provider, or deactivate them (`active: false`)."""
    return service.update_provider(session=session, provider_id=provider_id, data=data)

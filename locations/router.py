"""Public read endpoints of the practice network (contract v1 in PRODUCT.md)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic_core import to_json

from booking.locator import find_sites_with_next_available
from core.database import SessionDep
from core.errors import problem_responses
from core.schemas import Text
from locations import service
from locations.dependencies import ValidLocation
from locations.models import (
    LocationAdmin,
    LocationPublic,
    LocationSearchResults,
    ServiceAdmin,
    ServiceLineAdmin,
    ServiceLinePublic,
    ServicePublic,
)
from locations.snapshot import search_nearest_json
from partners.dependencies import RequestPartner

router = APIRouter(prefix="/v1", tags=["practice network"])


@router.get("/service-lines", response_model=list[ServiceLinePublic])
def list_service_lines(session: SessionDep) -> list[ServiceLineAdmin]:
    """The kinds of care the practice offers: interventional pain, physical therapy, physiatry."""
    return service.list_service_lines(session=session)


@router.get("/services", response_model=list[ServicePublic], responses=problem_responses(422))
def list_services(
    session: SessionDep,
    service_line: Annotated[Text | None, Query(description="only this service line's visit types")] = None,
) -> list[ServiceAdmin]:
    """Visit types; `bookable_online` says whether a patient may book one without staff."""
    return service.list_services(session=session, service_line=service_line)


@router.get(
    "/locations", response_model=LocationSearchResults, responses=problem_responses(401, 403, 422, 503)
)
def search_locations(
    session: SessionDep,
    _partner: RequestPartner,  # a partner's key is checked (401/403) like on the booking calls
    near: Annotated[
        Text | None,
        Query(
            max_length=200,
            description="a US ZIP code, `lat,lon`, or a place such as `Glendale, CA`",
            examples=["91006"],
        ),
    ] = None,
    service_line: Annotated[Text | None, Query(description="only sites offering this service line")] = None,
    service_code: Annotated[
        Text | None, Query(alias="service", description="only sites offering this service (code)")
    ] = None,
    radius_miles: Annotated[float | None, Query(gt=0, le=5000, description="only sites this close")] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=500, description="at most this many (default 10 with `near`)")
    ] = None,
) -> Response:
    """Active sites nearest first with their distance in miles; without `near`, all active sites.
    With `service`, each site also carries `next_available`: its first free start for that visit."""
    if near is not None and service_code is None:
        # The common call, answered from the per-process catalogue snapshot (locations/snapshot.py):
        # one query for the catalogue revision, then arrays and pre-encoded JSON.
        body = search_nearest_json(
            session, near=near, service_line=service_line, radius_miles=radius_miles, limit=limit
        )
        return Response(body, media_type="application/json")
    matches = find_sites_with_next_available(
        session=session,
        near=near,
        service_line=service_line,
        service=service_code,
        radius_miles=radius_miles,
        limit=limit,
    )
    # Serialized here rather than validated again by FastAPI: the results are built in exactly the
    # response model's shape (tests hold each to GET /v1/locations/{id}), and re-validating them
    # cost about a sixth of a search.
    return Response(to_json({"results": matches}), media_type="application/json")


@router.get("/locations/{id_or_slug}", response_model=LocationPublic, responses=problem_responses(404))
def get_location(location: ValidLocation) -> LocationAdmin:
    """One active site, by numeric id or slug."""
    return service.present_location(location)

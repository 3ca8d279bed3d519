"""Nearest-site search.

A network may hold 10,000 sites, so exact distances are computed only for a few candidates:

    1. SQL keeps active sites (offering the service or line asked for) inside a bounding box of
       half-width r around the origin, over the indexed (latitude, longitude) columns;
    2. a fast great-circle (haversine) distance ranks those candidates; only the ones within r count
       toward `limit`, since a site just outside the box may be nearer than one in its corner;
    3. if fewer than `limit` are within r, r grows and the box is queried again, up to the radius
       asked for (or the whole globe);
    4. the short list gets exact geodesic distances (geopy, WGS-84), which set the final order.
"""

import math
from dataclasses import dataclass

from geopy.distance import geodesic
from sqlalchemy import select
from sqlmodel import Session

from core.errors import InvalidInputError
from locations import service as catalog
from locations.geocoding import GeoPoint, resolve_near
from locations.models import Location, LocationMatch, LocationService, Service, ServiceLine

EARTH_RADIUS_MILES = 3958.7613
MILES_PER_DEGREE_LATITUDE = 69.0
FIRST_SEARCH_RADIUS_MILES = 25.0
WHOLE_EARTH_MILES = 12_500.0
# The spherical (haversine) distance is within 0.6% of the geodesic one; searching and re-ranking
# with this slack (squared: once each way) means the cheap ranking never drops a truly nearer site.
SLACK = 1.01**2
DEFAULT_LIMIT_NEAR = 10


@dataclass(frozen=True)
class SiteFilter:
    service_line_id: int | None = None
    service_id: int | None = None


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def geodesic_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(geodesic((lat1, lon1), (lat2, lon2)).miles)


def find_nearest_locations(
    *,
    session: Session,
    near: str | None = None,
    service_line: str | None = None,
    service: str | None = None,
    radius_miles: float | None = None,
    limit: int | None = None,
) -> list[LocationMatch]:
    """Active sites nearest to `near` (nearest first, miles to 0.1), or all active sites without it."""
    site_filter = _site_filter(session, service_line=service_line, service=service)
    if near is None:
        if radius_miles is not None:
            raise InvalidInputError.for_field(
                "radius_miles", "needs `near`: a radius is measured from somewhere", location="query"
            )
        ids = _all_site_ids(session, site_filter, limit=limit)
        presented = catalog.present_locations_by_id(session=session, location_ids=ids)
        return [LocationMatch(location=presented[i], distance_miles=None) for i in ids]

    origin = resolve_near(near)
    nearest = nearest_site_ids(
        session,
        origin,
        site_filter=site_filter,
        radius_miles=radius_miles,
        limit=limit or DEFAULT_LIMIT_NEAR,
    )
    presented = catalog.present_locations_by_id(session=session, location_ids=[i for i, _ in nearest])
    return [LocationMatch(location=presented[i], distance_miles=round(d, 1)) for i, d in nearest]


def nearest_site_ids(
    session: Session,
    origin: GeoPoint,
    *,
    site_filter: SiteFilter,
    radius_miles: float | None,
    limit: int,
) -> list[tuple[int, float]]:
    """(location id, geodesic miles) of the `limit` nearest matching sites within the radius."""
    max_radius = min(radius_miles, WHOLE_EARTH_MILES) if radius_miles is not None else WHOLE_EARTH_MILES
    radius = min(FIRST_SEARCH_RADIUS_MILES, max_radius)
    while True:
        # The box reaches past r by the error margin, so every site truly within r is in it.
        candidates = [
            (site_id, haversine_miles(origin.latitude, origin.longitude, lat, lon), lat, lon)
            for site_id, lat, lon in _sites_in_box(session, origin, radius * SLACK, site_filter)
        ]
        if sum(1 for c in candidates if c[1] <= radius) >= limit or radius >= max_radius:
            break
        radius = min(radius * 4, max_radius)

    candidates.sort(key=lambda c: c[1])
    if len(candidates) > limit:
        cutoff = candidates[limit - 1][1] * SLACK
        candidates = [c for c in candidates if c[1] <= cutoff]
    exact = [
        (site_id, geodesic_miles(origin.latitude, origin.longitude, lat, lon))
        for site_id, _, lat, lon in candidates
    ]
    if radius_miles is not None:
        exact = [(site_id, miles) for site_id, miles in exact if miles <= radius_miles]
    exact.sort(key=lambda pair: (pair[1], pair[0]))
    return exact[:limit]


def _site_filter(session: Session, *, service_line: str | None, service: str | None) -> SiteFilter:
    line_id = service_id = None
    # Deactivated lines and services are unknown to the public, just as in GET /v1/services.
    if service_line is not None:
        line = session.execute(
            select(ServiceLine.id).where(ServiceLine.code == service_line, ServiceLine.active)
        ).scalar()
        if line is None:
            known = ", ".join(
                session.execute(
                    select(ServiceLine.code).where(ServiceLine.active).order_by(ServiceLine.id)
                ).scalars()
            )
            raise InvalidInputError.for_field(
                "service_line", f"unknown service line '{service_line}'; known: {known}", location="query"
            )
        line_id = line
    if service is not None:
        found = session.execute(
            select(Service.id)
            .join(ServiceLine, ServiceLine.id == Service.service_line_id)
            .where(Service.code == service, Service.active, ServiceLine.active)
        ).scalar()
        if found is None:
            raise InvalidInputError.for_field(
                "service", f"unknown service '{service}'; see GET /v1/services", location="query"
            )
        service_id = found
    return SiteFilter(service_line_id=line_id, service_id=service_id)


def _filtered_sites(site_filter: SiteFilter):  # type: ignore[no-untyped-def]
    query = select(Location.id, Location.latitude, Location.longitude).where(Location.active)
    if site_filter.service_id is not None or site_filter.service_line_id is not None:
        offering = (
            select(LocationService.location_id)
            .join(Service, Service.id == LocationService.service_id)
            .join(ServiceLine, ServiceLine.id == Service.service_line_id)
            .where(Service.active, ServiceLine.active)
        )
        if site_filter.service_id is not None:
            offering = offering.where(Service.id == site_filter.service_id)
        if site_filter.service_line_id is not None:
            offering = offering.where(Service.service_line_id == site_filter.service_line_id)
        query = query.where(Location.id.in_(offering))  # type: ignore[union-attr]
    return query


def _all_site_ids(session: Session, site_filter: SiteFilter, *, limit: int | None) -> list[int]:
    """Ids in name order; the limit applies after ordering, so it keeps the first names."""
    query = _filtered_sites(site_filter).order_by(Location.name, Location.id).limit(limit)
    return [row[0] for row in session.execute(query)]


def _sites_in_box(
    session: Session, origin: GeoPoint, radius_miles: float, site_filter: SiteFilter
) -> list[tuple[int, float, float]]:
    dlat = radius_miles / MILES_PER_DEGREE_LATITUDE
    query = _filtered_sites(site_filter).where(
        Location.latitude.between(origin.latitude - dlat, origin.latitude + dlat)  # type: ignore[attr-defined]
    )
    # Longitude degrees shrink toward the poles; near them (or across the antimeridian) the box
    # covers every longitude.
    widest_latitude = min(89.9, abs(origin.latitude) + dlat)
    dlon = radius_miles / (MILES_PER_DEGREE_LATITUDE * math.cos(math.radians(widest_latitude)))
    if dlon < 180 and origin.longitude - dlon >= -180 and origin.longitude + dlon <= 180:
        query = query.where(
            Location.longitude.between(origin.longitude - dlon, origin.longitude + dlon)  # type: ignore[attr-defined]
        )
    return [(row[0], row[1], row[2]) for row in session.execute(query)]

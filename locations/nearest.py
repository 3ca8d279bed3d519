"""Nearest-site search.

A network may hold 10,000 sites, so exact distances are computed only for a few candidates:

    1. SQL keeps active sites (offering the service or line asked for) inside a bounding box of
       half-width r around the origin, over the indexed (latitude, longitude) columns;
    2. a fast great-circle (haversine) distance ranks those candidates; only the ones within r count
       toward `limit`, since a site just outside the box may be nearer than one in its corner;
    3. if fewer than `limit` are within r, r grows (by the density seen so far) and the box is
       queried again, up to the radius asked for (or the whole globe);
    4. the short list gets exact geodesic distances (WGS-84, as geopy computes them), which set the
       final order.

This is the hot path of the public locator, so it talks to the database in SQLAlchemy Core with
statements built once per shape (no ORM objects), and computes geodesics without geopy's wrappers.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from geographiclib.geodesic import Geodesic
from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from core.errors import InvalidInputError
from locations.geocoding import GeoPoint, resolve_near
from locations.models import Location, LocationService, Service, ServiceLine
from locations.public_view import public_locations_by_id

EARTH_RADIUS_MILES = 3958.7613
MILES_PER_DEGREE_LATITUDE = 69.0
FIRST_SEARCH_RADIUS_MILES = 25.0
WHOLE_EARTH_MILES = 12_500.0
# The spherical (haversine) distance is within 0.6% of the geodesic one; searching and re-ranking
# with this slack (squared: once each way) means the cheap ranking never drops a truly nearer site.
SLACK = 1.01**2
DEFAULT_LIMIT_NEAR = 10

# geopy's WGS-84 in kilometres, and its kilometres-to-miles step: geodesic_miles() returns exactly
# `geopy.distance.geodesic(a, b).miles`, without the Point and Distance objects it builds per call.
_WGS84_KM = Geodesic(6378.137, 1 / 298.257223563)
_KM_PER_MILE = 1.609344

_location = Location.__table__  # type: ignore[attr-defined]
_location_service = LocationService.__table__  # type: ignore[attr-defined]
_service = Service.__table__  # type: ignore[attr-defined]
_service_line = ServiceLine.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SiteFilter:
    service_line_id: int | None = None
    service_id: int | None = None


@dataclass(frozen=True)
class BoundingBox:
    """Latitude range and longitude ranges (none: every longitude; two: across the antimeridian)."""

    latitude: tuple[float, float]
    longitudes: tuple[tuple[float, float], ...]


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


# A pure function of four numbers costing ~75 us in pure Python, asked again for the same origin
# (cached geocodes of popular ZIPs) and sites: remembering the last 32,768 (a few MB) is safe,
# since nothing about a pair of points can go stale.
@lru_cache(maxsize=32_768)
def geodesic_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # `or 0.0` as geopy's Point does: -0.0 becomes 0.0, so results match it bit for bit.
    kilometers = _WGS84_KM.Inverse(lat1 or 0.0, lon1 or 0.0, lat2 or 0.0, lon2 or 0.0, Geodesic.DISTANCE)
    return float(kilometers["s12"]) / _KM_PER_MILE


def bounding_box(latitude: float, longitude: float, radius_miles: float) -> BoundingBox:
    """A box holding every point within `radius_miles` (haversine) of the origin."""
    dlat = radius_miles / MILES_PER_DEGREE_LATITUDE
    latitudes = (latitude - dlat, latitude + dlat)
    widest_latitude = abs(latitude) + dlat
    if widest_latitude >= 89.9:  # the circle may reach over a pole, where every longitude meets
        return BoundingBox(latitudes, ())
    # Longitude degrees shrink toward the poles, so the box is as wide as at its widest latitude.
    dlon = radius_miles / (MILES_PER_DEGREE_LATITUDE * math.cos(math.radians(widest_latitude)))
    if dlon >= 180:
        return BoundingBox(latitudes, ())
    west, east = longitude - dlon, longitude + dlon
    if west < -180:  # wraps past the antimeridian: two ranges, one each side
        return BoundingBox(latitudes, ((-180.0, east), (west + 360, 180.0)))
    if east > 180:
        return BoundingBox(latitudes, ((west, 180.0), (-180.0, east - 360)))
    return BoundingBox(latitudes, ((west, east),))


def find_nearest_locations(
    *,
    session: Session,
    near: str | None = None,
    service_line: str | None = None,
    service: str | None = None,
    radius_miles: float | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Active sites nearest to `near` (nearest first, miles to 0.1), or all active sites without it.

    Each result is `{location, distance_miles}` as plain data, in the shape of `LocationMatch`.
    """
    connection = session.connection()
    site_filter = _site_filter(connection, service_line=service_line, service=service)
    if near is None:
        if radius_miles is not None:
            raise InvalidInputError.for_field(
                "radius_miles", "needs `near`: a radius is measured from somewhere", location="query"
            )
        ids = _all_site_ids(connection, site_filter, limit=limit)
        presented = public_locations_by_id(connection, ids)
        return [{"location": presented[i], "distance_miles": None} for i in ids]

    origin = resolve_near(near)
    nearest = nearest_site_ids(
        session,
        origin,
        site_filter=site_filter,
        radius_miles=radius_miles,
        limit=limit or DEFAULT_LIMIT_NEAR,
    )
    presented = public_locations_by_id(connection, [i for i, _ in nearest])
    return [{"location": presented[i], "distance_miles": round(d, 1)} for i, d in nearest]


def nearest_site_ids(
    session: Session,
    origin: GeoPoint,
    *,
    site_filter: SiteFilter,
    radius_miles: float | None,
    limit: int,
) -> list[tuple[int, float]]:
    """(location id, geodesic miles) of the `limit` nearest matching sites within the radius."""
    connection = session.connection()
    return rank_nearest(
        lambda box: _sites_in_box(connection, box, site_filter),
        origin,
        radius_miles=radius_miles,
        limit=limit,
    )


def rank_nearest(
    sites_in_box: Callable[[BoundingBox], Iterable[tuple[int, float, float]]],
    origin: GeoPoint,
    *,
    radius_miles: float | None,
    limit: int,
) -> list[tuple[int, float]]:
    """The search of `nearest_site_ids` over any source of (id, lat, lon) of matching sites in a box:
    the database, or the locator's in-memory snapshot (locations/snapshot.py), which so rank alike."""
    lat0, lon0 = origin.latitude, origin.longitude
    max_radius = min(radius_miles, WHOLE_EARTH_MILES) if radius_miles is not None else WHOLE_EARTH_MILES
    radius = min(FIRST_SEARCH_RADIUS_MILES, max_radius)
    while True:
        # The box reaches past r by the error margin, so every site truly within r is in it.
        candidates = [
            (haversine_miles(lat0, lon0, lat, lon), site_id, lat, lon)
            for site_id, lat, lon in sites_in_box(bounding_box(lat0, lon0, radius * SLACK))
        ]
        within = sum(1 for c in candidates if c[0] <= radius)
        if within >= limit or radius >= max_radius:
            break
        radius = min(radius * _growth(within, limit), max_radius)

    candidates.sort()
    if len(candidates) > limit:
        cutoff = candidates[limit - 1][0] * SLACK
        candidates = [c for c in candidates if c[0] <= cutoff]
    exact = [(site_id, geodesic_miles(lat0, lon0, lat, lon)) for _, site_id, lat, lon in candidates]
    if radius_miles is not None:
        exact = [(site_id, miles) for site_id, miles in exact if miles <= radius_miles]
    exact.sort(key=lambda pair: (pair[1], pair[0]))
    return exact[:limit]


def _growth(found: int, wanted: int) -> float:
    """How much to widen the search: to where the density seen so far should give `wanted`.

    Sites per area grow with r², so r · sqrt(wanted / found) should hold enough; a small margin
    saves most third queries. Bounded both ways: at least 1.25 (progress), at most 3 (a box three
    times as wide already scans nine times the rows).
    """
    if found == 0:
        return 3.0
    return min(3.0, max(1.25, math.sqrt(wanted / found) * 1.1))


def _site_filter(connection: Connection, *, service_line: str | None, service: str | None) -> SiteFilter:
    line_id = service_id = None
    # Deactivated lines and services are unknown to the public, just as in GET /v1/services.
    if service_line is not None:
        line_id = connection.execute(
            select(_service_line.c.id).where(_service_line.c.code == service_line, _service_line.c.active)
        ).scalar()
        if line_id is None:
            known = ", ".join(
                connection.execute(
                    select(_service_line.c.code).where(_service_line.c.active).order_by(_service_line.c.id)
                ).scalars()
            )
            raise InvalidInputError.for_field(
                "service_line", f"unknown service line '{service_line}'; known: {known}", location="query"
            )
    if service is not None:
        service_id = connection.execute(
            select(_service.c.id)
            .join(_service_line, _service_line.c.id == _service.c.service_line_id)
            .where(_service.c.code == service, _service.c.active, _service_line.c.active)
        ).scalar()
        if service_id is None:
            raise InvalidInputError.for_field(
                "service", f"unknown service '{service}'; see GET /v1/services", location="query"
            )
    return SiteFilter(service_line_id=line_id, service_id=service_id)


def _filtered_sites(*, by_service: bool, by_line: bool) -> Select[Any]:
    query = select(_location.c.id, _location.c.latitude, _location.c.longitude).where(_location.c.active)
    if by_service or by_line:
        offering = (
            select(_location_service.c.location_id)
            .join(_service, _service.c.id == _location_service.c.service_id)
            .join(_service_line, _service_line.c.id == _service.c.service_line_id)
            .where(_service.c.active, _service_line.c.active)
        )
        if by_service:
            offering = offering.where(_service.c.id == bindparam("service_id"))
        if by_line:
            offering = offering.where(_service.c.service_line_id == bindparam("service_line_id"))
        query = query.where(_location.c.id.in_(offering))
    return query


def _filter_params(site_filter: SiteFilter) -> dict[str, int]:
    params = {}
    if site_filter.service_id is not None:
        params["service_id"] = site_filter.service_id
    if site_filter.service_line_id is not None:
        params["service_line_id"] = site_filter.service_line_id
    return params


def _all_site_ids(connection: Connection, site_filter: SiteFilter, *, limit: int | None) -> list[int]:
    """Ids in name order; the limit applies after ordering, so it keeps the first names."""
    query = (
        _filtered_sites(
            by_service=site_filter.service_id is not None, by_line=site_filter.service_line_id is not None
        )
        .order_by(_location.c.name, _location.c.id)
        .limit(limit)
    )
    return list(connection.execute(query, _filter_params(site_filter)).scalars())


@lru_cache(maxsize=32)
def _box_query(*, by_service: bool, by_line: bool, longitude_ranges: int) -> Select[Any]:
    """The box statement of one shape, built once: building a statement costs more than running it."""
    query = _filtered_sites(by_service=by_service, by_line=by_line).where(
        _location.c.latitude.between(bindparam("south"), bindparam("north"))
    )
    ranges = [
        _location.c.longitude.between(bindparam(f"west_{i}"), bindparam(f"east_{i}"))
        for i in range(longitude_ranges)
    ]
    if ranges:
        query = query.where(or_(*ranges) if len(ranges) > 1 else and_(*ranges))
    return query


def _sites_in_box(
    connection: Connection, box: BoundingBox, site_filter: SiteFilter
) -> list[tuple[int, float, float]]:
    query = _box_query(
        by_service=site_filter.service_id is not None,
        by_line=site_filter.service_line_id is not None,
        longitude_ranges=len(box.longitudes),
    )
    params: dict[str, float | int] = {"south": box.latitude[0], "north": box.latitude[1]}
    for i, (west, east) in enumerate(box.longitudes):
        params[f"west_{i}"], params[f"east_{i}"] = west, east
    return [
        (row[0], row[1], row[2]) for row in connection.execute(query, params | _filter_params(site_filter))
    ]

"""The locator's catalogue, kept in memory per process and rebuilt only when the catalogue changes.

A search without `service` (the public locator's common call) needs nothing but the active sites,
what they offer and how they look to the public, which change rarely. `Snapshot` holds all of it:
each site's id, coordinates, active service and line ids, and its public JSON encoded once
(exactly what `public_view` produces), plus the sites sorted by latitude, so the same bounding-box
search as `nearest.nearest_site_ids` (same `rank_nearest`, same ranking and ties) runs over arrays
instead of the database.

It is valid at one revision of the `catalogue_revision` row, which database triggers bump (with a
random stamp) on every write to sites, their services and hours, services and service lines (not
bookings). Each request reads that row (one primary-key query in its own transaction) and uses the
snapshot only if its revision and stamp are the row's; otherwise one thread rebuilds it (others
wait for it) and every request serves a snapshot of exactly the revision it read.
"""

import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic_core import to_json
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from core.errors import InvalidInputError
from locations.geocoding import resolve_near
from locations.models import LocationService, Service, ServiceLine
from locations.nearest import DEFAULT_LIMIT_NEAR, BoundingBox, SiteFilter, rank_nearest
from locations.public_view import public_active_locations

_location_service = LocationService.__table__  # type: ignore[attr-defined]
_service = Service.__table__  # type: ignore[attr-defined]
_service_line = ServiceLine.__table__  # type: ignore[attr-defined]

# As plain SQL: a Core statement's compile-cache lookup and result machinery cost more than the
# query itself, and every search runs it.
_REVISION_SQL = "SELECT revision, stamp FROM catalogue_revision WHERE id = 1"
_OFFERED_QUERY = (
    select(_location_service.c.location_id, _service.c.id, _service.c.service_line_id)
    .join(_service, _service.c.id == _location_service.c.service_id)
    .join(_service_line, _service_line.c.id == _service.c.service_line_id)
    .where(_service.c.active, _service_line.c.active)
)
_LINES_QUERY = select(_service_line.c.id, _service_line.c.code).where(_service_line.c.active)
_SERVICES_QUERY = (
    select(_service.c.id, _service.c.code, _service.c.service_line_id)
    .join(_service_line, _service_line.c.id == _service.c.service_line_id)
    .where(_service.c.active, _service_line.c.active)
)


@dataclass(frozen=True)
class Snapshot:
    engine: Engine
    revision: tuple[int, int]  # (revision, stamp) of the catalogue_revision row it was built at
    # Active sites sorted by (latitude, id): parallel arrays.
    latitudes: list[float]
    longitudes: list[float]
    ids: list[int]
    service_ids: dict[int, frozenset[int]]  # site id -> active services it offers (in active lines)
    line_ids: dict[int, frozenset[int]]  # site id -> active lines of those services
    public_json: dict[int, bytes]  # site id -> its `LocationPublic` JSON
    lines_by_code: dict[str, int]  # active service lines
    line_codes_in_order: tuple[str, ...]  # by id, as the 422 lists them
    services_by_code: dict[str, int]  # active services of active lines
    line_of_service: dict[int, int]  # their lines
    grid: dict[tuple[int, int], list[tuple[int, float, float]]]  # 1-degree cell -> (id, lat, lon)

    def sites_in_box(self, box: BoundingBox, site_filter: SiteFilter) -> list[tuple[int, float, float]]:
        """What `nearest._sites_in_box` returns from the database (BETWEEN is inclusive both ways)."""
        service_id, line_id = site_filter.service_id, site_filter.service_line_id
        if service_id is not None and line_id is not None:
            # As in SQL, one offered service must match both: a service of another line matches none.
            if self.line_of_service.get(service_id) != line_id:
                return []
            line_id = None
        south, north = box.latitude
        candidates: Iterable[tuple[int, float, float]]
        cells = _cells(box)
        if cells is None:  # every longitude, or a box so wide that the latitude band is cheaper
            start, end = bisect_left(self.latitudes, south), bisect_right(self.latitudes, north)
            candidates = zip(
                self.ids[start:end], self.latitudes[start:end], self.longitudes[start:end], strict=True
            )
        else:
            grid = self.grid
            candidates = [site for cell in cells for site in grid.get(cell, ())]
        ranges = box.longitudes
        found = []
        for site in candidates:
            site_id, lat, lon = site
            if not south <= lat <= north:
                continue
            if ranges and not any(west <= lon <= east for west, east in ranges):
                continue
            if service_id is not None and service_id not in self.service_ids[site_id]:
                continue
            if line_id is not None and line_id not in self.line_ids[site_id]:
                continue
            found.append(site)
        return found

    def site_filter(self, *, service_line: str | None, service: str | None) -> SiteFilter:
        """As `nearest._site_filter`, from the snapshot: the same ids and the same 422s."""
        line_id = service_id = None
        if service_line is not None:
            line_id = self.lines_by_code.get(service_line)
            if line_id is None:
                known = ", ".join(self.line_codes_in_order)
                raise InvalidInputError.for_field(
                    "service_line", f"unknown service line '{service_line}'; known: {known}", location="query"
                )
        if service is not None:
            service_id = self.services_by_code.get(service)
            if service_id is None:
                raise InvalidInputError.for_field(
                    "service", f"unknown service '{service}'; see GET /v1/services", location="query"
                )
        return SiteFilter(service_line_id=line_id, service_id=service_id)


# Past this many 1-degree cells a box is cheaper to read as its latitude band.
_MAX_CELLS = 200


def _cells(box: BoundingBox) -> list[tuple[int, int]] | None:
    """The 1-degree cells (floor of latitude, floor of longitude) that cover the box, or None."""
    if not box.longitudes:
        return None
    rows = range(math.floor(box.latitude[0]), math.floor(box.latitude[1]) + 1)
    columns = [c for west, east in box.longitudes for c in range(math.floor(west), math.floor(east) + 1)]
    if len(rows) * len(columns) > _MAX_CELLS:
        return None
    return [(row, column) for row in rows for column in columns]


_lock = threading.Lock()
_current: Snapshot | None = None


def catalogue_revision(connection: Connection) -> tuple[int, int]:
    row = connection.exec_driver_sql(_REVISION_SQL).one()
    return (row[0], row[1])


def current_snapshot(session: Session) -> Snapshot:
    """The snapshot at the catalogue revision this session's database shows now (built if needed)."""
    global _current
    connection = session.connection()
    revision = catalogue_revision(connection)
    snapshot = _current
    if snapshot is not None and snapshot.revision == revision and snapshot.engine is connection.engine:
        return snapshot
    with _lock:  # one rebuild at a time; whoever waited finds it built, if at the revision it read
        snapshot = _current
        if snapshot is None or snapshot.revision != revision or snapshot.engine is not connection.engine:
            snapshot = _build(connection, revision)
            _current = snapshot
        return snapshot


def _build(connection: Connection, revision: tuple[int, int]) -> Snapshot:
    """The catalogue at `revision`, read through `connection`.

    Under READ COMMITTED (PostgreSQL) each statement may see later commits than the last, so the
    revision is read again after the data: unchanged, no catalogue write committed in between and
    every statement saw the catalogue at `revision`. Changed, the request would be served a
    catalogue newer than the revision it read: it is rebuilt at the new revision instead, which is
    then what this request serves (never older than what it read, never mislabelled).
    """
    while True:
        sites = public_active_locations(connection)
        services: dict[int, set[int]] = {site_id: set() for site_id in sites}
        lines: dict[int, set[int]] = {site_id: set() for site_id in sites}
        for site_id, service_id, line_id in connection.execute(_OFFERED_QUERY):
            if site_id in services:
                services[site_id].add(service_id)
                lines[site_id].add(line_id)
        active_lines = sorted((row[0], row[1]) for row in connection.execute(_LINES_QUERY))
        active_services = [(row[0], row[1], row[2]) for row in connection.execute(_SERVICES_QUERY)]
        after = catalogue_revision(connection)
        if after == revision:
            break
        revision = after
    ordered = sorted((view["latitude"], site_id, view["longitude"]) for site_id, view in sites.items())
    grid: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
    for lat, site_id, lon in ordered:
        grid.setdefault((math.floor(lat), math.floor(lon)), []).append((site_id, lat, lon))
    return Snapshot(
        engine=connection.engine,
        revision=revision,
        latitudes=[lat for lat, _, _ in ordered],
        longitudes=[lon for _, _, lon in ordered],
        ids=[site_id for _, site_id, _ in ordered],
        service_ids={site_id: frozenset(ids) for site_id, ids in services.items()},
        line_ids={site_id: frozenset(ids) for site_id, ids in lines.items()},
        public_json={site_id: to_json(view) for site_id, view in sites.items()},
        lines_by_code={code: line_id for line_id, code in active_lines},
        line_codes_in_order=tuple(code for _, code in active_lines),
        services_by_code={code: service_id for service_id, code, _ in active_services},
        line_of_service={service_id: line_id for service_id, _, line_id in active_services},
        grid=grid,
    )


def nearest_from_snapshot(
    snapshot: Snapshot,
    *,
    near: str,
    service_line: str | None = None,
    service: str | None = None,
    radius_miles: float | None = None,
    limit: int | None = None,
) -> list[tuple[int, float]]:
    """(site id, miles to 0.1) as `find_nearest_locations(near=...)` ranks them, from the snapshot."""
    site_filter = snapshot.site_filter(service_line=service_line, service=service)
    origin = resolve_near(near)
    nearest = rank_nearest(
        lambda box: snapshot.sites_in_box(box, site_filter),
        origin,
        radius_miles=radius_miles,
        limit=limit or DEFAULT_LIMIT_NEAR,
    )
    return [(site_id, round(miles, 1)) for site_id, miles in nearest]


def search_nearest_json(
    session: Session,
    *,
    near: str,
    service_line: str | None = None,
    radius_miles: float | None = None,
    limit: int | None = None,
) -> bytes:
    """The body of GET /v1/locations?near=... without `service`, byte for byte as the route's
    `to_json({"results": matches})` of `find_sites_with_next_available` (`next_available` null)."""
    snapshot = current_snapshot(session)
    nearest = nearest_from_snapshot(
        snapshot, near=near, service_line=service_line, radius_miles=radius_miles, limit=limit
    )
    public_json = snapshot.public_json
    return b'{"results":[%s]}' % b",".join(
        b'{"location":%s,"distance_miles":%s,"next_available":null}' % (public_json[site_id], to_json(miles))
        for site_id, miles in nearest
    )


def _reset() -> None:
    """Forget the snapshot (tests)."""
    global _current
    with _lock:
        _current = None

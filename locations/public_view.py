"""Sites as the public sees them, read for the locator's hot path.

`service.present_location` builds the same view from ORM objects (one site at a time, for
GET /v1/locations/{id} and the admin API). A search shows ten sites per request, and loading them
as ORM objects with their services, lines and hours took most of its time; here one Core statement
returns each site with its active services and its hours folded into strings by the database
(`group_concat` on SQLite, `string_agg` on PostgreSQL), and the rows become plain dicts in the
`LocationPublic` shape. Tests hold both views to be identical.
"""

from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.engine import Connection

from locations.models import WEEKDAYS, Location, LocationOpeningHours, LocationService, Service, ServiceLine

_location = Location.__table__  # type: ignore[attr-defined]
_location_service = LocationService.__table__  # type: ignore[attr-defined]
_service = Service.__table__  # type: ignore[attr-defined]
_service_line = ServiceLine.__table__  # type: ignore[attr-defined]
_opening_hours = LocationOpeningHours.__table__  # type: ignore[attr-defined]

_SPACE = literal_column("' '", String)
_LOCATION_COLUMNS = [
    _location.c.id,
    _location.c.slug,
    _location.c.name,
    _location.c.address_line1,
    _location.c.address_line2,
    _location.c.city,
    _location.c.state,
    _location.c.postal_code,
    _location.c.phone,
    _location.c.timezone,
    _location.c.latitude,
    _location.c.longitude,
]


def public_locations_by_id(connection: Connection, location_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Active-or-not sites by id, as plain data in the `LocationPublic` shape (callers filter)."""
    if not location_ids:
        return {}
    query = _sites_query(connection.dialect.name, len(location_ids))
    rows = connection.execute(query, {f"id_{i}": site_id for i, site_id in enumerate(location_ids)}).all()
    return {row[0]: _public_location(row) for row in rows}


def _public_location(row: Any) -> dict[str, Any]:
    site_id, slug, name, line1, line2, city, state, postal_code, phone, timezone, lat, lon, offered, hours = (
        row
    )
    services, lines = [], set()
    for pair in sorted(offered.split(",")) if offered else ():
        service_code, line_code = pair.split(" ")
        services.append(service_code)
        lines.add(line_code)
    opening_hours = []
    for weekday, opens, closes in sorted(tuple(h.split(" ")) for h in hours.split(",")) if hours else ():
        # Times come back as text: "08:00:00" from PostgreSQL, "08:00:00.000000" from SQLite.
        opening_hours.append({"weekday": WEEKDAYS[int(weekday)], "opens": opens[:5], "closes": closes[:5]})
    return {
        "id": site_id,
        "slug": slug,
        "name": name,
        "address": {"line1": line1, "line2": line2, "city": city, "state": state, "postal_code": postal_code},
        "phone": phone,
        "timezone": timezone,
        "latitude": lat,
        "longitude": lon,
        "services": services,
        "service_lines": sorted(lines),
        "opening_hours": opening_hours,
    }


def public_active_locations(connection: Connection) -> dict[int, dict[str, Any]]:
    """Every active site by id, in the same shape (the locator's snapshot, locations/snapshot.py)."""
    rows = connection.execute(_view_query(connection.dialect.name).where(_location.c.active)).all()
    return {row[0]: _public_location(row) for row in rows}


@lru_cache(maxsize=64)
def _sites_query(dialect: str, count: int) -> Select[Any]:
    """The statement for `count` ids, built once per dialect and count.

    Plain `:id_0, :id_1, ...` parameters rather than an expanding IN, which SQLAlchemy re-renders
    on every execution.
    """
    ids: list[BindParameter[int]] = [bindparam(f"id_{i}") for i in range(count)]
    return _view_query(dialect).where(_location.c.id.in_(ids))


@lru_cache(maxsize=4)
def _view_query(dialect: str) -> Select[Any]:
    """Sites with their active services and their hours folded into strings, for any WHERE."""

    def joined(expression: Any) -> Any:
        separator: ColumnElement[str] = literal_column("','")
        if dialect == "postgresql":
            return func.string_agg(expression, separator)
        return func.group_concat(expression, separator)

    offered = (
        select(joined(_service.c.code + _SPACE + _service_line.c.code))
        .select_from(_location_service)
        .join(_service, _service.c.id == _location_service.c.service_id)
        .join(_service_line, _service_line.c.id == _service.c.service_line_id)
        .where(_location_service.c.location_id == _location.c.id, _service.c.active, _service_line.c.active)
        .scalar_subquery()
    )
    hours = (
        select(
            joined(
                cast(_opening_hours.c.weekday, String)
                + _SPACE
                + cast(_opening_hours.c.opens_at, String)
                + _SPACE
                + cast(_opening_hours.c.closes_at, String)
            )
        )
        .where(_opening_hours.c.location_id == _location.c.id)
        .scalar_subquery()
    )
    return select(*_LOCATION_COLUMNS, offered, hours)

"""The locator as a patient uses it: nearest sites, each with its next free time for the chosen visit.

Sites come from locations (`find_nearest_locations`); the next free start from the same slot search
the availability endpoint uses, so the two never disagree.
"""

from typing import Any

from sqlmodel import Session

from booking.availability import next_available_by_location
from locations.nearest import find_nearest_locations


def find_sites_with_next_available(
    *,
    session: Session,
    near: str | None,
    service_line: str | None,
    service: str | None,
    radius_miles: float | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    """Matching sites nearest first; with `service`, each carries `next_available` (or null)."""
    matches = find_nearest_locations(
        session=session,
        near=near,
        service_line=service_line,
        service=service,
        radius_miles=radius_miles,
        limit=limit,
    )
    next_free = (
        next_available_by_location(
            session, service_code=service, location_ids=[m["location"]["id"] for m in matches]
        )
        if service is not None
        else {}
    )
    for match in matches:
        start = next_free.get(match["location"]["id"])
        match["next_available"] = start.isoformat() if start is not None else None
    return matches

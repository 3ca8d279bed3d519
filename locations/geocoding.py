"""Turning what a patient types into a point on the map.

`near` may be a `lat,lon` pair, a US ZIP code, "City, ST", or (when an online geopy geocoder is
configured) any address. The offline geocoder answers the first three from the ZIP centroids bundled
with the `zipcodes` package, so locating sites never needs the network unless an operator opts in.
"""

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from statistics import fmean
from typing import Any

import zipcodes
from geopy.exc import GeopyError
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location as GeoLocation
from geopy.point import Point

from core.errors import InvalidInputError, ServiceUnavailable
from core.settings import get_settings

logger = logging.getLogger(__name__)

_LAT_LON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
# City and state apart by a comma ("Glendale,CA", "Glendale, CA") or by spaces ("Glendale CA").
_CITY_STATE = re.compile(r"^\s*([A-Za-z .'\-]+?)\s*(?:,\s*|\s+)([A-Za-z]{2})\s*$")

NEAR_HELP = (
    "Use a 5-digit US ZIP code (91006), a 'latitude,longitude' pair (34.14,-118.03) "
    "or a city and state ('Glendale, CA')."
)


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float
    label: str


class _ZipIndex:
    """ZIP and city lookups over the bundled centroids, indexed once (the package scans a list)."""

    def __init__(self) -> None:
        self.by_zip: dict[str, tuple[float, float, str]] = {}
        points_by_city: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
        for row in zipcodes.list_all():
            if not row["lat"] or not row["long"]:
                continue
            lat, lon = float(row["lat"]), float(row["long"])
            self.by_zip[row["zip_code"]] = (lat, lon, f"{row['city']}, {row['state']} {row['zip_code']}")
            if row["active"] and row["zip_code_type"] == "STANDARD":
                points_by_city[(row["city"].lower(), row["state"].upper())].append((lat, lon))
        self.by_city = {
            key: (fmean(p[0] for p in points), fmean(p[1] for p in points))
            for key, points in points_by_city.items()
        }


@lru_cache(maxsize=1)
def _zip_index() -> _ZipIndex:
    return _ZipIndex()


class OfflineZipGeocoder(Geocoder):
    """A geopy geocoder over bundled US ZIP centroids: ZIP codes and "City, ST", no network."""

    def __init__(self) -> None:
        super().__init__()

    def geocode(self, query: str, *, exactly_one: bool = True, **_: Any) -> GeoLocation | None:  # type: ignore[override]
        index = _zip_index()
        if match := _ZIP.match(query):
            found = index.by_zip.get(match.group(1))
            if found is None:
                return None
            lat, lon, label = found
        elif match := _CITY_STATE.match(query):
            city, state = match.group(1).strip(), match.group(2).upper()
            centroid = index.by_city.get((city.lower(), state))
            if centroid is None:
                return None
            (lat, lon), label = centroid, f"{city.title()}, {state}"
        else:
            return None
        location = GeoLocation(label, Point(lat, lon), {"source": "zipcodes"})
        return location if exactly_one else [location]  # type: ignore[return-value]


@lru_cache(maxsize=1)
def _online_geocoder() -> Geocoder | None:
    settings = get_settings()
    if settings.geocoder == "offline":
        return None
    geocoder_class = get_geocoder_for_service(settings.geocoder)
    return geocoder_class(user_agent=settings.geocoder_user_agent, timeout=settings.geocoder_timeout_seconds)


_offline = OfflineZipGeocoder()


@lru_cache(maxsize=4096)
def resolve_near(near: str, field: str = "near") -> GeoPoint:
    """The point `near` names, or a 422 on `field` saying what would work."""
    text = near.strip()
    if not text:
        raise InvalidInputError.for_field(field, f"is empty. {NEAR_HELP}", location="query")
    if match := _LAT_LON.match(text):
        lat, lon = float(match.group(1)), float(match.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidInputError.for_field(
                field, "latitude must be within -90..90 and longitude within -180..180", location="query"
            )
        return GeoPoint(lat, lon, f"{lat},{lon}")
    found = _offline.geocode(text)
    if found is None:
        try:
            # Built inside the try: a GEOCODER naming no geopy service, or one missing its API key,
            # fails here, and a patient should hear "unavailable", not get a 500.
            online = _online_geocoder()
            found = online.geocode(text, exactly_one=True) if online is not None else None
        except GeopyError as exc:
            logger.error("online geocoder failed for near=%r: %r", text, exc)
            raise ServiceUnavailable(
                f"The address lookup service did not answer ({exc.__class__.__name__}). {NEAR_HELP}"
            ) from None
    if found is None:
        raise InvalidInputError.for_field(field, f"could not find '{text}'. {NEAR_HELP}", location="query")
    return GeoPoint(found.latitude, found.longitude, found.address)


def geocode_postal_code(postal_code: str) -> GeoPoint | None:
    found = _offline.geocode(postal_code)
    return GeoPoint(found.latitude, found.longitude, found.address) if found else None

"""An online geocoder stand-in: configured through settings like a real one, answering without network."""

from collections.abc import Iterator

import pytest
from geopy.exc import GeocoderTimedOut
from geopy.geocoders.base import Geocoder
from geopy.location import Location as GeoLocation
from geopy.point import Point

from core.settings import get_settings
from locations import geocoding


class FakeOnlineGeocoder(Geocoder):
    """Knows a few street addresses; `failing = True` makes it time out like a service that is down."""

    ADDRESSES = {"317 S Brand Blvd, Glendale": (34.1421, -118.2551)}
    calls: list[str] = []
    failing = False

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def geocode(self, query: str, *, exactly_one: bool = True, **_: object) -> GeoLocation | None:  # type: ignore[override]
        type(self).calls.append(query)
        if type(self).failing:
            raise GeocoderTimedOut("Service timed out")
        if query not in self.ADDRESSES:
            return None
        return GeoLocation(f"{query}, CA", Point(*self.ADDRESSES[query]), {})


def _clear_caches() -> None:
    get_settings.cache_clear()
    geocoding._online_geocoder.cache_clear()
    geocoding.resolve_near.cache_clear()


@pytest.fixture
def online_geocoder(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeOnlineGeocoder]]:
    """GEOCODER=fake-online, served by FakeOnlineGeocoder; nothing leaves the machine."""
    monkeypatch.setenv("GEOCODER", "fake-online")
    requested: list[str] = []

    def geocoder_for_service(name: str) -> type[Geocoder]:
        requested.append(name)
        return FakeOnlineGeocoder

    monkeypatch.setattr(geocoding, "get_geocoder_for_service", geocoder_for_service)
    monkeypatch.setattr(FakeOnlineGeocoder, "calls", [])
    monkeypatch.setattr(FakeOnlineGeocoder, "failing", False)
    _clear_caches()
    yield FakeOnlineGeocoder
    assert set(requested) <= {"fake-online"}
    monkeypatch.undo()
    _clear_caches()


@pytest.fixture(autouse=True)
def _fresh_geocoding_caches() -> Iterator[None]:
    """Lookups are cached per process; each test starts from what its own settings say."""
    geocoding.resolve_near.cache_clear()
    yield
    geocoding.resolve_near.cache_clear()

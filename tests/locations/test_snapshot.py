"""The locator's in-memory catalogue answers exactly as the database search, and never goes stale."""

import random
from datetime import time

import pytest
from pydantic_core import to_json
from sqlalchemy import delete, insert, text, update
from sqlmodel import Session, select

from booking.locator import find_sites_with_next_available
from locations import snapshot as snapshot_module
from locations.models import (
    CatalogueRevision,
    Location,
    LocationOpeningHours,
    LocationService,
    Service,
    ServiceLine,
)
from locations.nearest import find_nearest_locations
from locations.snapshot import current_snapshot, nearest_from_snapshot, search_nearest_json
from tests.booking.conftest import PATIENT, network, upcoming_weekday  # noqa: F401  (fixture)
from tests.factories import make_location, make_service, make_service_line
from tests.locations.test_nearest import add_sites, random_point

CATALOGUE_TABLES = ("location", "location_service", "location_opening_hours", "service", "service_line")


@pytest.fixture(autouse=True)
def _fresh_snapshot():
    snapshot_module._reset()
    yield
    snapshot_module._reset()


def revision(session: Session) -> tuple[int, int]:
    row = session.exec(select(CatalogueRevision.revision, CatalogueRevision.stamp)).one()
    return (row[0], row[1])


def sql_path(session: Session, **params) -> list[tuple[int, float]]:
    return [
        (m["location"]["id"], m["distance_miles"]) for m in find_nearest_locations(session=session, **params)
    ]


def search(client, near: str, **params):
    response = client.get("/v1/locations", params={"near": near, **params})
    assert response.status_code == 200, response.text
    return response.json()["results"]


class TestSameResultsAsTheDatabase:
    @pytest.fixture
    def catalogue(self, session):
        rng = random.Random(20261124)
        lines = [make_service_line(session, f"snap_line_{i}") for i in range(2)]
        services = [make_service(session, lines[i % 2], code=f"snap_service_{i}") for i in range(4)]
        points = [random_point(rng) for _ in range(300)]
        # Some sites at the very same point, so ties are broken the same way (by id).
        points += [points[0]] * 3 + [points[1]] * 2
        add_sites(session, points, lambda i: rng.sample(services, rng.randint(0, 3)))
        return rng, lines, services

    def test_random_origins_filters_limits_and_radii(self, session, catalogue):
        rng, lines, services = catalogue
        snap = current_snapshot(session)
        for round_ in range(150):
            lat, lon = random_point(rng)
            params: dict = {"near": f"{lat:.4f},{lon:.4f}"}
            if round_ < 5:
                params["near"] = "{:.4f},{:.4f}".format(*random_point(rng)) if round_ else "91006"
            if rng.random() < 0.4:
                params["service_line"] = rng.choice(lines).code
            if rng.random() < 0.3:
                params["service"] = rng.choice(services).code
            if rng.random() < 0.5:
                params["radius_miles"] = rng.choice([1.0, 10.0, 50.0, 200.0, 1000.0, 5000.0])
            if rng.random() < 0.7:
                params["limit"] = rng.choice([1, 3, 10, 25, 100, 500])

            assert nearest_from_snapshot(snap, **params) == sql_path(session, **params), params

    def test_the_response_body_is_the_database_paths_byte_for_byte(self, session, catalogue):
        rng, lines, _ = catalogue
        for _ in range(20):
            params: dict = {
                "near": "{:.4f},{:.4f}".format(*random_point(rng)),
                "limit": rng.choice([1, 10, 50]),
            }
            if rng.random() < 0.5:
                params["service_line"] = rng.choice(lines).code
            slow = find_sites_with_next_available(
                session=session,
                near=params["near"],
                service_line=params.get("service_line"),
                service=None,
                radius_miles=None,
                limit=params["limit"],
            )

            assert search_nearest_json(session, **params) == to_json({"results": slow})

    def test_the_public_json_is_get_location_by_id(self, client, session, demo):
        for match in search(client, "91006", limit=50):
            assert match["location"] == client.get(f"/v1/locations/{match['location']['id']}").json()
            assert match["next_available"] is None

    def test_unknown_filters_are_422s_naming_the_field(self, client, demo):
        for params, field in [
            ({"service_line": "nope"}, "service_line"),
            ({"near": "not a place at all"}, "near"),
        ]:
            response = client.get("/v1/locations", params={"near": "91006", **params})
            assert response.status_code == 422, response.text
            assert field in response.text

    def test_a_deactivated_service_line_is_unknown(self, client, session, demo):
        line = session.exec(select(ServiceLine).limit(1)).first()
        search(client, "91006", service_line=line.code)
        session.execute(update(ServiceLine).where(ServiceLine.id == line.id).values(active=False))
        session.commit()

        response = client.get("/v1/locations", params={"near": "91006", "service_line": line.code})
        assert response.status_code == 422 and "service_line" in response.text


class TestEveryCatalogueWriteIsSeenByTheNextRequest:
    NEAR = "34.1400,-118.0300"

    @pytest.fixture
    def site(self, session):
        line = make_service_line(session, "fresh_line")
        service = make_service(session, line, code="fresh_service")
        return make_location(session, latitude=34.14, longitude=-118.03, services=[service])

    def ids(self, client, **params) -> list[int]:
        return [m["location"]["id"] for m in search(client, self.NEAR, radius_miles=100, **params)]

    def test_new_site(self, client, session, site):
        assert self.ids(client) == [site.id]
        other = make_location(session, latitude=34.15, longitude=-118.03)

        assert self.ids(client) == [site.id, other.id]

    def test_deactivated_site(self, client, session, site):
        assert self.ids(client) == [site.id]
        session.execute(update(Location).where(Location.id == site.id).values(active=False))
        session.commit()

        assert self.ids(client) == []

    def test_changed_coordinates(self, client, session, site):
        first = search(client, self.NEAR)[0]
        assert first["distance_miles"] == 0.0
        session.execute(update(Location).where(Location.id == site.id).values(latitude=34.5))
        session.commit()

        moved = search(client, self.NEAR)[0]
        assert moved["location"]["latitude"] == 34.5 and moved["distance_miles"] > 20
        assert self.ids(
            client,
        ) == [site.id]
        assert [m["location"]["id"] for m in search(client, self.NEAR, radius_miles=10)] == []

    def test_service_added_and_removed_at_a_site(self, client, session, site):
        line = make_service_line(session, "other_line")
        other = make_service(session, line, code="other_service")
        assert self.ids(client, service_line="other_line") == []

        session.execute(insert(LocationService).values(location_id=site.id, service_id=other.id))
        session.commit()
        assert self.ids(client, service_line="other_line") == [site.id]
        assert "other_service" in search(client, self.NEAR)[0]["location"]["services"]

        session.execute(delete(LocationService).where(LocationService.service_id == other.id))
        session.commit()
        assert self.ids(client, service_line="other_line") == []
        assert "other_service" not in search(client, self.NEAR)[0]["location"]["services"]

    def test_deactivated_service(self, client, session, site):
        assert search(client, self.NEAR)[0]["location"]["services"] == ["fresh_service"]
        assert self.ids(client, service_line="fresh_line") == [site.id]
        session.execute(update(Service).where(Service.code == "fresh_service").values(active=False))
        session.commit()

        assert search(client, self.NEAR)[0]["location"]["services"] == []
        assert self.ids(client, service_line="fresh_line") == []

    def test_opening_hours_changed(self, client, session, site):
        before = search(client, self.NEAR)[0]["location"]["opening_hours"]
        assert before[0] == {"weekday": "mon", "opens": "08:00", "closes": "17:00"}
        session.execute(
            update(LocationOpeningHours)
            .where(LocationOpeningHours.location_id == site.id, LocationOpeningHours.weekday == 0)
            .values(opens_at=time(9, 30))
        )
        session.commit()

        after = search(client, self.NEAR)[0]["location"]["opening_hours"]
        assert after[0] == {"weekday": "mon", "opens": "09:30", "closes": "17:00"}

    def test_a_request_never_serves_a_snapshot_of_another_revision(self, client, session, site):
        self.ids(client)
        built = snapshot_module._current
        assert built is not None and built.revision == revision(session)
        make_location(session, latitude=34.16, longitude=-118.03)

        assert revision(session) != built.revision
        assert len(self.ids(client)) == 2
        assert snapshot_module._current.revision == revision(session)

    def test_an_unchanged_catalogue_is_not_rebuilt(self, client, session, site):
        self.ids(client)
        built = snapshot_module._current
        self.ids(client, service_line="fresh_line")

        assert snapshot_module._current is built


@pytest.mark.parametrize("table", CATALOGUE_TABLES)
def test_every_catalogue_table_bumps_the_revision(session, table):
    # A later migration that batch-alters one of these on SQLite drops its triggers: this notices.
    line = make_service_line(session, "trigger_line")
    service = make_service(session, line, code="trigger_service")
    site = make_location(session, services=[service])
    key = {
        "location": ("id", site.id),
        "location_service": ("location_id", site.id),
        "location_opening_hours": ("location_id", site.id),
        "service": ("id", service.id),
        "service_line": ("id", line.id),
    }[table]
    before = revision(session)
    session.execute(text(f"UPDATE {table} SET {key[0]} = {key[0]} WHERE {key[0]} = :key"), {"key": key[1]})
    session.commit()

    assert revision(session) != before


@pytest.mark.usefixtures("network")
def test_a_booking_does_not_bump_the_catalogue_revision(client, session):
    tuesday = upcoming_weekday(1)
    slots = client.get(
        "/v1/availability", params={"service": "pt_evaluation", "start": str(tuesday), "end": str(tuesday)}
    ).json()["slots"]
    search(client, "91006")
    before, built = revision(session), snapshot_module._current

    slot = {key: slots[0][key] for key in ("service", "location_id", "provider_id", "start")}
    booked = client.post("/v1/appointments", json=slot | {"patient": PATIENT})
    assert booked.status_code == 201, booked.text

    assert revision(session) == before
    search(client, "91006")
    assert snapshot_module._current is built

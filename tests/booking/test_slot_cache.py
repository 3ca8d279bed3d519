"""The free-slot cache: whatever changes, a cached response is the response the search would compute.

Every scenario primes the cache, changes something (or only lets time pass), and then compares the
endpoint's bytes with the uncached search's at the same instant (the clock is frozen for both).
"""

import json
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.responses import JSONResponse
from sqlalchemy import delete, event, insert, select, text, update
from sqlmodel import Session

from booking import availability, slot_cache
from booking.models import Appointment, AppointmentStatus, CalendarRevision, ScheduleException, SiteClosure
from booking.slot_cache import SlotCache, new_entry
from core.settings import get_settings
from locations.models import Location, LocationService, Provider, Service
from partners import service as partners_service
from partners.models import PartnerCreate
from tests.booking.conftest import PATIENT, upcoming_weekday

pytestmark = pytest.mark.usefixtures("network")

SLOT_TABLES = (
    "appointment",
    "provider_working_hours",
    "schedule_exception",
    "site_closure",
    "location",
    "location_service",
    "location_opening_hours",
    "provider",
    "provider_location",
    "provider_service_line",
    "service",
    "service_line",
)


class Clock:
    """What the availability search takes for now: frozen, moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(datetime.now(UTC))
    monkeypatch.setattr(availability, "utc_now", frozen)
    return frozen


@pytest.fixture
def cache(session: Session) -> SlotCache:
    found = slot_cache.cache_for(session)
    assert found is not None, "the cache is on by default"
    return found


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch):
    """Set environment variables for the settings object, for one test."""

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield set_env
    get_settings.cache_clear()


def uncached(session: Session, params: dict[str, Any]) -> bytes:
    """What the endpoint returned before the cache existed: the search, encoded by JSONResponse."""
    slots = availability.search_free_slots(
        session,
        service_code=params["service"],
        location=_str(params.get("location")),
        near=params.get("near"),
        provider_id=params.get("provider"),
        start=_str(params.get("start")),
        end=_str(params.get("end")),
        radius_miles=params.get("radius_miles"),
        limit=params.get("limit", 500),
    )
    return bytes(JSONResponse({"slots": slots}).body)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def served(client, session: Session, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The endpoint's slots, after checking that its bytes are the uncached search's."""
    response = client.get("/v1/availability", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.content == uncached(session, params)
    return response.json()["slots"]


def tuesday_params(**extra: Any) -> dict[str, Any]:
    day = upcoming_weekday(1)
    return {"service": "pt_evaluation", "start": str(day), "end": str(day)} | extra


def slot_body(slot: dict[str, Any]) -> dict[str, Any]:
    return {key: slot[key] for key in ("service", "location_id", "provider_id", "start")}


def starts(slots: list[dict[str, Any]]) -> set[tuple[str, int, int]]:
    return {(s["start"], s["location_id"], s["provider_id"]) for s in slots}


def key_of(slot: dict[str, Any]) -> tuple[str, int, int]:
    return (slot["start"], slot["location_id"], slot["provider_id"])


def revision(session: Session) -> tuple[int, int]:
    row = session.execute(select(CalendarRevision.revision, CalendarRevision.stamp)).one()
    return (row[0], row[1])


def provider_id_named(session: Session, name: str) -> int:
    found = session.execute(select(Provider.id).where(Provider.display_name == name)).scalar_one()
    return int(found)


class TestServedFromTheCache:
    def test_a_repeated_query_is_served_from_the_cache_with_one_query(self, client, session, clock, cache):
        params = tuesday_params()
        first = served(client, session, params)
        statements: list[str] = []
        connection = session.connection()
        event.listen(connection, "before_cursor_execute", lambda *args: statements.append(args[2]))
        hits = cache.hits

        again = client.get("/v1/availability", params=params)

        assert again.json()["slots"] == first and len(first) > 10
        assert cache.hits == hits + 1
        assert statements == [slot_cache._REVISION_SQL]

    def test_each_limit_and_date_is_its_own_answer(self, client, session, clock):
        counts = [len(served(client, session, tuesday_params(limit=limit))) for limit in (1, 7, 500)]
        assert counts[:2] == [1, 7] and counts[2] > 7
        wednesday = upcoming_weekday(2)
        served(client, session, tuesday_params(start=str(wednesday), end=str(wednesday)))
        served(client, session, tuesday_params(limit=3))

    def test_a_capped_entry_does_not_serve_a_larger_limit(self, client, session, clock, cache):
        day = upcoming_weekday(1)
        params = {
            "service": "pt_evaluation",
            "start": str(day),
            "end": str(day + timedelta(days=7)),
            "limit": 5,
        }
        served(client, session, params)
        misses = cache.misses

        assert len(served(client, session, params | {"limit": 300})) == 300

        assert cache.misses == misses + 1  # the five-slot entry could not tell what comes next

    def test_near_a_zip_with_distances(self, client, session, clock, cache):
        params = tuesday_params(near="91006", radius_miles=100, limit=40)
        first = served(client, session, params)
        hits = cache.hits
        assert served(client, session, params) == first
        assert cache.hits == hits + 1
        assert {s["distance_miles"] is not None for s in first} == {True}

    def test_without_a_window_the_default_week_from_now(self, client, session, clock, cache):
        params = {"service": "pt_evaluation", "limit": 12}
        served(client, session, params)
        clock.advance(seconds=5)
        hits = cache.hits
        served(client, session, params)
        assert cache.hits == hits + 1

    def test_with_the_cache_off_the_same_bytes(self, client, session, clock, settings_env):
        settings_env(SLOT_CACHE_ENTRIES="0")
        assert slot_cache.cache_for(session) is None
        served(client, session, tuesday_params())
        served(client, session, tuesday_params(near="91006"))


class TestWritesAreSeenAtOnce:
    def test_a_new_booking(self, client, session, clock):
        before = served(client, session, tuesday_params())
        booked = client.post("/v1/appointments", json=slot_body(before[0]) | {"patient": PATIENT})
        assert booked.status_code == 201

        after = served(client, session, tuesday_params())

        assert key_of(before[0]) not in starts(after)

    def test_a_cancellation(self, client, session, clock):
        slot = served(client, session, tuesday_params())[0]
        booked = client.post("/v1/appointments", json=slot_body(slot) | {"patient": PATIENT}).json()
        assert key_of(slot) not in starts(served(client, session, tuesday_params()))

        cancelled = client.post(
            f"/v1/appointments/{booked['confirmation_code']}/cancel",
            headers={"X-Manage-Token": booked["manage_token"]},
        )
        assert cancelled.status_code == 200

        assert key_of(slot) in starts(served(client, session, tuesday_params()))

    def test_a_hold_and_its_release(self, client, session, clock):
        slot = served(client, session, tuesday_params())[0]
        hold = client.post("/v1/holds", json=slot_body(slot))
        assert hold.status_code == 201

        assert key_of(slot) not in starts(served(client, session, tuesday_params()))

        assert client.delete(f"/v1/holds/{hold.json()['id']}").status_code == 204
        assert key_of(slot) in starts(served(client, session, tuesday_params()))

    def test_a_hold_moved_into_the_past_by_sql(self, client, session, clock):
        slot = served(client, session, tuesday_params())[0]
        hold_id = client.post("/v1/holds", json=slot_body(slot)).json()["id"]
        assert key_of(slot) not in starts(served(client, session, tuesday_params()))

        session.execute(
            update(Appointment)
            .where(Appointment.id == hold_id)
            .values(hold_expires_at=clock.now - timedelta(seconds=1))
        )

        assert key_of(slot) in starts(served(client, session, tuesday_params()))

    def test_a_schedule_change(self, client, session, clock, admin_headers):
        provider_id = provider_id_named(session, "Priya Stonebridge")
        params = tuesday_params(provider=provider_id)
        assert any(s["start"][11:16] == "08:00" for s in served(client, session, params))
        site = session.execute(
            text("SELECT location_id FROM provider_location WHERE provider_id = :p ORDER BY location_id"),
            {"p": provider_id},
        ).scalar()
        hours = [{"location_id": site, "weekday": "tue", "starts": "14:00", "ends": "16:00"}]
        response = client.put(
            f"/v1/admin/providers/{provider_id}/working-hours", json={"hours": hours}, headers=admin_headers
        )
        assert response.status_code == 200

        after = served(client, session, params)

        assert after and {s["start"][11:13] for s in after} <= {"14", "15"}

    def test_time_off_written_straight_to_the_table(self, client, session, clock):
        provider_id = provider_id_named(session, "Priya Stonebridge")
        params = tuesday_params(provider=provider_id)
        assert served(client, session, params)

        session.add(
            ScheduleException(provider_id=provider_id, on_date=upcoming_weekday(1), kind="time_off", note="x")
        )
        session.flush()

        assert served(client, session, params) == []

    def test_a_site_closure(self, client, session, clock):
        slots = served(client, session, tuesday_params())
        closed = slots[0]["location_id"]

        session.add(SiteClosure(location_id=closed, on_date=upcoming_weekday(1), reason="Holiday"))
        session.flush()

        after = served(client, session, tuesday_params())
        assert after and closed not in {s["location_id"] for s in after}

    def test_a_catalogue_change(self, client, session, clock):
        slots = served(client, session, tuesday_params())
        provider_id, location_id = slots[0]["provider_id"], slots[0]["location_id"]

        session.execute(update(Provider).where(Provider.id == provider_id).values(active=False))
        assert provider_id not in {s["provider_id"] for s in served(client, session, tuesday_params())}

        service_id = session.execute(select(Service.id).where(Service.code == "pt_evaluation")).scalar_one()
        session.execute(
            delete(LocationService).where(
                LocationService.location_id == location_id, LocationService.service_id == service_id
            )
        )
        assert location_id not in {s["location_id"] for s in served(client, session, tuesday_params())}

    def test_a_site_moved_changes_distances(self, client, session, clock):
        params = tuesday_params(near="91006", radius_miles=200, limit=50)
        before = served(client, session, params)
        moved = before[0]["location_id"]

        session.execute(update(Location).where(Location.id == moved).values(latitude=35.5, longitude=-119.0))

        after = served(client, session, params)
        assert {s["distance_miles"] for s in after if s["location_id"] == moved} != {
            s["distance_miles"] for s in before if s["location_id"] == moved
        }


class TestTimeAloneIsSeen:
    """Nothing is written; only the clock moves."""

    def test_a_hold_running_out(self, client, session, clock, cache, settings_env):
        settings_env(SLOT_CACHE_MAX_AGE_SECONDS="3600")  # the hold, not the entry's age, must end it
        slot = served(client, session, tuesday_params())[0]
        hold = client.post("/v1/holds", json=slot_body(slot)).json()
        assert key_of(slot) not in starts(served(client, session, tuesday_params()))
        written = revision(session)

        clock.now = datetime.fromisoformat(hold["expires_at"]) - timedelta(seconds=1)
        assert key_of(slot) not in starts(served(client, session, tuesday_params()))
        clock.advance(seconds=1)
        misses = cache.misses

        assert key_of(slot) in starts(served(client, session, tuesday_params()))
        assert revision(session) == written
        assert cache.misses == misses + 1

    def test_a_hold_running_out_on_the_real_clock(self, client, session):
        slot = served(client, session, tuesday_params())[0]
        expires_at = datetime.now(UTC) + timedelta(seconds=2)
        session.execute(
            insert(Appointment).values(
                id=uuid.uuid4().hex,
                status=AppointmentStatus.held,
                provider_id=slot["provider_id"],
                location_id=slot["location_id"],
                service_id=session.execute(
                    select(Service.id).where(Service.code == "pt_evaluation")
                ).scalar(),
                starts_at=datetime.fromisoformat(slot["start"]),
                ends_at=datetime.fromisoformat(slot["end"]),
                blocked_from=datetime.fromisoformat(slot["start"]),
                blocked_until=datetime.fromisoformat(slot["end"]),
                hold_expires_at=expires_at,
                channel="online",
            )
        )
        assert key_of(slot) not in starts(served(client, session, tuesday_params()))
        written = revision(session)

        time.sleep((expires_at - datetime.now(UTC)).total_seconds() + 0.05)

        assert key_of(slot) in starts(served(client, session, tuesday_params()))
        assert revision(session) == written

    def test_the_minimum_notice_passing_a_slot(self, client, session, clock, cache):
        notice = timedelta(minutes=get_settings().min_notice_minutes)
        day = upcoming_weekday(1)
        slot_at = datetime.fromisoformat(served(client, session, tuesday_params())[10]["start"])
        clock.now = (slot_at - notice - timedelta(seconds=10)).astimezone(UTC)
        params = {"service": "pt_evaluation", "end": str(day)}  # from now
        assert slot_at in [datetime.fromisoformat(s["start"]) for s in served(client, session, params)]
        clock.advance(seconds=20)
        hits = cache.hits

        after = served(client, session, params)

        assert slot_at not in [datetime.fromisoformat(s["start"]) for s in after]
        assert cache.hits == hits + 1  # the entry holds the slot; serving it leaves it out

    def test_the_horizon_reaching_a_slot(self, client, session, clock, cache):
        horizon = timedelta(days=get_settings().booking_horizon_days)
        day = upcoming_weekday(1, at_least_days=get_settings().booking_horizon_days - 5)
        params = {"service": "pt_evaluation", "start": str(day), "end": str(day), "limit": 2000}
        clock.now = clock.now + timedelta(days=10)  # the whole day inside the horizon
        slot_at = datetime.fromisoformat(served(client, session, params)[30]["start"])
        clock.now = (slot_at - horizon - timedelta(seconds=10)).astimezone(UTC)
        assert slot_at not in [datetime.fromisoformat(s["start"]) for s in served(client, session, params)]
        clock.advance(seconds=20)
        hits = cache.hits

        after = served(client, session, params)

        assert slot_at in [datetime.fromisoformat(s["start"]) for s in after]
        assert cache.hits == hits + 1

    def test_the_default_week_reaching_a_slot(self, client, session, clock, cache):
        provider_id = provider_id_named(session, "Priya Stonebridge")
        params = {"service": "pt_evaluation", "provider": provider_id, "limit": 10_000}
        day = upcoming_weekday(1, at_least_days=8)
        slot_at = datetime.fromisoformat(
            served(client, session, params | {"start": str(day), "end": str(day)})[3]["start"]
        )
        clock.now = (slot_at - timedelta(days=7, seconds=10)).astimezone(UTC)
        assert slot_at not in [datetime.fromisoformat(s["start"]) for s in served(client, session, params)]
        clock.advance(seconds=20)
        hits = cache.hits

        assert slot_at in [datetime.fromisoformat(s["start"]) for s in served(client, session, params)]
        assert cache.hits == hits + 1

    def test_an_entry_is_recomputed_after_its_maximum_age(self, client, session, clock, cache):
        served(client, session, tuesday_params())
        clock.advance(seconds=get_settings().slot_cache_max_age_seconds)
        misses = cache.misses
        served(client, session, tuesday_params())
        assert cache.misses == misses + 1

    def test_a_clock_stepping_back_is_a_miss(self, client, session, clock, cache):
        served(client, session, tuesday_params())
        clock.advance(seconds=-1)
        misses = cache.misses
        served(client, session, tuesday_params())
        assert cache.misses == misses + 1


class TestOlderRevisionsAreNeverServed:
    def test_any_write_to_a_slot_table_retires_every_entry(self, client, session, clock, cache):
        served(client, session, tuesday_params())
        far = upcoming_weekday(1) + timedelta(days=60)
        session.add(SiteClosure(location_id=None, on_date=far, reason="unrelated to Tuesday"))
        session.flush()
        misses = cache.misses

        served(client, session, tuesday_params())

        assert cache.misses == misses + 1

    def test_slots_computed_in_a_rolled_back_transaction_are_never_served(self, client, session, clock):
        # A rolled-back writer's revision number is taken again by the next writer; its stamp is not.
        slots = served(client, session, tuesday_params())
        first_site, other_site = slots[0]["location_id"], slots[-1]["location_id"]
        assert first_site != other_site
        connection = session.connection()
        savepoint = connection.begin_nested()
        connection.execute(
            insert(SiteClosure).values(location_id=first_site, on_date=upcoming_weekday(1), reason="")
        )
        rolled_back = revision(session)
        assert first_site not in {s["location_id"] for s in served(client, session, tuesday_params())}
        savepoint.rollback()

        connection.execute(
            insert(SiteClosure).values(location_id=other_site, on_date=upcoming_weekday(1), reason="")
        )

        assert revision(session)[0] == rolled_back[0] and revision(session)[1] != rolled_back[1]
        after = {s["location_id"] for s in served(client, session, tuesday_params())}
        assert first_site in after and other_site not in after

    def test_an_entry_is_kept_per_revision(self):
        now = datetime.now(UTC)
        cache = SlotCache(max_entries=4, max_bytes=1 << 20)
        cache.put("key", _entry((1, 7), now, [now + timedelta(hours=1)]))

        def serve(revision: tuple[int, int], at: datetime) -> bytes | None:
            return cache.serve(
                "key", revision=revision, now=at, low=now, high=now + timedelta(days=1), limit=9
            )

        assert serve((1, 7), now) == b'{"slots":[{"start":"x","n":0}]}'
        assert cache.serve("key", revision=(1, 7), now=now, low=now, high=now, limit=9) == b'{"slots":[]}'
        assert serve((2, 7), now) is None
        assert serve((1, 8), now) is None
        assert serve((1, 7), now + timedelta(minutes=1)) is None  # expired
        assert serve((1, 7), now - timedelta(seconds=1)) is None  # before it was computed


class TestThePartnerRestriction:
    def test_is_checked_on_a_cached_entry(self, client, session, clock, cache):
        served(client, session, tuesday_params())
        partner = partners_service.create_partner(
            session=session,
            data=PartnerCreate(
                name="PT only", allowed_origins=["https://pt.example.org"], service_lines=["physical_therapy"]
            ),
        )
        pain_only = partners_service.create_partner(
            session=session,
            data=PartnerCreate(
                name="Pain only",
                allowed_origins=["https://pain.example.org"],
                service_lines=["interventional_pain"],
            ),
        )
        hits = cache.hits
        try:
            allowed = client.get(
                "/v1/availability",
                params=tuesday_params(),
                headers={"X-Partner-Key": partner.publishable_key},
            )
            refused = client.get(
                "/v1/availability",
                params=tuesday_params(),
                headers={"X-Partner-Key": pain_only.publishable_key},
            )
        finally:
            partners_service.forget_cached_partners()

        assert allowed.status_code == 200 and allowed.content == uncached(session, tuesday_params())
        assert cache.hits == hits + 1
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["service"]


class TestTriggers:
    def test_every_table_that_decides_free_slots_has_its_triggers(self, session):
        if session.get_bind().dialect.name == "sqlite":
            rows = session.execute(
                text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            found = {
                (table, name.rsplit("_", 1)[1].upper()) for table, name in rows if "calendar_revision" in name
            }
        else:
            found = set(
                session.execute(
                    text(
                        "SELECT event_object_table, event_manipulation FROM information_schema.triggers "
                        "WHERE action_statement LIKE '%bump_calendar_revision%'"
                    )
                ).all()
            )
        assert found == {(table, op) for table in SLOT_TABLES for op in ("INSERT", "UPDATE", "DELETE")}

    @pytest.mark.parametrize("table", SLOT_TABLES)
    def test_a_change_to_any_of_them_bumps_the_revision(self, client, session, table):
        hold = client.post("/v1/holds", json=slot_body(served_slot(client)))
        assert hold.status_code == 201
        session.add(SiteClosure(location_id=None, on_date=date(2030, 1, 1)))
        session.add(
            ScheduleException(
                provider_id=hold.json()["provider_id"], on_date=date(2030, 1, 1), kind="time_off"
            )
        )
        session.flush()
        column = session.execute(text(f"SELECT * FROM {table} LIMIT 1")).keys()
        first = next(iter(column))
        before = revision(session)

        session.execute(text(f"UPDATE {table} SET {first} = {first}"))

        after = revision(session)
        assert after[0] > before[0] and after[1] != before[1]

    def test_the_revision_outside_a_transaction_is_read_without_one(self, engine):
        with Session(engine) as fresh:
            read = slot_cache.current_revision(fresh)
            assert not fresh.in_transaction()
            assert read == slot_cache.revision_in_transaction(fresh)


def served_slot(client) -> dict[str, Any]:
    response = client.get("/v1/availability", params=tuesday_params())
    return response.json()["slots"][0]


def _entry(revision: tuple[int, int], now: datetime, slot_starts: list[datetime]):
    return new_entry(
        revision=revision,
        computed_at=now,
        expires_at=now + timedelta(seconds=30),
        starts=slot_starts,
        slots_json=json.dumps(
            [{"start": "x", "n": n} for n in range(len(slot_starts))], separators=(",", ":")
        ).encode(),
        complete=True,
        service_line="physical_therapy",
    )


class TestTheLeastRecentlyUsedBound:
    def test_evicts_the_oldest_beyond_its_entries(self):
        now = datetime.now(UTC)
        cache = SlotCache(max_entries=2, max_bytes=1 << 20)
        for key in ("a", "b"):
            cache.put(key, _entry((1, 1), now, [now]))
        cache.serve("a", revision=(1, 1), now=now, low=now, high=now + timedelta(1), limit=1)
        cache.put("c", _entry((1, 1), now, [now]))
        assert len(cache) == 2
        assert cache.serve("b", revision=(1, 1), now=now, low=now, high=now + timedelta(1), limit=1) is None
        assert cache.serve("a", revision=(1, 1), now=now, low=now, high=now + timedelta(1), limit=1)

    def test_evicts_beyond_its_bytes_and_skips_an_entry_too_big(self):
        now = datetime.now(UTC)
        one = _entry((1, 1), now, [now] * 10)
        cache = SlotCache(max_entries=100, max_bytes=one.size * 2)
        for key in ("a", "b", "c"):
            cache.put(key, one)
        assert len(cache) == 2
        cache.put("big", _entry((1, 1), now, [now] * 30))
        assert len(cache) == 2

    def test_a_capped_entry_cannot_answer_for_more_than_it_holds(self):
        now = datetime.now(UTC)
        entry = new_entry(
            revision=(1, 1),
            computed_at=now,
            expires_at=now + timedelta(seconds=30),
            starts=[now + timedelta(minutes=m) for m in range(5)],
            slots_json=b'[{"start":0},{"start":1},{"start":2},{"start":3},{"start":4}]',
            complete=False,
            service_line="x",
        )
        assert entry.body(now, now + timedelta(days=1), 5) == (
            b'{"slots":[{"start":0},{"start":1},{"start":2},{"start":3},{"start":4}]}'
        )
        assert entry.body(now + timedelta(minutes=2), now + timedelta(days=1), 2) == (
            b'{"slots":[{"start":2},{"start":3}]}'
        )
        assert entry.body(now + timedelta(hours=2), now + timedelta(days=1), 2) is None
        assert entry.body(now + timedelta(minutes=2), now + timedelta(days=1), 4) is None
        assert entry.body(now, now + timedelta(minutes=2), 4) is None  # might more come after the cap?

    def test_slots_are_cut_apart_whatever_their_strings_hold(self):
        now = datetime.now(UTC)
        tricky = [{"start": "a", "note": '},{"start":'}, {"start": "b", "note": "},{"}]

        def encode(value: object) -> bytes:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

        entry = new_entry(
            revision=(1, 1),
            computed_at=now,
            expires_at=now + timedelta(seconds=30),
            starts=[now, now + timedelta(minutes=1)],
            slots_json=encode(tricky),
            complete=True,
            service_line="x",
        )
        assert entry.body(now, now + timedelta(minutes=1), 5) == encode({"slots": tricky[:1]})
        assert entry.body(now + timedelta(minutes=1), now + timedelta(days=1), 5) == encode(
            {"slots": tricky[1:]}
        )
        assert entry.body(now, now + timedelta(days=1), 5) == encode({"slots": tricky})


class TestOneComputationPerKey:
    def test_a_second_miss_of_the_same_key_waits_for_the_first(self):
        cache = SlotCache(max_entries=4, max_bytes=1 << 20)
        order: list[str] = []
        inside = threading.Event()

        def first() -> None:
            with cache.computing("key"):
                inside.set()
                time.sleep(0.2)
                order.append("first computed")

        thread = threading.Thread(target=first)
        thread.start()
        inside.wait()
        with cache.computing("key"):
            order.append("second looks again")
        thread.join()

        assert order == ["first computed", "second looks again"]

    def test_the_wait_is_bounded(self, monkeypatch):
        monkeypatch.setattr(slot_cache, "_COMPUTE_WAIT_SECONDS", 0.05)
        cache = SlotCache(max_entries=4, max_bytes=1 << 20)
        inside, release = threading.Event(), threading.Event()

        def stuck() -> None:
            with cache.computing("key"):
                inside.set()
                release.wait(5)

        thread = threading.Thread(target=stuck)
        thread.start()
        inside.wait()
        started = time.perf_counter()
        with cache.computing("key"):
            waited = time.perf_counter() - started
        release.set()
        thread.join()

        assert 0.04 < waited < 1

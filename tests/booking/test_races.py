"""Hard guarantees 1 and 2 under real concurrency: many clients, several worker processes, both databases.

Each backend gets a fresh database prepared with the command line (`migrate`, `seed-demo`,
`create-admin`) and `uvicorn main:app --workers 4`; the clients are threads released together by a
barrier, each with its own HTTP connection. What the database holds afterwards is read with SQL,
not through the API under test.
"""

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, text

from core.database import make_engine
from tests.conftest import BACKENDS, scratch_database
from tests.live_server import LiveServer, create_admin, prepare_database

pytestmark = pytest.mark.slow

WORKERS = 4
ADMIN_EMAIL = "race.admin@example.org"
ADMIN_PASSWORD = "race-admin-password-1"
BLOCKING = "('held', 'booked', 'fulfilled', 'noshow')"
SLOT_TAKEN = {"/problems/slot-unavailable", "/problems/hold-expired"}
IN_PROGRESS = "/problems/idempotent-request-in-progress"
LOS_ANGELES = ZoneInfo("America/Los_Angeles")  # every demo site's zone
PATIENT = {
    "given_name": "Racer",
    "family_name": "Ruiz",
    "birth_date": "1980-02-03",
    "phone": "(626) 555-0101",
    "email": "racer@example.org",
}


@dataclass
class Racetrack:
    """A live multi-worker server, the engine of its database, and an admin token."""

    server: LiveServer
    engine: Engine
    admin_headers: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params))

    def explain(self, shots: list["Shot"]) -> str:
        """What the responses were, and what the server logged as errors."""
        error = self.server.first_error()
        return summary(shots) + (f"\nthe server's first error:\n{error}" if error else "")

    def assert_no_server_errors(self) -> None:
        """Nothing unhandled in any worker (and on SQLite, never "database is locked")."""
        errors = self.server.errors_logged()
        assert not errors, f"{len(errors)} error lines; the first error:\n{self.server.first_error()}"


@pytest.fixture(scope="module", params=BACKENDS)
def racetrack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Racetrack]:
    url, drop = scratch_database(request.param, str(tmp_path_factory.mktemp(f"races-{request.param}")))
    engine = make_engine(url)
    try:
        # MIN_NOTICE_MINUTES=0 only widens the bookable window; no rule under test depends on it.
        prepare_database(url, MIN_NOTICE_MINUTES="0")
        create_admin(url, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        with LiveServer(url, workers=WORKERS, MIN_NOTICE_MINUTES="0") as server:
            login = httpx.post(
                f"{server.url}/v1/auth/token",
                data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                timeout=30,
            )
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            yield Racetrack(server=server, engine=engine, admin_headers=headers)
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]


# --- firing requests together -----------------------------------------------------------------------


@dataclass(frozen=True)
class Shot:
    """One request's answer, reduced to what the assertions need (bodies parsed while still valid)."""

    request: dict[str, Any]
    status: int
    content_type: str
    body: Any
    replayed: bool


def fire_together(
    base_url: str, requests: list[dict[str, Any]], *, method: str = "POST", timeout: float = 120
) -> list[Shot]:
    """Send every request at once: one thread and one connection each, released by a barrier.

    Each request is `{"path": ..., "json": ..., "headers": ...}`; answers come back in request order.
    """
    barrier = threading.Barrier(len(requests))

    def send(request: dict[str, Any]) -> Shot:
        with httpx.Client(base_url=base_url, timeout=timeout) as client:
            client.get("/healthz")  # connect before the barrier, so the requests leave together
            barrier.wait(timeout=timeout)
            response = client.request(
                method, request["path"], json=request.get("json"), headers=request.get("headers")
            )
            content_type = response.headers.get("content-type", "").split(";")[0]
            try:
                body = response.json()
            except ValueError:
                body = response.text
            return Shot(
                request=request,
                status=response.status_code,
                content_type=content_type,
                body=body,
                replayed=response.headers.get("Idempotent-Replayed") == "true",
            )

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def summary(shots: list[Shot]) -> str:
    kinds = Counter(
        (shot.status, shot.body.get("type") if isinstance(shot.body, dict) else None) for shot in shots
    )
    return ", ".join(f"{count} x {status} {kind or ''}".strip() for (status, kind), count in kinds.items())


def assert_clean_conflict(shot: Shot, allowed_types: set[str]) -> None:
    assert shot.status == 409, shot
    assert shot.content_type == "application/problem+json", shot
    assert shot.body["type"] in allowed_types, shot
    assert shot.body["status"] == 409 and shot.body["detail"], shot


# --- helpers over the public and admin API ------------------------------------------------------------


def free_slots(base_url: str, service: str, day: date, **params: Any) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{base_url}/v1/availability",
        params={"service": service, "start": str(day), "end": str(day), "limit": 10_000, **params},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return list(response.json()["slots"])


def slot_choice(slot: dict[str, Any]) -> dict[str, Any]:
    return {key: slot[key] for key in ("service", "location_id", "provider_id", "start")}


def patient(n: int) -> dict[str, str]:
    return PATIENT | {"given_name": f"Racer{n}", "email": f"racer{n}@example.org"}


def booking(slot: dict[str, Any], n: int, **headers: str) -> dict[str, Any]:
    return {
        "path": "/v1/appointments",
        "json": slot_choice(slot) | {"patient": patient(n)},
        "headers": headers,
    }


def appointments_at(track: Racetrack, slot: dict[str, Any], *, blocking_only: bool = True) -> list[Any]:
    """The provider's rows (by default only those blocking time) that start at the slot's start."""
    start = datetime.fromisoformat(slot["start"])
    rows = track.rows(
        "SELECT id, status, starts_at FROM appointment WHERE provider_id = :provider"
        + (f" AND status IN {BLOCKING}" if blocking_only else ""),
        provider=slot["provider_id"],
    )
    # Compared in Python: SQLite hands back naive UTC text, PostgreSQL an aware datetime.
    return [row for row in rows if _aware(row.starts_at) == start]


def _aware(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def a_day(weekday: int, weeks_ahead: int) -> date:
    """A date with this weekday (0 = Monday), `weeks_ahead` weeks after the first one at least two days
    from now: each test races on its own day, so tests sharing a server never touch each other's slots."""
    first = datetime.now(LOS_ANGELES).date() + timedelta(days=2)
    return first + timedelta(days=(weekday - first.weekday()) % 7, weeks=weeks_ahead)


# --- the races ----------------------------------------------------------------------------------------


class TestRacingForOneSlot:
    RACERS = 120

    def test_one_booking_wins_and_every_other_racer_gets_a_clean_409(self, racetrack: Racetrack) -> None:
        slot = free_slots(racetrack.url, "pt_evaluation", a_day(1, 0))[0]

        shots = fire_together(racetrack.url, [booking(slot, n) for n in range(self.RACERS)])

        assert all(shot.status < 500 for shot in shots), racetrack.explain(shots)
        winners = [shot for shot in shots if shot.status == 201]
        assert len(winners) == 1, racetrack.explain(shots)
        for shot in shots:
            if shot.status != 201:
                assert_clean_conflict(shot, SLOT_TAKEN)
        assert [row.id for row in appointments_at(racetrack, slot, blocking_only=False)] == [
            winners[0].body["id"]
        ]
        assert winners[0].body["status"] == "booked" and winners[0].body["start"] == slot["start"]
        assert slot["start"] not in [
            s["start"]
            for s in free_slots(
                racetrack.url,
                "pt_evaluation",
                a_day(1, 0),
                provider=slot["provider_id"],
                location=slot["location_id"],
            )
        ]
        racetrack.assert_no_server_errors()

    def test_one_hold_wins(self, racetrack: Racetrack) -> None:
        slot = free_slots(racetrack.url, "pt_evaluation", a_day(2, 1))[0]
        requests = [{"path": "/v1/holds", "json": slot_choice(slot)} for _ in range(self.RACERS)]

        shots = fire_together(racetrack.url, requests)

        assert all(shot.status < 500 for shot in shots), racetrack.explain(shots)
        winners = [shot for shot in shots if shot.status == 201]
        assert len(winners) == 1, racetrack.explain(shots)
        for shot in shots:
            if shot.status != 201:
                assert_clean_conflict(shot, SLOT_TAKEN)
        held = appointments_at(racetrack, slot, blocking_only=False)
        assert [(row.id, row.status) for row in held] == [(winners[0].body["id"], "held")]
        racetrack.assert_no_server_errors()

    def test_bookers_and_holders_racing_together_leave_one_claim(self, racetrack: Racetrack) -> None:
        slot = free_slots(racetrack.url, "pt_evaluation", a_day(3, 1))[0]
        requests = [
            booking(slot, n) if n % 2 else {"path": "/v1/holds", "json": slot_choice(slot)}
            for n in range(self.RACERS)
        ]

        shots = fire_together(racetrack.url, requests)

        assert all(shot.status < 500 for shot in shots), racetrack.explain(shots)
        assert sum(shot.status == 201 for shot in shots) == 1, racetrack.explain(shots)
        for shot in shots:
            if shot.status != 201:
                assert_clean_conflict(shot, SLOT_TAKEN)
        assert len(appointments_at(racetrack, slot, blocking_only=False)) == 1
        racetrack.assert_no_server_errors()


DURATIONS = (30, 45, 60, 90)


@pytest.fixture(scope="module")
def visit_types(racetrack: Racetrack) -> tuple[int, list[str]]:
    """Physical therapy visits of four lengths (the 45-minute one with buffers) offered at Glendale."""
    with httpx.Client(base_url=racetrack.url, headers=racetrack.admin_headers, timeout=30) as admin:
        codes = []
        for minutes in DURATIONS:
            code = f"pt_race_{minutes}_{uuid.uuid4().hex[:6]}"
            response = admin.post(
                "/v1/admin/services",
                json={
                    "code": code,
                    "name": f"Race visit {minutes} min",
                    "service_line": "physical_therapy",
                    "duration_minutes": minutes,
                    "bookable_online": True,
                    # Buffers make the blocked interval longer than the visit: they must count too.
                    "buffer_before_minutes": 5 if minutes == 45 else 0,
                    "buffer_after_minutes": 10 if minutes == 45 else 0,
                },
            )
            assert response.status_code == 201, response.text
            codes.append(code)
        glendale = next(
            site for site in admin.get("/v1/admin/locations").json() if site["slug"] == "glendale"
        )
        response = admin.patch(
            f"/v1/admin/locations/{glendale['id']}", json={"services": glendale["services"] + codes}
        )
        assert response.status_code == 200, response.text
    return int(glendale["id"]), codes


class TestOverlappingVisitsOfDifferentLengths:
    def test_no_two_claims_of_the_provider_overlap(
        self, racetrack: Racetrack, visit_types: tuple[int, list[str]]
    ) -> None:
        location_id, codes = visit_types
        day = a_day(1, 2)
        requests: list[dict[str, Any]] = []
        # One therapist at Glendale that day: every request below competes for their time.
        provider = free_slots(racetrack.url, codes[0], day, location=location_id)[0]["provider_id"]
        slots_by_code = {
            code: free_slots(racetrack.url, code, day, location=location_id, provider=provider)
            for code in codes
        }
        for index, (code, slots) in enumerate(slots_by_code.items()):
            assert slots, f"no free slots for {code}"
            # Every length at every start on its grid: each request overlaps several of other lengths.
            for n, slot in enumerate(slots):
                if n % 3 == 2:
                    requests.append({"path": "/v1/holds", "json": slot_choice(slot)})
                else:
                    requests.append(booking(slot, 1000 * index + n))
        assert len(requests) >= 60

        shots = fire_together(racetrack.url, requests)

        assert all(shot.status < 500 for shot in shots), racetrack.explain(shots)
        for shot in shots:
            if shot.status != 201:
                assert_clean_conflict(shot, SLOT_TAKEN)
        winners = [shot for shot in shots if shot.status == 201]
        # Enough of both outcomes that the race meant something.
        assert 4 <= len(winners) < len(requests) // 2, racetrack.explain(shots)
        overlapping = racetrack.rows(
            f"""
            SELECT a.id, b.id, a.blocked_from, a.blocked_until, b.blocked_from, b.blocked_until
            FROM appointment a JOIN appointment b
              ON a.provider_id = b.provider_id AND a.id < b.id
             AND a.blocked_from < b.blocked_until AND b.blocked_from < a.blocked_until
            WHERE a.provider_id = :provider AND a.status IN {BLOCKING} AND b.status IN {BLOCKING}
            """,
            provider=provider,
        )
        assert overlapping == []
        claimed = racetrack.scalar(
            f"SELECT count(*) FROM appointment WHERE provider_id = :provider AND status IN {BLOCKING}",
            provider=provider,
        )
        assert claimed == len(winners)
        racetrack.assert_no_server_errors()


class TestOneIdempotencyKeyFiredManyTimes:
    SHOTS = 50

    def test_books_once_and_every_answer_is_the_booking_or_in_progress(self, racetrack: Racetrack) -> None:
        slot = free_slots(racetrack.url, "pt_evaluation", a_day(4, 2))[0]
        key = f"race-{uuid.uuid4()}"
        request = booking(slot, 7, **{"Idempotency-Key": key})

        shots = fire_together(racetrack.url, [request] * self.SHOTS)

        assert all(shot.status in (201, 409) for shot in shots), racetrack.explain(shots)
        created = [shot for shot in shots if shot.status == 201]
        assert created, racetrack.explain(shots)
        assert sum(not shot.replayed for shot in created) == 1, racetrack.explain(shots)
        first = created[0].body
        assert all(shot.body == first for shot in created)  # replays carry the same code and token
        for shot in shots:
            if shot.status == 409:
                assert_clean_conflict(shot, {IN_PROGRESS})
        assert [row.id for row in appointments_at(racetrack, slot, blocking_only=False)] == [first["id"]]

        with httpx.Client(base_url=racetrack.url, timeout=30) as client:
            retry = client.post(request["path"], json=request["json"], headers=request["headers"])
            assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
            assert retry.json() == first

            changed = request["json"] | {"reason": "a different request under the same key"}
            reused = client.post(request["path"], json=changed, headers=request["headers"])
            assert reused.status_code == 422, reused.text
            assert reused.headers["content-type"].startswith("application/problem+json")
            assert any(error["field"] == "Idempotency-Key" for error in reused.json()["errors"])
        assert len(appointments_at(racetrack, slot, blocking_only=False)) == 1
        assert racetrack.scalar("SELECT count(*) FROM idempotency_record WHERE key = :key", key=key) == 1
        racetrack.assert_no_server_errors()

"""Benchmark booking: many concurrent bookings of distinct free slots, against the empty endpoint.

Takes free slots of the demo network's online-bookable services from GET /v1/availability, keeps
a set that never overlap for any provider (so every booking should succeed), and books them all
with POST /v1/appointments from concurrent clients, each booking with its own Idempotency-Key as a
real client sends. Prints bookings per second next to GET /healthz sent by the same client at the
same concurrency, the number of errors (transport errors and 5xx: must be 0) and of non-201
answers, and checks the database holds exactly the bookings that were confirmed, none overlapping.

Usage: .venv/bin/python bench/booking.py [--database sqlite|postgresql] [--workers N]
                                         [--bookings 200] [--clients 20]
"""

import argparse
import random
import sys
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from _common import (  # noqa: E402
    LiveServer,
    Request,
    add_common_arguments,
    print_header,
    run_requests,
    scratch_database,
)
from sqlalchemy import text  # noqa: E402

SERVICES = ("pt_evaluation", "pain_consultation", "physiatry_consultation")
PATIENT = {
    "family_name": "Bench",
    "birth_date": "1980-02-03",
    "phone": "(626) 555-0199",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_arguments(parser)
    parser.add_argument("--bookings", type=int, default=200, help="bookings of distinct slots (default 200)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument(
        "--processes", type=int, default=2, help="client processes the clients are spread over (default 2)"
    )
    parser.add_argument("--no-idempotency-key", action="store_true", help="book without Idempotency-Key")
    args = parser.parse_args()

    print(
        f"database {args.database}, {args.workers} worker(s), {args.bookings} bookings by {args.clients} "
        f"concurrent clients in {args.processes} processes"
        + ("" if args.no_idempotency_key else ", each with an Idempotency-Key")
    )
    with scratch_database(args.database) as url, LiveServer(url, workers=args.workers) as server:
        slots = distinct_slots(server.url, args.bookings)
        if len(slots) < args.bookings:
            raise SystemExit(f"only {len(slots)} non-overlapping free slots found")
        bookings: list[Request] = [
            (
                "POST",
                "/v1/appointments",
                {key: slot[key] for key in ("service", "location_id", "provider_id", "start")}
                | {"patient": PATIENT | {"given_name": f"Client{n}", "email": f"client{n}@example.org"}},
                None if args.no_idempotency_key else {"Idempotency-Key": str(uuid.uuid4())},
            )
            for n, slot in enumerate(slots)
        ]
        health: list[Request] = [("GET", "/healthz", None, None)] * max(1000, 10 * args.bookings)

        run_requests(server.url, health[:200], clients=args.clients, processes=args.processes)  # warm-up
        baseline = run_requests(server.url, health, clients=args.clients, processes=args.processes)
        booked = run_requests(server.url, bookings, clients=args.clients, processes=args.processes)

        print_header("POST /v1/appointments, distinct free slots")
        answers = Counter(booked.statuses)
        print(
            f"  {len(bookings)} bookings in {booked.seconds:.2f} s: {booked.rps:.1f} bookings/s   "
            f"/healthz {baseline.rps:.1f} req/s (same client, {args.clients} clients)   "
            f"ratio {booked.rps / baseline.rps:.3f}"
        )
        print(
            f"  errors (transport or 5xx): {booked.errors}   "
            f"non-201 answers: {len(bookings) - answers[201]}   answers: {dict(sorted(answers.items()))}   "
            f"/healthz errors: {baseline.errors}"
        )
        check_database(url, confirmed=answers[201])


def distinct_slots(base_url: str, count: int) -> list[dict[str, Any]]:
    """`count` free slots of the online services, no two overlapping for one provider, shuffled."""
    start = datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=1)
    candidates = []
    for service in SERVICES:
        response = httpx.get(
            f"{base_url}/v1/availability",
            params={
                "service": service,
                "start": str(start),
                "end": str(start + timedelta(days=55)),
                "limit": 10000,
            },
            timeout=120,
        )
        response.raise_for_status()
        candidates += response.json()["slots"]
    candidates.sort(key=lambda slot: (slot["provider_id"], slot["start"]))
    chosen: list[dict[str, Any]] = []
    busy_until: dict[int, datetime] = {}
    for slot in candidates:
        begins, ends = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        if slot["provider_id"] in busy_until and begins < busy_until[slot["provider_id"]]:
            continue  # demo services have no buffers, so the visit is all a booking blocks
        busy_until[slot["provider_id"]] = ends
        chosen.append(slot)
    random.Random(4).shuffle(chosen)
    return chosen[:count]


def check_database(url: str, *, confirmed: int) -> None:
    """The database holds exactly the confirmed bookings, and no two claims of a provider overlap."""
    from core.database import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT count(*) FROM appointment WHERE status = 'booked'")
            ).scalar()
            overlaps = connection.execute(
                text(
                    "SELECT count(*) FROM appointment a JOIN appointment b "
                    "ON a.provider_id = b.provider_id AND a.id < b.id "
                    "AND a.blocked_from < b.blocked_until AND b.blocked_from < a.blocked_until "
                    "WHERE a.status IN ('held', 'booked', 'fulfilled', 'noshow') "
                    "AND b.status IN ('held', 'booked', 'fulfilled', 'noshow')"
                )
            ).scalar()
    finally:
        engine.dispose()
    verdict = "as confirmed" if rows == confirmed and not overlaps else "MISMATCH"
    print(
        f"  database: {rows} booked rows for {confirmed} confirmations, "
        f"{overlaps} overlapping pairs ({verdict})"
    )


if __name__ == "__main__":
    main()

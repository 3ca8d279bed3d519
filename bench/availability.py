"""Benchmark free-slot search against the empty endpoint of the same app.

    1. the demo network: one service (pt_evaluation) at all three sites for 28 days in ONE call,
       requests per second next to GET /healthz (target: at least a third of it);
    2. a large network (200 sites, 1,000 providers with weekly hours, one service): the same call
       over 28 days (the API returns at most 10,000 slots), then for 250/500/1,000 providers x
       7/14/28 days the time to compute EVERY free slot (booking.availability.find_free_slots in
       this process, database reads included), its cost per (provider x day) and a straight-line
       fit, to show the cost grows linearly with both, beside the capped API call's latency.

Each load run alternates /healthz and the endpoint in rounds with the same client (wrk if
installed) and connections; the server is `uvicorn main:app --workers N` on a scratch database.
By default every load figure is measured twice, on a server with the free-slot cache
(booking/slot_cache.py: repeated calls are served from slots computed at the same calendar
revision) and on one with SLOT_CACHE_ENTRIES=0 (every call computes); the scaling table always
uses the uncached server, since it measures the computation. Since any write retires every cached
entry, the demo call is also measured while a client holds and releases slots (two writes each)
at the rates given by --writes.

Usage: .venv/bin/python bench/availability.py [--database sqlite|postgresql] [--workers N]
                                              [--cache both|on|off] [--writes 2,10]
"""

import argparse
import random
import statistics
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from _common import (  # noqa: E402
    LiveServer,
    add_common_arguments,
    compare_loads,
    print_header,
    print_ratio,
    scratch_database,
)
from sqlalchemy import Engine, insert, select, update  # noqa: E402

SERVICE = "pt_evaluation"
DAYS = 28
NETWORK_SERVICE = "bench_visit"
NETWORK_LINE = "bench_network"
ZONES = ("America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--seconds",
        type=float,
        default=12,
        help="load on each endpoint, in 3 alternating rounds (default 12)",
    )
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections (default 4)")
    parser.add_argument("--sites", type=int, default=200, help="sites of the large network (default 200)")
    parser.add_argument(
        "--providers", type=int, default=1000, help="providers of the large network (default 1000)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per scaling point (default 5)")
    parser.add_argument("--skip-network", action="store_true", help="only the demo-network figure")
    parser.add_argument(
        "--cache",
        choices=("both", "on", "off"),
        default="both",
        help="measure with the free-slot cache on, off (SLOT_CACHE_ENTRIES=0) or both (default)",
    )
    parser.add_argument(
        "--writes",
        default="2,10",
        help="hold-and-release cycles per second during extra runs of the demo call (default 2,10; "
        "empty for none)",
    )
    args = parser.parse_args()

    print(
        f"database {args.database}, {args.workers} worker(s), {args.connections} connections, "
        f"{args.seconds:.0f} s of load per endpoint"
    )
    with scratch_database(args.database) as url:
        from core.database import make_engine

        engine = make_engine(url)
        try:
            if not args.skip_network:
                started = time.perf_counter()
                build_network(engine, sites=args.sites, providers=args.providers)
                print(
                    f"built the large network ({args.sites} sites, {args.providers} providers) in "
                    f"{time.perf_counter() - started:.1f} s"
                )
            for cached in {"both": (True, False), "on": (True,), "off": (False,)}[args.cache]:
                label = "slot cache on" if cached else "slot cache off"
                with LiveServer(
                    url, workers=args.workers, SLOT_CACHE_ENTRIES=cache_entries(cached)
                ) as server:
                    demo_network(server.url, args, label)
                    for rate in [float(r) for r in args.writes.split(",") if r.strip()]:
                        demo_network_while_writing(server.url, args, rate)
                    if not args.skip_network:
                        large_network(server.url, args, label)
                        if not cached:
                            scaling(server.url, engine, args)
        finally:
            engine.dispose()


def cache_entries(cached: bool) -> str:
    from core.settings import Settings

    return str(Settings.model_fields["slot_cache_entries"].default) if cached else "0"


def first_day() -> date:
    return datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=1)


def availability_path(service: str, days: int, *, limit: int = 10_000) -> str:
    start = first_day()
    end = start + timedelta(days=days - 1)
    return f"/v1/availability?service={service}&start={start}&end={end}&limit={limit}"


def describe(base_url: str, path: str) -> str:
    response = httpx.get(base_url + path, timeout=120)
    response.raise_for_status()
    slots = response.json()["slots"]
    return f"{len(slots)} slots, {len(response.content) / 1024:.0f} KiB"


def warm_up(base_url: str, path: str, workers: int) -> None:
    """A few calls per worker: imports, caches and the connection pool are ready before timing."""
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for _ in range(3 * workers):
            client.get(path).raise_for_status()
            client.get("/healthz").raise_for_status()


def demo_network(base_url: str, args: argparse.Namespace, label: str) -> None:
    path = availability_path(SERVICE, DAYS)
    print_header(
        f"{SERVICE} at the 3 demo sites, {DAYS} days in one call ({describe(base_url, path)}; {label})"
    )
    warm_up(base_url, path, args.workers)
    load, baseline = compare_loads(base_url, path, connections=args.connections, seconds=args.seconds)
    print_ratio(f"GET {path.split('&limit')[0]}", load, baseline, target=1 / 3)
    latency, _ = best_latency(base_url, path, 20)
    print(
        f"  ({load.tool}, {args.connections} connections: {load.requests} + {baseline.requests} requests; "
        f"fastest single call {latency * 1000:.1f} ms)"
    )


def demo_network_while_writing(base_url: str, args: argparse.Namespace, rate: float) -> None:
    """The demo call's load while another client holds and releases a slot `rate` times a second
    (each a write that retires every cached entry), five weeks out so the slots asked for stay free."""
    path = availability_path(SERVICE, DAYS)
    far = first_day() + timedelta(days=35)
    slots = httpx.get(
        f"{base_url}/v1/availability?service={SERVICE}&start={far}&end={far + timedelta(days=6)}&limit=100",
        timeout=60,
    ).json()["slots"]
    stop = threading.Event()
    cycles = 0

    def write() -> None:
        nonlocal cycles
        with httpx.Client(base_url=base_url, timeout=60) as client:
            while not stop.is_set():
                started = time.perf_counter()
                slot = slots[cycles % len(slots)]
                hold = client.post(
                    "/v1/holds", json={k: slot[k] for k in ("service", "location_id", "provider_id", "start")}
                )
                hold.raise_for_status()
                client.delete(f"/v1/holds/{hold.json()['id']}").raise_for_status()
                cycles += 1
                stop.wait(max(0.0, 1 / rate - (time.perf_counter() - started)))

    writer = threading.Thread(target=write, daemon=True)
    started = time.perf_counter()
    writer.start()
    try:
        load, baseline = compare_loads(base_url, path, connections=args.connections, seconds=args.seconds)
    finally:
        stop.set()
        writer.join()
    achieved = cycles / (time.perf_counter() - started)
    print_ratio(f"  the same, {achieved:.1f} holds+releases/s", load, baseline)


# --- the large network ------------------------------------------------------------------------------


def build_network(engine: Engine, *, sites: int, providers: int) -> None:
    """Sites across four US zones, each offering one service, with providers spread over them; each
    provider works weekdays in two shifts (a lunch gap), some also on Saturday mornings."""
    from booking.models import ProviderWorkingHours
    from locations.models import (
        Location,
        LocationOpeningHours,
        LocationService,
        Provider,
        ProviderLocation,
        ProviderServiceLine,
        Service,
        ServiceLine,
    )

    rng = random.Random(20261123)
    t = datetime.strptime
    with engine.begin() as db:
        db.execute(
            insert(ServiceLine).values(
                code=NETWORK_LINE, name="Benchmark network", description="", active=True
            )
        )
        line_id = db.execute(select(ServiceLine.id).where(ServiceLine.code == NETWORK_LINE)).scalar_one()
        db.execute(
            insert(Service).values(
                code=NETWORK_SERVICE,
                name="Benchmark visit",
                description="",
                service_line_id=line_id,
                duration_minutes=30,
                bookable_online=True,
                slot_step_minutes=15,
                buffer_before_minutes=0,
                buffer_after_minutes=0,
                active=True,
            )
        )
        service_id = db.execute(select(Service.id).where(Service.code == NETWORK_SERVICE)).scalar_one()
        db.execute(
            insert(Location),
            [
                {
                    "slug": f"bench-site-{n}",
                    "name": f"Benchmark site {n}",
                    "address_line1": f"{n} Main St",
                    "address_line2": "",
                    "city": "Anytown",
                    "state": "CA",
                    "postal_code": "91006",
                    "phone": "(626) 555-0100",
                    "latitude": rng.uniform(30.0, 47.0),
                    "longitude": rng.uniform(-122.0, -75.0),
                    "timezone": ZONES[n % len(ZONES)],
                    "active": True,
                }
                for n in range(sites)
            ],
        )
        site_ids = list(
            db.execute(
                select(Location.id).where(Location.slug.startswith("bench-site-")).order_by(Location.id)
            ).scalars()
        )
        opening = [(day, t("07:00", "%H:%M").time(), t("19:00", "%H:%M").time()) for day in range(5)]
        opening.append((5, t("08:00", "%H:%M").time(), t("13:00", "%H:%M").time()))
        db.execute(
            insert(LocationOpeningHours),
            [
                {"location_id": site, "weekday": day, "opens_at": opens, "closes_at": closes}
                for site in site_ids
                for day, opens, closes in opening
            ],
        )
        db.execute(insert(LocationService), [{"location_id": s, "service_id": service_id} for s in site_ids])
        db.execute(
            insert(Provider),
            [
                {"display_name": f"Benchmark Provider {n}", "credentials": "PT", "active": True}
                for n in range(providers)
            ],
        )
        provider_ids = list(
            db.execute(
                select(Provider.id)
                .where(Provider.display_name.startswith("Benchmark Provider "))
                .order_by(Provider.id)
            ).scalars()
        )
        db.execute(
            insert(ProviderServiceLine),
            [{"provider_id": p, "service_line_id": line_id} for p in provider_ids],
        )
        # Providers fill the sites round-robin, so any prefix of them covers sites evenly.
        db.execute(
            insert(ProviderLocation),
            [
                {"provider_id": p, "location_id": site_ids[n % len(site_ids)]}
                for n, p in enumerate(provider_ids)
            ],
        )
        hours = []
        for n, provider in enumerate(provider_ids):
            site = site_ids[n % len(site_ids)]
            first = 8 + n % 2  # some start at 08:00, some at 09:00
            shifts = [(f"{first:02d}:00", "12:00"), ("13:00", f"{first + 8:02d}:00")]
            for day in range(5):
                for starts, ends in shifts:
                    hours.append((provider, site, day, starts, ends))
            if n % 3 == 0:
                hours.append((provider, site, 5, "08:30", "12:30"))
        db.execute(
            insert(ProviderWorkingHours),
            [
                {
                    "provider_id": provider,
                    "location_id": site,
                    "weekday": day,
                    "starts_at": t(starts, "%H:%M").time(),
                    "ends_at": t(ends, "%H:%M").time(),
                }
                for provider, site, day, starts, ends in hours
            ],
        )


def activate_providers(engine: Engine, count: int) -> None:
    """Only the first `count` network providers are active (inactive ones are never scheduled)."""
    from locations.models import Provider

    with engine.begin() as db:
        ids = list(
            db.execute(
                select(Provider.id)
                .where(Provider.display_name.startswith("Benchmark Provider "))
                .order_by(Provider.id)
            ).scalars()
        )
        db.execute(update(Provider).where(Provider.id.in_(ids[:count])).values(active=True))
        db.execute(update(Provider).where(Provider.id.in_(ids[count:])).values(active=False))


def best_latency(base_url: str, path: str, repeat: int) -> tuple[float, int]:
    """The fastest of `repeat` calls (after a warm-up call; the least disturbed by anything else running
    on the machine), in seconds, and how many slots it returned."""
    with httpx.Client(base_url=base_url, timeout=300) as client:
        client.get(path).raise_for_status()
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            timings.append(time.perf_counter() - started)
            response.raise_for_status()
    return min(timings), len(response.json()["slots"])


def large_network(base_url: str, args: argparse.Namespace, label: str) -> None:
    path = availability_path(NETWORK_SERVICE, DAYS)
    print_header(
        f"{NETWORK_SERVICE} at {args.sites} sites with {args.providers} providers, {DAYS} days in one call "
        f"(limit 10000: {describe(base_url, path)}; {label})"
    )
    warm_up(base_url, path, args.workers)
    load, baseline = compare_loads(base_url, path, connections=args.connections, seconds=args.seconds)
    print_ratio(f"GET {path.split('&limit')[0]}", load, baseline)
    latency, _ = best_latency(base_url, path, args.repeat)
    print(
        f"  ({load.tool}, {args.connections} connections: {load.requests} + {baseline.requests} requests; "
        f"fastest single call {latency * 1000:.1f} ms)"
    )


def scaling(base_url: str, engine: Engine, args: argparse.Namespace) -> None:
    print_header(
        "cost against providers x days: every free slot computed (no limit, in this process), and "
        f"the API call capped at 10,000 slots; fastest of {args.repeat}"
    )
    print(
        f"  {'providers':>9} {'days':>4} {'provider-days':>13} {'slots':>8} {'all slots ms':>12} "
        f"{'us/provider-day':>15} {'us/slot':>7} {'API call ms':>11}"
    )
    points: list[tuple[int, float]] = []
    counts = sorted({max(1, args.providers // 4), max(1, args.providers // 2), args.providers})
    try:
        for providers in counts:
            activate_providers(engine, providers)
            for days in (7, 14, 28):
                seconds, slots = time_all_slots(engine, days, args.repeat)
                api_seconds, _ = best_latency(base_url, availability_path(NETWORK_SERVICE, days), args.repeat)
                work = providers * days
                points.append((work, seconds))
                print(
                    f"  {providers:>9} {days:>4} {work:>13} {slots:>8} {seconds * 1000:>12.1f} "
                    f"{seconds / work * 1e6:>15.1f} {seconds / max(slots, 1) * 1e6:>7.2f} "
                    f"{api_seconds * 1000:>11.1f}"
                )
    finally:
        activate_providers(engine, args.providers)
    fixed, per_unit, r_squared = linear_fit(points)
    print(
        f"  all slots, least-squares fit: {fixed * 1000:.1f} ms + {per_unit * 1e6:.2f} us "
        f"x (providers x days), R^2 = {r_squared:.4f}"
    )


def time_all_slots(engine: Engine, days: int, repeat: int) -> tuple[float, int]:
    """Seconds (fastest of `repeat`) to load the calendars and compute every free slot of the network
    service over `days` days with `booking.availability.find_free_slots` (what the API runs, uncapped)."""
    from sqlmodel import Session

    from booking.availability import TimeBound, find_free_slots
    from locations.models import Service

    start = first_day()
    timings = []
    found: list[Any] = []
    for _ in range(repeat + 1):
        with Session(engine) as session:
            service = session.execute(select(Service).where(Service.code == NETWORK_SERVICE)).scalar_one()
            started = time.perf_counter()
            found = find_free_slots(
                session,
                service=service,
                location_ids=None,
                provider_id=None,
                start=TimeBound(local_date=start),
                end=TimeBound(local_date=start + timedelta(days=days - 1)),
            )
            timings.append(time.perf_counter() - started)
    return min(timings[1:]), len(found)


def linear_fit(points: list[tuple[int, float]]) -> tuple[float, float, float]:
    xs = [float(x) for x, _ in points]
    ys = [y for _, y in points]
    slope, intercept = statistics.linear_regression(xs, ys)
    mean = statistics.fmean(ys)
    total = sum((y - mean) ** 2 for y in ys)
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    return intercept, slope, 1 - residual / total if total else 1.0


if __name__ == "__main__":
    main()

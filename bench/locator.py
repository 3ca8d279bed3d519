"""Nearest 10 of 10,000 sites by ZIP, measured next to an empty endpoint of the same app.

    python bench/locator.py                      SQLite, 1 worker, wrk if installed
    python bench/locator.py --postgresql         the same against a scratch PostgreSQL database
    python bench/locator.py --workers 2 --client httpx --duration 5

What it does, in order:
  1. builds a scratch database by `alembic upgrade head`, loads the demo catalogue (service lines,
     services) and 10,000 sites placed at random real ZIP centroids of the continental US (so they
     cluster where people live, as clinics do), each offering a random handful of services;
  2. starts `uvicorn main:app` against it in a subprocess (no access log: logging every request
     would measure the logger);
  3. warms both endpoints, then measures GET /healthz (does nothing) and
     GET /v1/locations?near=<ZIP>&limit=10 (rotating through 2,000 real ZIPs) with the same client,
     connections and duration, alternating the two for several rounds; prints the median of each
     and the ratio. The figure that matters is the ratio (target: locator >= 0.5 x empty), since
     both share the machine, the client and the server process.

The load generator is wrk when installed (C, a small share of one core); otherwise several
processes of httpx clients, which cost more CPU per request and so lower both figures.
"""

import argparse
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

CONTINENTAL_EXCLUDED = {"AK", "HI", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP"}
LOCATOR_PATH = "/v1/locations?near={zip}&limit=10"
HEALTH_PATH = "/healthz"


@dataclass
class Measurement:
    requests_per_second: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int  # non-2xx answers and failed connections


# --- the scratch network ------------------------------------------------------------------------


def continental_zips() -> list[tuple[str, float, float]]:
    import zipcodes

    return [
        (row["zip_code"], float(row["lat"]), float(row["long"]))
        for row in zipcodes.list_all()
        if row["active"]
        and row["zip_code_type"] == "STANDARD"
        and row["state"] not in CONTINENTAL_EXCLUDED
        and row["lat"]
        and row["long"]
    ]


def build_network(database_url: str, *, sites: int, seed: int) -> None:
    """Migrate, load the demo catalogue, and insert `sites` sites in bulk (Core: seconds, not minutes)."""
    from sqlalchemy import insert, select
    from sqlmodel import Session

    from core.database import make_engine, migrate_to_head
    from locations.demo import seed_demo_data
    from locations.models import Location, LocationOpeningHours, LocationService, Service

    migrate_to_head(database_url)
    engine = make_engine(database_url)
    rng = random.Random(seed)
    places = continental_zips()
    with Session(engine) as session:
        seed_demo_data(session=session)
        service_ids = list(session.execute(select(Service.id)).scalars())
        first_id = (session.execute(select(Location.id).order_by(Location.id.desc())).scalar() or 0) + 1
        rows, offered, hours = [], [], []
        for n in range(sites):
            zip_code, lat, lon = rng.choice(places)
            site_id = first_id + n
            rows.append(
                {
                    "id": site_id,
                    "slug": f"bench-site-{n}",
                    "name": f"Bench site {n}",
                    "address_line1": f"{n} Main St",
                    "address_line2": "",
                    "city": "Anytown",
                    "state": "CA",
                    "postal_code": zip_code,
                    "phone": "(555) 555-0100",
                    # Within a mile or two of the centroid, so sites of one ZIP do not coincide.
                    "latitude": lat + rng.uniform(-0.02, 0.02),
                    "longitude": lon + rng.uniform(-0.02, 0.02),
                    "timezone": "America/Chicago",
                    "active": True,
                }
            )
            for service_id in rng.sample(service_ids, rng.randint(2, 6)):
                offered.append({"location_id": site_id, "service_id": service_id})
            for weekday in range(5):
                hours.append(
                    {"location_id": site_id, "weekday": weekday, "opens_at": "08:00", "closes_at": "17:00"}
                )
        session.execute(insert(Location), rows)
        session.execute(insert(LocationService), offered)
        session.execute(
            insert(LocationOpeningHours),
            [h | {"opens_at": _time(h["opens_at"]), "closes_at": _time(h["closes_at"])} for h in hours],
        )
        session.commit()
    engine.dispose()


def _time(hh_mm: str):  # type: ignore[no-untyped-def]
    from datetime import time

    hours, minutes = hh_mm.split(":")
    return time(int(hours), int(minutes))


@contextmanager
def scratch_database(postgresql_url: str | None) -> Iterator[str]:
    if postgresql_url is None:
        directory = tempfile.mkdtemp(prefix="locator-bench-")
        try:
            yield f"sqlite:///{directory}/locator.db"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    from sqlalchemy import create_engine, make_url, text

    name = f"locator_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgresql_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgresql_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(database_url: str, *, workers: int) -> Iterator[str]:
    import httpx

    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "development",
        "GEOCODER": "offline",
    }
    command = [sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (outlives this block: read at the end)
    server = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise SystemExit(f"the server did not start:\n{log.read()[-3000:]}")
            try:
                if httpx.get(f"{base_url}{HEALTH_PATH}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.seek(0)
        problems = [line for line in log.read().splitlines() if "Traceback" in line or "ERROR" in line]
        if problems:
            print(f"server logged {len(problems)} error lines, e.g. {problems[0]}", file=sys.stderr)
        log.close()


# --- load generators ----------------------------------------------------------------------------

WRK_SCRIPT = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"non2xx\\": %%d, "
    .. "\\"errors\\": %%d, \\"p50_us\\": %%d, \\"p99_us\\": %%d}\\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(
    base_url: str, paths: list[str], *, seconds: float, connections: int, threads: int
) -> Measurement:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
    try:
        output = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                base_url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("JSON "))
    summary = json.loads(line[5:])
    return Measurement(
        requests_per_second=summary["requests"] / (summary["duration_us"] / 1e6),
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        errors=summary["non2xx"] + summary["errors"],
    )


def _httpx_worker(args: tuple[str, list[str], float, int, int]) -> tuple[int, int, list[float]]:
    """One client process: `concurrency` threads, each a keep-alive connection, for `seconds`."""
    import threading

    import httpx

    base_url, paths, seconds, concurrency, offset = args
    done, failed, latencies = [0], [0], []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(index: int) -> None:
        n = offset + index
        with httpx.Client(base_url=base_url, timeout=10) as client:
            local_done = local_failed = 0
            local_latencies = []
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    ok = client.get(paths[n % len(paths)]).status_code < 300
                except httpx.HTTPError:
                    ok = False
                local_latencies.append(time.perf_counter() - started)
                local_done += 1
                local_failed += not ok
                n += concurrency
        with lock:
            done[0] += local_done
            failed[0] += local_failed
            latencies.extend(local_latencies)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0], failed[0], latencies


def run_httpx(
    base_url: str, paths: list[str], *, seconds: float, connections: int, processes: int
) -> Measurement:
    per_process = max(1, connections // processes)
    jobs = [(base_url, paths, seconds, per_process, i * 7919) for i in range(processes)]
    started = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(_httpx_worker, jobs)
    elapsed = time.monotonic() - started
    latencies = sorted(latency for _, _, process_latencies in results for latency in process_latencies)
    total = sum(done for done, _, _ in results)
    return Measurement(
        requests_per_second=total / min(elapsed, seconds + 0.5),
        p50_ms=latencies[len(latencies) // 2] * 1000 if latencies else None,
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1000 if latencies else None,
        errors=sum(failed for _, failed, _ in results),
    )


# --- the run ------------------------------------------------------------------------------------


def warm_up(base_url: str, locator_paths: list[str]) -> None:
    import httpx

    with httpx.Client(base_url=base_url, timeout=30) as client:
        for path in locator_paths:
            response = client.get(path)
            if response.status_code != 200 or len(response.json()["results"]) != 10:
                raise SystemExit(f"unexpected answer to {path}: {response.status_code} {response.text[:300]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--postgresql",
        nargs="?",
        const=os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        default=None,
        metavar="ADMIN_URL",
        help="use a scratch PostgreSQL database created through ADMIN_URL",
    )
    parser.add_argument("--client", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating measurements of each endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--zips", type=int, default=2000, help="distinct ZIPs the locator requests rotate through"
    )
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()

    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "httpx"
    if client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk), or use --client httpx")

    rng = random.Random(args.seed + 1)
    zips = [z for z, _, _ in rng.sample(continental_zips(), args.zips)]
    locator_paths = [LOCATOR_PATH.format(zip=z) for z in zips]
    backend = "PostgreSQL" if args.postgresql else "SQLite"

    def measure(base_url: str, paths: list[str], seconds: float) -> Measurement:
        if client == "wrk":
            return run_wrk(base_url, paths, seconds=seconds, connections=args.connections, threads=1)
        return run_httpx(base_url, paths, seconds=seconds, connections=args.connections, processes=2)

    with scratch_database(args.postgresql) as database_url:
        started = time.monotonic()
        build_network(database_url, sites=args.sites, seed=args.seed)
        print(
            f"built {args.sites:,} sites on {backend} in {time.monotonic() - started:.1f} s", file=sys.stderr
        )
        with running_server(database_url, workers=args.workers) as base_url:
            # Warm-up: imports, the ZIP index, connection pools, and one search per ZIP, so the
            # measurement sees the steady state (each ZIP's geocode and distances cached), and
            # every answer is checked once.
            warm_up(base_url, locator_paths)
            measure(base_url, [HEALTH_PATH], 2)
            measure(base_url, locator_paths, 2)
            empty, locator = [], []
            for _ in range(args.rounds):
                empty.append(measure(base_url, [HEALTH_PATH], args.duration))
                locator.append(measure(base_url, locator_paths, args.duration))

    report(args, backend=backend, client=client, empty=empty, locator=locator)


def _median(measurements: list[Measurement]) -> Measurement:
    ordered = sorted(measurements, key=lambda m: m.requests_per_second)
    middle = ordered[len(ordered) // 2]
    return Measurement(
        requests_per_second=statistics.median(m.requests_per_second for m in measurements),
        p50_ms=middle.p50_ms,
        p99_ms=middle.p99_ms,
        errors=sum(m.errors for m in measurements),
    )


def report(
    args: argparse.Namespace,
    *,
    backend: str,
    client: str,
    empty: list[Measurement],
    locator: list[Measurement],
) -> None:
    e, loc = _median(empty), _median(locator)
    ratio = loc.requests_per_second / e.requests_per_second
    how = "wrk 1 thread" if client == "wrk" else "httpx, 2 processes"
    print()
    print(
        f"Locator: nearest 10 of {args.sites:,} sites by ZIP on {backend}, {args.workers} uvicorn worker(s), "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"client: {how}, {args.connections} connections, {args.rounds} x {args.duration:g} s per endpoint "
        f"(median shown), {args.zips:,} distinct ZIPs"
    )
    print()
    print(f"{'endpoint':<42}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for label, m in (
        ("GET /healthz (empty)", e),
        ("GET /v1/locations?near=<ZIP>&limit=10", loc),
    ):
        p50 = f"{m.p50_ms:.1f}" if m.p50_ms is not None else "-"
        p99 = f"{m.p99_ms:.1f}" if m.p99_ms is not None else "-"
        print(f"{label:<42}{m.requests_per_second:>10,.0f}{p50:>9}{p99:>9}{m.errors:>8}")
    print()
    verdict = "meets" if ratio >= 0.5 else "MISSES"
    print(f"ratio locator / empty: {ratio:.2f}  ({verdict} the target of 0.50)")
    print("rounds (req/s): empty " + ", ".join(f"{m.requests_per_second:,.0f}" for m in empty))
    print("                locator " + ", ".join(f"{m.requests_per_second:,.0f}" for m in locator))


if __name__ == "__main__":
    main()

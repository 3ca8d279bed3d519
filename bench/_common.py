"""What the booking benchmarks share: a scratch database, a live server, and load generators.

Every figure is printed next to GET /healthz of the same server, measured in the same run with
the same client and concurrency, because absolute requests per second say more about the machine
than about the code. GET load uses `wrk` when it is installed (a C client that leaves the CPU to
the server), else a multi-process httpx client; both report the same fields.
"""

import argparse
import contextlib
import multiprocessing
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import httpx  # noqa: E402

from tests.live_server import LiveServer, prepare_database, run_cli, server_environment  # noqa: E402

__all__ = [
    "Batch",
    "LiveServer",
    "Load",
    "add_common_arguments",
    "compare_loads",
    "get_load",
    "print_header",
    "print_ratio",
    "run_cli",
    "run_requests",
    "scratch_database",
    "server_environment",
]


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="sqlite (a file in a temporary directory) or postgresql (a scratch database on the server "
        "at TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test); default sqlite",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")


@contextlib.contextmanager
def scratch_database(backend: str, *, demo: bool = True) -> Iterator[str]:
    """A new database of `backend`, migrated (and with the demo network), dropped afterwards."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the test harness's imports warn about test-client deprecations
        from tests.conftest import scratch_database as make_scratch_database

    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        url, drop = make_scratch_database(backend, directory)
        try:
            if demo:
                prepare_database(url)
            else:
                run_cli("migrate", env=server_environment(url))
            yield url
        finally:
            drop()  # type: ignore[operator]


# --- GET load -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    errors: int  # transport errors and timeouts
    non_2xx: int
    tool: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def get_load(url: str, *, connections: int, seconds: float, threads: int = 1) -> Load:
    """Requests per second of GET `url` from `connections` concurrent keep-alive connections."""
    if shutil.which("wrk"):
        return _wrk(url, connections=connections, seconds=seconds, threads=threads)
    return _httpx_load(url, connections=connections, seconds=seconds)


def compare_loads(
    base_url: str, path: str, *, connections: int, seconds: float, rounds: int = 3
) -> tuple[Load, Load]:
    """Load on `path` and on /healthz, in alternating rounds (so a neighbour's CPU use during the run
    hits both alike), each summed over its rounds."""
    loads, baselines = [], []
    for _ in range(rounds):
        baselines.append(get_load(f"{base_url}/healthz", connections=connections, seconds=seconds / rounds))
        loads.append(get_load(base_url + path, connections=connections, seconds=seconds / rounds))
    return _sum(loads), _sum(baselines)


def _sum(loads: list[Load]) -> Load:
    return Load(
        requests=sum(load.requests for load in loads),
        seconds=sum(load.seconds for load in loads),
        errors=sum(load.errors for load in loads),
        non_2xx=sum(load.non_2xx for load in loads),
        tool=loads[0].tool,
    )


def _wrk(url: str, *, connections: int, seconds: float, threads: int) -> Load:
    threads = max(1, min(threads, connections))
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "60s",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    if requests is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    count, amount, unit = int(requests[1]), float(requests[2]), requests[3]
    elapsed = amount * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(count, elapsed, errors, int(non_2xx[1]) if non_2xx else 0, "wrk")


def _httpx_worker(args: tuple[str, float, int]) -> tuple[int, int, int]:
    url, deadline, connections = args
    done = errors = non_2xx = 0
    import threading

    lock = threading.Lock()

    def loop() -> None:
        nonlocal done, errors, non_2xx
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < deadline:
                try:
                    status = client.get(url).status_code
                except httpx.HTTPError:
                    with lock:
                        errors += 1
                    continue
                with lock:
                    done += 1
                    non_2xx += not 200 <= status < 300

    workers = [threading.Thread(target=loop) for _ in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return done, errors, non_2xx


def _httpx_load(url: str, *, connections: int, seconds: float) -> Load:
    processes = max(1, min(connections, multiprocessing.cpu_count()))
    per_process = [connections // processes + (i < connections % processes) for i in range(processes)]
    started = time.monotonic()
    deadline = started + seconds
    with multiprocessing.Pool(processes) as pool:
        results = pool.map(_httpx_worker, [(url, deadline, n) for n in per_process])
    elapsed = time.monotonic() - started
    return Load(
        requests=sum(r[0] for r in results),
        seconds=elapsed,
        errors=sum(r[1] for r in results),
        non_2xx=sum(r[2] for r in results),
        tool="httpx",
    )


# --- a fixed list of requests (POST load) -------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    statuses: list[int]  # per request, in order; 0 for a transport error
    seconds: float

    @property
    def rps(self) -> float:
        return len(self.statuses) / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Transport errors and 5xx: what must never happen."""
        return sum(status == 0 or status >= 500 for status in self.statuses)


Request = tuple[str, str, dict[str, Any] | None, dict[str, str] | None]  # method, path, json, headers


def _run_share(
    args: tuple[str, list[tuple[int, Request]], int, float],
) -> tuple[list[tuple[int, int]], float]:
    """One client process: `threads` threads, each with its own connection, taking requests from a
    shared queue once the start time comes (so every process begins together)."""
    import queue
    import threading

    base_url, share, threads, start_at = args
    todo: queue.SimpleQueue[tuple[int, Request]] = queue.SimpleQueue()
    for item in share:
        todo.put(item)
    results: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work() -> None:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            client.get("/healthz")
            time.sleep(max(0.0, start_at - time.time()))
            while True:
                try:
                    index, (method, path, body, headers) = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    status = client.request(method, path, json=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    results.append((index, status))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results, time.time()


def run_requests(base_url: str, requests: list[Request], *, clients: int, processes: int = 2) -> Batch:
    """Send `requests` from `clients` concurrent connections spread over `processes` client processes
    (the client's own CPU use must not be what is measured); wall time from first to last."""
    processes = max(1, min(processes, clients))
    per_process = [clients // processes + (i < clients % processes) for i in range(processes)]
    shares: list[list[tuple[int, Request]]] = [[] for _ in range(processes)]
    for index, request in enumerate(requests):
        shares[index % processes].append((index, request))
    start_at = time.time() + 1.0 + 0.2 * clients / processes  # after every connection is open
    with multiprocessing.Pool(processes) as pool:
        async_result = pool.map_async(
            _run_share, [(base_url, shares[i], per_process[i], start_at) for i in range(processes)]
        )
        results = async_result.get()
    statuses = [0] * len(requests)
    for share, _finished in results:
        for index, status in share:
            statuses[index] = status
    return Batch(statuses, max(finished for _share, finished in results) - start_at)


# --- printing ------------------------------------------------------------------------------------


def print_ratio(label: str, load: Load, baseline: Load, *, target: float | None = None) -> float:
    """One line: the endpoint's rps, the empty endpoint's, their ratio and the target if any."""
    ratio = load.rps / baseline.rps if baseline.rps else 0.0
    verdict = ""
    if target is not None:
        verdict = f"  target >= {target:.2f}: {'met' if ratio >= target else 'NOT MET'}"
    problems = ""
    if load.errors or load.non_2xx:
        problems = f"  ({load.errors} errors, {load.non_2xx} non-2xx)"
    print(
        f"  {label:<44} {load.rps:9.1f} req/s   /healthz {baseline.rps:8.1f} req/s   "
        f"ratio {ratio:5.3f}{verdict}{problems}"
    )
    return ratio


def print_header(title: str) -> None:
    print(f"\n== {title} ==")

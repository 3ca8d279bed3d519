"""A real API server in its own process group, for race tests and benchmarks.

    prepare_database(url)          python main.py migrate + seed-demo, as a new user would run them
    create_admin(url, ...)         python main.py create-admin
    LiveServer(url, workers=4)     uvicorn main:app --workers N on a free port; `with` waits for every
                                   worker to be up (or fails with the server's output), and always
                                   ends the whole process group

Nothing here imports the app: the server and the command line run exactly as in production, in
subprocesses that only share the database URL and the environment.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET_KEY = "live-server-secret-key-not-for-production"
LOG_TAIL_CHARS = 4000
# What in a server's output means an unhandled error (uvicorn's "ERROR:" lines, the app's logged
# tracebacks) or the SQLite failure that BEGIN IMMEDIATE and the busy timeout exist to prevent.
ERROR_MARKERS = ("Traceback", "database is locked", "Exception in ASGI application", "ERROR:")


def server_environment(database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of every subprocess: this one's, plus the database and test settings."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "ENVIRONMENT": "test",
            "SECRET_KEY": TEST_SECRET_KEY,
            "GEOCODER": "offline",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    """Run `python main.py <args>`; its output, or an AssertionError carrying it."""
    result = subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"`python main.py {' '.join(args)}` exited with {result.returncode}:\n"
            f"{result.stdout[-LOG_TAIL_CHARS:]}\n{result.stderr[-LOG_TAIL_CHARS:]}"
        )
    return result.stdout


def prepare_database(database_url: str, **env_overrides: str) -> None:
    """Migrate an empty database to head and load the demo network into it."""
    env = server_environment(database_url, **env_overrides)
    run_cli("migrate", env=env)
    run_cli("seed-demo", env=env)


def create_admin(database_url: str, *, email: str, password: str, name: str = "Race Admin") -> None:
    run_cli(
        "create-admin",
        "--email",
        email,
        "--name",
        name,
        "--password",
        password,
        env=server_environment(database_url),
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """`uvicorn main:app --workers N` on a free local port, in a process group of its own."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 4,
        startup_timeout: float = 60,
        access_log: bool = False,
        project_root: Path = PROJECT_ROOT,
        **env_overrides: str,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.startup_timeout = startup_timeout
        self.access_log = access_log
        self.project_root = project_root
        self.env = server_environment(database_url, **env_overrides)
        self.port = 0
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> "LiveServer":
        self._log_file = tempfile.NamedTemporaryFile(prefix="live-server-", suffix=".log", delete=False)  # noqa: SIM115
        for _attempt in range(3):  # a free port can be taken by someone else before uvicorn binds it
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--log-level",
                "info",
                # Clients open their connections before a race and may wait at a barrier longer than
                # uvicorn's default 5 s keep-alive; a connection closed under them is not the app's fault.
                "--timeout-keep-alive",
                "120",
            ]
            if not self.access_log:
                command.append("--no-access-log")
            self.process = subprocess.Popen(
                command,
                cwd=self.project_root,
                env=self.env,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends every worker with it
            )
            try:
                self._wait_until_ready()
                return self
            except _PortTaken:
                self.stop()
            except BaseException:
                self.stop()
                raise
        raise AssertionError(f"could not bind a free port in 3 attempts:\n{self.log_tail()}")

    def _wait_until_ready(self) -> None:
        """Until /healthz answers and every worker has logged its startup (so load reaches them all)."""
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    log = self.log_text()
                    if "address already in use" in log.lower():
                        raise _PortTaken()
                    raise AssertionError(
                        f"the server exited with {self.process.returncode} before it was ready:\n"
                        f"{self.log_tail()}"
                    )
                try:
                    healthy = client.get("/healthz").status_code == 200
                except httpx.TransportError:
                    healthy = False
                if healthy and self.log_text().count("Application startup complete") >= self.workers:
                    return
                time.sleep(0.1)
        raise AssertionError(
            f"the server did not become ready within {self.startup_timeout:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """End the server's whole process group (supervisor and workers); idempotent."""
        process, self.process = self.process, None
        if process is None:
            return
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        # Workers may outlive the supervisor for a moment; make sure none is left behind.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def close(self) -> None:
        self.stop()
        if self._log_file is not None:
            self._log_file.close()
            Path(self._log_file.name).unlink(missing_ok=True)
            self._log_file = None

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    # --- what it said -----------------------------------------------------------------------------

    def log_text(self) -> str:
        if self._log_file is None:
            return ""
        return Path(self._log_file.name).read_text(errors="replace")

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        text = self.log_text()
        return text if len(text) <= chars else "...\n" + text[-chars:]

    def first_error(self, chars: int = LOG_TAIL_CHARS) -> str:
        """The server's output from the first logged error on (its traceback), or ''."""
        text = self.log_text()
        found = [i for i in (text.find(m) for m in ERROR_MARKERS) if i >= 0]
        if not found:
            return ""
        start = text.rfind("\n", 0, min(found)) + 1
        return text[start : start + chars]

    def errors_logged(self) -> list[str]:
        """Lines of the server's output that show an unhandled error or a locked database."""
        return [line for line in self.log_text().splitlines() if any(m in line for m in ERROR_MARKERS)]


class _PortTaken(Exception):
    pass

"""The command line in `main.py`, run as an operator would: a fresh process against a fresh database."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlmodel import Session

from core.database import get_session, make_engine
from locations.demo import PROVIDERS, SERVICES
from tests.conftest import BACKENDS, scratch_database

MAIN = Path(__file__).resolve().parent.parent / "main.py"


def run_cli(
    *args: str, cwd: Path, database_url: str | None, unset: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {"GEOCODER": "offline"} | env
    for name in ("DATABASE_URL", *unset):
        environment.pop(name, None)
    if database_url is not None:
        environment["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, str(MAIN), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def count_rows(database_url: str, table: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


@pytest.fixture
def migrated(tmp_path: Path, sqlite_url: str) -> str:
    result = run_cli("migrate", cwd=tmp_path, database_url=sqlite_url)
    assert result.returncode == 0, result.stderr
    return sqlite_url


class TestMigrate:
    def test_builds_the_schema_in_an_empty_file(self, tmp_path, sqlite_url):
        result = run_cli("migrate", cwd=tmp_path, database_url=sqlite_url)

        assert result.returncode == 0, result.stderr
        assert "latest migration" in result.stdout
        engine = make_engine(sqlite_url)
        assert {"location", "service", "staff_user"} <= set(inspect(engine).get_table_names())
        engine.dispose()

    def test_without_database_url_uses_booking_db_in_the_working_directory(self, tmp_path):
        result = run_cli("migrate", cwd=tmp_path, database_url=None)

        assert result.returncode == 0, result.stderr
        assert (tmp_path / "booking.db").exists()

    def test_default_secret_outside_development_is_refused_with_a_clear_message(self, tmp_path, sqlite_url):
        result = run_cli(
            "migrate", cwd=tmp_path, database_url=sqlite_url, unset=("SECRET_KEY",), ENVIRONMENT="production"
        )

        assert result.returncode != 0
        assert "SECRET_KEY" in result.stderr
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "cli.db").exists()


class TestSeedDemo:
    def test_twice_leaves_exactly_one_demo_network(self, tmp_path, migrated):
        first = run_cli("seed-demo", cwd=tmp_path, database_url=migrated)
        counts_after_first = {
            t: count_rows(migrated, t) for t in ("location", "service_line", "service", "provider")
        }
        second = run_cli("seed-demo", cwd=tmp_path, database_url=migrated)

        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        counts = {t: count_rows(migrated, t) for t in ("location", "service_line", "service", "provider")}
        assert counts == counts_after_first
        assert counts == {
            "location": 3,
            "service_line": 3,
            "service": len(SERVICES),
            "provider": len(PROVIDERS),
        }

    def test_refreshes_edited_demo_rows(self, tmp_path, migrated):
        run_cli("seed-demo", cwd=tmp_path, database_url=migrated)
        engine = make_engine(migrated)
        with engine.begin() as connection:
            connection.execute(text("UPDATE location SET phone = '000' WHERE slug = 'arcadia'"))

        run_cli("seed-demo", cwd=tmp_path, database_url=migrated)

        with engine.connect() as connection:
            phone = connection.execute(text("SELECT phone FROM location WHERE slug = 'arcadia'")).scalar_one()
        engine.dispose()
        assert phone == "(626) 460-1096"


@pytest.fixture
def app_on(request: pytest.FixtureRequest) -> Iterator[object]:
    """A TestClient factory for the app against a given database URL."""
    from main import app

    engines = []

    def client_for(database_url: str) -> TestClient:
        engine = make_engine(database_url)
        engines.append(engine)

        def session_on_that_database() -> Iterator[Session]:
            with Session(engine, expire_on_commit=False) as session:
                yield session

        app.dependency_overrides[get_session] = session_on_that_database
        return TestClient(app, raise_server_exceptions=False)

    yield client_for
    app.dependency_overrides.clear()
    for engine in engines:
        engine.dispose()


class TestCreateAdmin:
    ARGS = ("create-admin", "--email", "Ops.Lead@Example.org", "--name", "Ops Lead")

    def test_creates_an_admin_who_can_log_in_and_use_the_admin_api(self, tmp_path, migrated, app_on):
        result = run_cli(
            *self.ARGS, "--password", "a good long passphrase", cwd=tmp_path, database_url=migrated
        )

        assert result.returncode == 0, result.stderr
        assert "ops.lead@example.org" in result.stdout
        client = app_on(migrated)
        login = client.post(
            "/v1/auth/token", data={"username": "ops.lead@example.org", "password": "a good long passphrase"}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["role"] == "admin" and me["full_name"] == "Ops Lead"
        staff = client.get("/v1/admin/staff", headers={"Authorization": f"Bearer {token}"})
        assert staff.status_code == 200

    def test_too_short_password_is_refused_with_a_clear_message(self, tmp_path, migrated):
        result = run_cli(*self.ARGS, "--password", "short", cwd=tmp_path, database_url=migrated)

        assert result.returncode != 0
        assert "password" in result.stderr and "12" in result.stderr
        assert "Traceback" not in result.stderr
        assert count_rows(migrated, "staff_user") == 0

    def test_invalid_email_is_refused_naming_it(self, tmp_path, migrated):
        result = run_cli(
            "create-admin",
            "--email",
            "ops",
            "--name",
            "Ops",
            "--password",
            "a good long passphrase",
            cwd=tmp_path,
            database_url=migrated,
        )

        assert result.returncode != 0
        assert "email" in result.stderr

    def test_second_admin_with_the_same_email_is_refused(self, tmp_path, migrated):
        run_cli(*self.ARGS, "--password", "a good long passphrase", cwd=tmp_path, database_url=migrated)

        again = run_cli(
            *self.ARGS, "--password", "another long passphrase", cwd=tmp_path, database_url=migrated
        )

        assert again.returncode != 0
        assert "already exists" in again.stderr
        assert count_rows(migrated, "staff_user") == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base_url: str, server: subprocess.Popen[str], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(
                f"server exited with {server.returncode}: {server.stderr.read() if server.stderr else ''}"
            )
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("server did not answer /healthz in time")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    servers: list[subprocess.Popen[str]] = []

    def start(database_url: str) -> tuple[str, subprocess.Popen[str]]:
        port = free_port()
        environment = os.environ | {"GEOCODER": "offline", "DATABASE_URL": database_url}
        server = subprocess.Popen(
            [sys.executable, str(MAIN), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        servers.append(server)
        return f"http://127.0.0.1:{port}", server

    yield start
    for server in servers:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.mark.slow
class TestServe:
    def test_empty_sqlite_file_is_migrated_and_seeded_on_first_start(self, serve, sqlite_url):
        base_url, server = serve(sqlite_url)

        wait_until_up(base_url, server)

        locations = httpx.get(f"{base_url}/v1/locations", params={"near": "91204"}, timeout=10)
        assert locations.status_code == 200
        assert [m["location"]["slug"] for m in locations.json()["results"]][0] == "glendale"

    def test_docs_render_from_local_assets(self, serve, sqlite_url):
        base_url, server = serve(sqlite_url)
        wait_until_up(base_url, server)

        docs = httpx.get(f"{base_url}/docs", timeout=10)

        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        assert "/static/swagger-ui/swagger-ui-bundle.js" in docs.text
        assert "/static/swagger-ui/swagger-ui.css" in docs.text
        assert "cdn." not in docs.text and "https://" not in docs.text.split("<body>")[0]
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
            served = httpx.get(f"{base_url}/static/swagger-ui/{asset}", timeout=10)
            assert served.status_code == 200 and len(served.content) > 10_000, asset
        assert httpx.get(f"{base_url}/openapi.json", timeout=10).json()["paths"]["/v1/locations"]

    @pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_DATABASES excludes postgresql")
    def test_postgresql_behind_the_migrations_refuses_to_start_and_says_how_to_fix_it(self, tmp_path):
        url, drop = scratch_database("postgresql", str(tmp_path))
        try:
            result = run_cli("serve", "--port", str(free_port()), cwd=tmp_path, database_url=url)
        finally:
            drop()  # type: ignore[operator]

        assert result.returncode != 0
        assert "python main.py migrate" in result.stderr

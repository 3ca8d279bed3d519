"""Test harness: every database test runs once on SQLite and once on PostgreSQL.

Each backend gets a scratch database built by `alembic upgrade head` (so migrations are tested on
every run); each test runs inside a transaction that is rolled back, so tests never share state.
TEST_DATABASES=sqlite runs without a PostgreSQL server; CI runs both, and an unreachable server
there is an error, never a skip.
"""

import os
import uuid
from collections.abc import Iterator

os.environ["ENVIRONMENT"] = "test"
os.environ["SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["GEOCODER"] = "offline"
os.environ["WEBHOOKS_ENABLED"] = "false"  # webhook tests drive deliver_due_webhooks by hand

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, create_engine, make_url, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from core.database import get_session, make_engine, migrate_to_head  # noqa: E402

BACKENDS = [b.strip() for b in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if b.strip()]
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def scratch_database(backend: str, directory: str) -> tuple[str, object]:
    """A URL for a new empty database of `backend`, and a function that removes it."""
    if backend == "sqlite":
        url = f"sqlite:///{directory}/scratch-{uuid.uuid4().hex[:8]}.db"
        return url, lambda: None
    if backend != "postgresql":
        raise ValueError(f"TEST_DATABASES: unknown backend {backend!r}")
    name = f"booking_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # an unreachable server must fail the run, not skip it
        raise RuntimeError(
            f"PostgreSQL at {POSTGRES_ADMIN_URL} is not usable ({exc.__class__.__name__}: {exc}). "
            "Start it, or set TEST_DATABASES=sqlite to run without it."
        ) from exc

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return url, drop


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, drop = scratch_database(request.param, str(tmp_path_factory.mktemp(request.param)))
    migrate_to_head(url)
    yield url
    drop()  # type: ignore[operator]


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    # Service functions commit; inside this outer transaction a commit only releases a savepoint.
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    from main import app

    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.dependency_overrides.clear()


@pytest.fixture
def demo(session: Session) -> None:
    """The demo practice network (three sites of seed 003)."""
    from locations.demo import seed_demo_data

    seed_demo_data(session=session)


@pytest.fixture
def admin_headers(session: Session) -> dict[str, str]:
    from tests.factories import auth_headers, make_staff_user

    return auth_headers(make_staff_user(session, role="admin"))


@pytest.fixture
def agent_headers(session: Session) -> dict[str, str]:
    from tests.factories import auth_headers, make_staff_user

    return auth_headers(make_staff_user(session, role="agent"))

"""When the database cannot be reached the API says so (503, retry later), never a bare 500."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from core.database import get_session, make_engine

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=1"


@pytest.fixture
def client_without_database() -> Iterator[TestClient]:
    from main import app

    engine = make_engine(UNREACHABLE)

    def session() -> Iterator[Session]:
        with Session(engine) as s:
            yield s

    app.dependency_overrides[get_session] = session
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.dependency_overrides.clear()
    engine.dispose()


@pytest.mark.parametrize(
    "path", ["/v1/service-lines", "/v1/locations?near=91006", "/v1/availability?service=x"]
)
def test_an_unreachable_database_is_503_with_retry_after(client_without_database, path):
    response = client_without_database.get(path)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "2"
    assert response.json()["type"] == "/problems/service-unavailable"


def test_postgres_pool_size_comes_from_settings(monkeypatch):
    from core.settings import get_settings

    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "2")
    get_settings.cache_clear()
    try:
        engine = make_engine(UNREACHABLE)
        assert engine.pool.size() == 3
        assert engine.pool._max_overflow == 2  # type: ignore[attr-defined]
    finally:
        get_settings.cache_clear()

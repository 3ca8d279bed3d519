"""Engines, sessions, the UTC datetime column type and Alembic entry points.

SQLite runs with foreign keys on, WAL and a busy timeout. pysqlite's own transaction handling is
switched off so that SQLAlchemy emits BEGIN itself: that makes SAVEPOINTs work (tests roll back each
test) and lets a unit of work ask for `BEGIN IMMEDIATE` (a write lock taken up front) through the
execution option `sqlite_begin="IMMEDIATE"`.
"""

import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import annotated_types
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, create_engine, event, inspect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel
from starlette.concurrency import run_in_threadpool

from alembic import command
from core.settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Keys are INTEGER columns, 32-bit on PostgreSQL. A larger number can name no row, and binding it
# is a driver error (PostgreSQL: "integer out of range"; SQLite past 64 bits: OverflowError), so ids
# from clients are bounded where they are parsed: the client gets a 422 naming the field, not a 500.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, annotated_types.Interval(ge=1, le=MAX_ROW_ID)]

# Named constraints, so migrations can drop and alter them by name on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC; naive datetimes are refused, never guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: pass a timezone-aware value")
        value = value.astimezone(UTC)
        # SQLite has no zone-aware type; it stores the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if not url.startswith("sqlite"):
        settings = get_settings()
        # Each worker process holds its own pool: workers x (pool + overflow) must stay under the
        # server's max_connections (100 by default) across every host; hence settings, not constants.
        pool = {
            "pool_size": settings.database_pool_size,
            "max_overflow": settings.database_max_overflow,
            "pool_timeout": settings.database_pool_timeout_seconds,
        }
        return create_engine(url, pool_pre_ping=True, **(pool | kwargs))

    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not pysqlite, emits BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if ":memory:" not in url:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        # Straight to the driver: a BEGIN needs no parameters, result or events, and every request
        # that reads anything pays for it.
        connection.connection.driver_connection.execute(f"BEGIN {mode}".strip())

    return engine


_engine_lock = threading.Lock()


def get_engine() -> Engine:
    """The process's one engine and connection pool. Built under a lock: a worker's first burst of
    requests calls this on many threads at once, and each would otherwise build (and leak) a pool
    of its own, enough to exhaust PostgreSQL's connection limit."""
    with _engine_lock:
        return _build_engine()


@lru_cache
def _build_engine() -> Engine:
    return make_engine(get_settings().database_url)


def get_session() -> Iterator[Session]:
    """A session as a plain generator: for code outside the routes, and the name tests override."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


async def request_session(request: Request) -> AsyncIterator[Session]:
    """The request's session (`SessionDep`). Service functions commit their own unit of work.

    An async generator, so FastAPI keeps it on the event loop: as a plain generator each of its two
    ends went to the threadpool, and those thread switches alone cost a route doing one query about
    half its requests per second. Opening a Session does no I/O (it connects when first used, in
    the route's thread). Closing does I/O only while a transaction is still open: a ROLLBACK, which
    on SQLite is a local call of microseconds and on PostgreSQL a round trip, sent to the threadpool.
    An override of `get_session` (the tests' per-test transaction) is used instead, as FastAPI would.
    """
    override = request.app.dependency_overrides.get(get_session)
    if override is not None:
        made = override()
        if isinstance(made, Session):
            yield made
            return
        try:
            yield next(made)
        finally:
            made.close()
        return
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction() and session.get_bind().dialect.name != "sqlite":
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(request_session)]


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["database_url"] = database_url or get_settings().database_url
    return config


def migrate_to_head(database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), "head")


def is_schema_empty(engine: Engine) -> bool:
    return not inspect(engine).has_table("alembic_version")

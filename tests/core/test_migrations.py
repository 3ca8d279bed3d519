"""Alembic is the only way the schema is made: it must build exactly the models, on both databases."""

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import main  # noqa: F401  (imports every domain's models, so the metadata is complete)
from alembic import command
from core.database import alembic_config, make_engine, migrate_to_head
from tests.conftest import BACKENDS, scratch_database


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    url, drop = scratch_database(request.param, str(tmp_path))
    yield url
    drop()  # type: ignore[operator]


def _table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


class TestUpgradeToHead:
    def test_builds_every_table_of_the_models(self, empty_database_url):
        migrate_to_head(empty_database_url)

        assert set(SQLModel.metadata.tables) <= _table_names(empty_database_url)

    def test_migrated_schema_matches_the_models_exactly(self, empty_database_url):
        migrate_to_head(empty_database_url)

        engine = make_engine(empty_database_url)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                differences = compare_metadata(context, SQLModel.metadata)
        finally:
            engine.dispose()
        assert differences == [], "the models changed without a migration (alembic revision --autogenerate)"

    def test_running_it_twice_changes_nothing(self, empty_database_url):
        migrate_to_head(empty_database_url)
        before = _table_names(empty_database_url)

        migrate_to_head(empty_database_url)

        assert _table_names(empty_database_url) == before


class TestDowngradeToBase:
    def test_removes_every_table(self, empty_database_url):
        migrate_to_head(empty_database_url)

        command.downgrade(alembic_config(empty_database_url), "base")

        # Alembic keeps its own (now empty) version table; nothing of ours may survive.
        assert _table_names(empty_database_url) - {"alembic_version"} == set()

    def test_upgrade_after_downgrade_rebuilds_the_schema(self, empty_database_url):
        migrate_to_head(empty_database_url)
        command.downgrade(alembic_config(empty_database_url), "base")

        migrate_to_head(empty_database_url)

        assert set(SQLModel.metadata.tables) <= _table_names(empty_database_url)


class TestSQLiteConnections:
    @pytest.fixture
    def sqlite_engine(self, tmp_path):
        engine = make_engine(f"sqlite:///{tmp_path}/pragmas.db")
        yield engine
        engine.dispose()

    def test_enforce_foreign_keys(self, sqlite_engine):
        with sqlite_engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

    def test_use_write_ahead_logging(self, sqlite_engine):
        with sqlite_engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

    def test_wait_for_a_busy_database_instead_of_failing_at_once(self, sqlite_engine):
        with sqlite_engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000

    def test_a_dangling_foreign_key_is_refused(self, tmp_path):
        url = f"sqlite:///{tmp_path}/fk.db"
        migrate_to_head(url)
        engine = make_engine(url)
        try:
            with pytest.raises(IntegrityError, match="FOREIGN KEY"), engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO location_service (location_id, service_id) VALUES (999, 999)")
                )
        finally:
            engine.dispose()

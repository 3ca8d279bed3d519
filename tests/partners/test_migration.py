"""The partners migration adds appointment.partner_id in place: the booking guarantees survive it."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text

from alembic import command
from core.database import alembic_config, make_engine, migrate_to_head
from tests.conftest import BACKENDS, scratch_database


@pytest.fixture(params=BACKENDS)
def migrated(request, tmp_path) -> Iterator[tuple[str, Engine]]:
    url, drop = scratch_database(request.param, str(tmp_path))
    migrate_to_head(url)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()
    drop()  # type: ignore[operator]


def test_appointment_keeps_its_checks_and_indexes_and_gains_the_partner_key(migrated):
    _url, engine = migrated
    schema = inspect(engine)

    checks = {c["name"] for c in schema.get_check_constraints("appointment")}
    assert {
        "ck_appointment_starts_before_ends",
        "ck_appointment_blocked_covers_visit",
        "ck_appointment_status",
        "ck_appointment_channel",
    } <= checks
    indexes = {i["name"] for i in schema.get_indexes("appointment")}
    assert {
        "ix_appointment_provider_blocked",
        "ix_appointment_location_starts",
        "ix_appointment_partner_id",
    } <= indexes
    [partner_key] = [fk for fk in schema.get_foreign_keys("appointment") if fk["referred_table"] == "partner"]
    assert partner_key["constrained_columns"] == ["partner_id"]
    if engine.dialect.name == "postgresql":  # SQLite reflects a column's own REFERENCES unnamed
        assert partner_key["name"] == "fk_appointment_partner_id_partner"


def test_the_no_overlap_exclusion_constraint_survives_on_postgresql(migrated):
    _url, engine = migrated
    if engine.dialect.name != "postgresql":
        pytest.skip("an exclusion constraint exists on PostgreSQL only")
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT contype FROM pg_constraint WHERE conname = 'ex_appointment_no_overlap'")
        ).scalar()
    assert found == "x"


def test_downgrading_past_partners_removes_only_the_partner_parts(migrated):
    url, engine = migrated

    command.downgrade(alembic_config(url), "booking0001")  # the revision partners0001 builds on

    schema = inspect(engine)
    assert not {"partner", "webhook_delivery"} & set(schema.get_table_names())
    assert "partner_id" not in {c["name"] for c in schema.get_columns("appointment")}
    assert "ck_appointment_status" in {c["name"] for c in schema.get_check_constraints("appointment")}

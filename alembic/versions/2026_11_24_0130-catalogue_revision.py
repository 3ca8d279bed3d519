"""catalogue_revision: one row that triggers bump on every write to the catalogue the locator shows

Revision ID: catrev0001
Revises: calrev0001
Create Date: 2026-11-24 01:30:00.000000

The locator (locations/snapshot.py) answers nearest-site searches from a per-process snapshot of
the active sites, kept only while the revision it was built at is still the database's. Built
exactly like calendar_revision (see that migration for why a row and not a sequence, why a random
`stamp`, and why statement triggers on PostgreSQL), but on the catalogue tables only: bookings,
holds and schedules move free slots, not what the locator lists, so they must not rebuild it.

Note for later migrations: on SQLite, `batch_alter_table` rebuilds a table by copying it, which
drops its triggers. A migration that batch-alters one of TABLES must create its triggers again
(tests/locations/test_snapshot.py checks that every table below still bumps the revision).
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import core.database  # noqa: F401


revision: str = 'catrev0001'
down_revision: str | None = 'calrev0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table whose rows decide what the locator shows: sites, their coordinates, names and hours,
# which services they offer, and whether those services and their lines are active.
TABLES = (
    "location",
    "location_service",
    "location_opening_hours",
    "service",
    "service_line",
)
OPERATIONS = ("insert", "update", "delete")
FUNCTION = "bump_catalogue_revision"


def _trigger(table: str, operation: str | None = None) -> str:
    return f"trg_{table}_catalogue_revision" + (f"_{operation}" if operation else "")


def upgrade() -> None:
    op.create_table('catalogue_revision',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_catalogue_revision_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_revision'))
    )
    op.execute(
        f"INSERT INTO catalogue_revision (id, revision, stamp) VALUES (1, 0, {secrets.randbits(62)})"
    )
    if op.get_bind().dialect.name == "postgresql":
        # Once per statement (a bulk insert of 10,000 sites is one bump); TRUNCATE counts too.
        op.execute(
            f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE catalogue_revision
                SET revision = revision + 1, stamp = floor(random() * 4.0e18)::bigint
                WHERE id = 1;
                RETURN NULL;
            END
            $$
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {_trigger(table)} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
    else:
        # SQLite has row triggers only; each is a one-row update inside the same transaction.
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(
                    f"CREATE TRIGGER {_trigger(table, operation)} AFTER {operation.upper()} ON {table} "
                    "BEGIN UPDATE catalogue_revision SET revision = revision + 1, stamp = random() "
                    "WHERE id = 1; END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {_trigger(table)} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    else:
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {_trigger(table, operation)}")
    op.drop_table('catalogue_revision')

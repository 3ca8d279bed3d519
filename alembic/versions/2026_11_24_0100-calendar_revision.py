"""calendar_revision: one row that triggers bump on every write that can move free slots

Revision ID: calrev0001
Revises: partners0001
Create Date: 2026-11-24 01:00:00.000000

The availability cache (booking/slot_cache.py) serves computed slots only while the revision they
were computed at is still the database's. Triggers, not application code, bump it, so no write
path (service functions, admin endpoints, seeding, a psql session) can forget to.

The counter is a row updated inside the writer's own transaction, not a sequence: a reader never
sees a new revision before the data it stands for is committed. On PostgreSQL that row is a hot
spot: every transaction that changes availability holds its lock from its first such statement
until it commits, so those writers run one at a time. Bookings already run at ~50/s on two cores
and each holds the lock for a few milliseconds; that is acceptable here. (Deferred constraint
triggers would take the lock only at commit, but they fire only at the outermost commit, so a
transaction, and the tests' per-test transactions, would read a stale revision after its own
writes.) Each bump also writes a random `stamp`, because a rolled-back transaction's revision
number is taken again by the next writer.

Note for later migrations: on SQLite, `batch_alter_table` rebuilds a table by copying it, which
drops its triggers. A migration that batch-alters one of TABLES must create its triggers again
(tests/booking/test_slot_cache.py checks that every table below still bumps the revision).
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import core.database  # noqa: F401


revision: str = 'calrev0001'
down_revision: str | None = 'partners0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table whose rows decide free slots: bookings and holds, schedules and closures, and the
# catalogue (which provider gives which service where, sites' zones, hours and coordinates).
TABLES = (
    "appointment",
    "provider_working_hours",
    "schedule_exception",
    "site_closure",
    "location",
    "location_service",
    "location_opening_hours",
    "provider",
    "provider_location",
    "provider_service_line",
    "service",
    "service_line",
)
OPERATIONS = ("insert", "update", "delete")
FUNCTION = "bump_calendar_revision"


def _trigger(table: str, operation: str | None = None) -> str:
    return f"trg_{table}_calendar_revision" + (f"_{operation}" if operation else "")


def upgrade() -> None:
    op.create_table('calendar_revision',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_calendar_revision_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_revision'))
    )
    op.execute(
        f"INSERT INTO calendar_revision (id, revision, stamp) VALUES (1, 0, {secrets.randbits(62)})"
    )
    if op.get_bind().dialect.name == "postgresql":
        # Once per statement (a bulk insert of 5,000 rows is one bump); TRUNCATE counts too.
        # random() has 52 random bits, ample for telling two writers of one revision apart.
        op.execute(
            f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE calendar_revision
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
                    "BEGIN UPDATE calendar_revision SET revision = revision + 1, stamp = random() "
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
    op.drop_table('calendar_revision')

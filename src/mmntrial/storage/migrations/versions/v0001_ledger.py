"""The randomization ledger: list versions, allocations, unblindings, all append-only.

Revision ID: 0001
Revises: (none)

Triggers abort every UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) of the three
tables, so even a hand-typed SQL statement cannot change or remove an allocation.

Ledger files made before the storage layer existed hold these tables and triggers
already (same columns and constraints, constraints unnamed): a table or trigger that
exists is kept, so such a file is adopted at this revision with its rows untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

APPEND_ONLY = ("list_versions", "allocations", "unblindings")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mmntrial_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mmntrial ledger: % is append-only', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def _tables() -> list[sa.Table]:
    meta = sa.MetaData()
    return [
        sa.Table(
            "list_versions",
            meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("commitment", sa.Text, nullable=False),
            sa.Column("method", sa.Text, nullable=False),
            sa.Column("accepted_at_utc", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_list_versions"),
            sa.UniqueConstraint("commitment", name="uq_list_versions_commitment"),
        ),
        sa.Table(
            "allocations",
            meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("subject", sa.Text, nullable=False),
            sa.Column("stratum", sa.Text, nullable=False),
            sa.Column("seq", sa.Integer, nullable=False),
            sa.Column("kit", sa.Text, nullable=False),
            sa.Column("arm", sa.Text, nullable=False),
            sa.Column("strata_json", sa.Text, nullable=False),
            sa.Column("allocated_by", sa.Text, nullable=False),
            sa.Column("allocated_at_utc", sa.Text, nullable=False),
            sa.Column("list_commitment", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_allocations"),
            sa.UniqueConstraint("stratum", "seq", name="uq_allocations_slot"),
            sa.UniqueConstraint("subject", name="uq_allocations_subject"),
            sa.UniqueConstraint("kit", name="uq_allocations_kit"),
        ),
        sa.Table(
            "unblindings",
            meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("subject", sa.Text, nullable=False),
            sa.Column("kit", sa.Text, nullable=False),
            sa.Column("arm", sa.Text, nullable=False),
            sa.Column("reason", sa.Text, nullable=False),
            sa.Column("revealed_by", sa.Text, nullable=False),
            sa.Column("revealed_at_utc", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_unblindings"),
            sa.ForeignKeyConstraint(
                ["subject"],
                ["allocations.subject"],
                name="fk_unblindings_subject_allocations",
            ),
        ),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    for table in _tables():
        if table.name not in existing:
            table.create(bind)
    if bind.dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
    for table_name in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(_trigger(bind.dialect.name, table_name, action))
        if bind.dialect.name == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table_name}_no_truncate BEFORE TRUNCATE ON {table_name} "
                "FOR EACH STATEMENT EXECUTE FUNCTION mmntrial_ledger_append_only()"
            )


def _trigger(dialect: str, table: str, action: str) -> str:
    name = f"{table}_no_{action.lower()}"
    if dialect == "sqlite":
        return (
            f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {action} ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'mmntrial ledger: {table} is append-only'); END"
        )
    return (
        f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION mmntrial_ledger_append_only()"
    )


def downgrade() -> None:
    for table in reversed(_tables()):
        # Dropping a table drops its triggers with it, on both engines.
        op.drop_table(table.name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION mmntrial_ledger_append_only()")

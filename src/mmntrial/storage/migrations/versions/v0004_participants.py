"""The capture app: eligibility, allocation lists, participants, emergency unblindings.

Revision ID: 0004
Revises: 0003

As in revision 0003, rows are never deleted (triggers abort every DELETE and, on
PostgreSQL, TRUNCATE, reusing 0003's function) and every insert and update is an entry
of the audit chain. ``participants`` holds the kit code, never the arm: the arm stays in
the ledger's sealed key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

NEVER_DELETED = ("eligibility", "allocation_lists", "participants", "emergency_unblindings")


def _create_tables() -> None:
    # op.create_table, unlike Table.create, stands in for the tables of 0003 that the
    # foreign keys name.
    op.create_table(
        "eligibility",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("screening_entry_id", sa.Integer, nullable=False),
        sa.Column("assessed_on", sa.Text, nullable=False),
        sa.Column("findings_json", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("exclusions_json", sa.Text, nullable=False),
        sa.Column("eligible", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_eligibility"),
        sa.ForeignKeyConstraint(
            ["screening_entry_id"],
            ["screening_log.id"],
            name="fk_eligibility_screening_entry_id_screening_log",
        ),
        sa.UniqueConstraint("screening_entry_id", name="uq_eligibility_screening_entry_id"),
    )
    op.create_table(
        "allocation_lists",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("commitment", sa.Text, nullable=False),
        sa.Column("slots_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_allocation_lists"),
        sa.UniqueConstraint("commitment", name="uq_allocation_lists_commitment"),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("site_id", sa.Integer, nullable=False),
        sa.Column("screening_entry_id", sa.Integer, nullable=False),
        sa.Column("randomized_on", sa.Text, nullable=False),
        sa.Column("kit", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_participants"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_participants_site_id_sites"),
        sa.ForeignKeyConstraint(
            ["screening_entry_id"],
            ["screening_log.id"],
            name="fk_participants_screening_entry_id_screening_log",
        ),
        sa.UniqueConstraint("subject", name="uq_participants_subject"),
        sa.UniqueConstraint("kit", name="uq_participants_kit"),
        sa.UniqueConstraint("screening_entry_id", name="uq_participants_screening_entry_id"),
    )

    op.create_table(
        "emergency_unblindings",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("participant_id", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_at_utc", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_emergency_unblindings"),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_emergency_unblindings_participant_id_participants",
        ),
    )


def upgrade() -> None:
    _create_tables()
    dialect = op.get_bind().dialect.name
    for name in NEVER_DELETED:
        if dialect == "sqlite":
            op.execute(
                f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name} BEGIN "
                f"SELECT RAISE(ABORT, 'mmntrial capture: rows of {name} are never deleted'); END"
            )
            continue
        for action, each in (("DELETE", "ROW"), ("TRUNCATE", "STATEMENT")):
            op.execute(
                f"CREATE TRIGGER {name}_no_{action.lower()} BEFORE {action} ON {name} "
                f"FOR EACH {each} EXECUTE FUNCTION mmntrial_capture_no_delete()"
            )


def downgrade() -> None:
    for name in reversed(NEVER_DELETED):
        op.drop_table(name)

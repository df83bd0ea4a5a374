"""The capture app's monitoring: queries, record locks, signatures, verification.

Revision ID: 0011
Revises: 0008

``queries``: a question raised on one field of one saved record of a participant, the
site's answer and its state. ``record_locks``: a record the data manager locked (an
unlock clears ``locked``). ``signatures``: an investigator's signature of a visit's
records, with the hash of the records as signed. ``verifications``: source data
verification of a record by the monitor, with the hash of the record as verified. As in
revisions 0003 to 0008, rows are never deleted (triggers abort every DELETE and, on
PostgreSQL, TRUNCATE, reusing 0003's function) and every insert and update is an entry
of the audit chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

NEVER_DELETED = ("queries", "record_locks", "signatures", "verifications")


def _participant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["participant_id"], ["participants.id"], name=f"fk_{table}_participant_id_participants"
    )


def upgrade() -> None:
    op.create_table(
        "queries",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("participant_id", sa.Integer, nullable=False),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("raised_by", sa.Text, nullable=False),
        sa.Column("raised_at_utc", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_queries"),
        _participant_fk("queries"),
    )
    op.create_table(
        "record_locks",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("locked_by", sa.Text, nullable=False),
        sa.Column("locked_at_utc", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_record_locks"),
        sa.UniqueConstraint("table_name", "record_id", name="uq_record_locks_table_record"),
    )
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("participant_id", sa.Integer, nullable=False),
        sa.Column("visit", sa.Text, nullable=False),
        sa.Column("records_json", sa.Text, nullable=False),
        sa.Column("records_hash", sa.Text, nullable=False),
        sa.Column("signed_by", sa.Text, nullable=False),
        sa.Column("signed_at_utc", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signatures"),
        _participant_fk("signatures"),
        sa.UniqueConstraint("participant_id", "visit", name="uq_signatures_participant_visit"),
    )
    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("record_hash", sa.Text, nullable=False),
        sa.Column("verified_by", sa.Text, nullable=False),
        sa.Column("verified_at_utc", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_verifications"),
        sa.UniqueConstraint("table_name", "record_id", name="uq_verifications_table_record"),
    )
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

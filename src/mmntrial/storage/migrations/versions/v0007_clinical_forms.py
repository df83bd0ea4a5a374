"""The capture app: grip per hand, adverse events, labs, concomitant medications, dispositions.

Revision ID: 0007
Revises: 0006

``assessments`` gains ``side`` ("left"/"right" for grip, "" for a measure not taken per
side) and its uniqueness becomes per participant, visit, measure and side, so grip keeps
one row per hand as the dataset's ``assessments`` table has it. The side is "" rather
than NULL for the other measures so that the database itself still holds one MRC sum
per visit (two NULLs are distinct to a unique constraint).

The new tables hold what docs/dataset.md's tables of the same names need, dates as
calendar dates (the export turns them into study days): ``adverse_events``,
``labs``, ``conmeds`` and ``dispositions`` (at most one per participant; none means
the participant is still on study). As in revisions 0003 to 0005, rows are never
deleted (triggers abort every DELETE and, on PostgreSQL, TRUNCATE, reusing 0003's
function) and every insert and update is an entry of the audit chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

NEVER_DELETED = ("adverse_events", "labs", "conmeds", "dispositions")
OLD_UNIQUE = "uq_assessments_participant_visit_measure"
NEW_UNIQUE = "uq_assessments_participant_visit_measure_side"


def _participant(table: str) -> list[sa.Column[int] | sa.Constraint]:
    return [
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("participant_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=f"fk_{table}_participant_id_participants"
        ),
    ]


def _no_delete(name: str, dialect: str) -> None:
    if dialect == "sqlite":
        op.execute(
            f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name} BEGIN "
            f"SELECT RAISE(ABORT, 'mmntrial capture: rows of {name} are never deleted'); END"
        )
        return
    for action, each in (("DELETE", "ROW"), ("TRUNCATE", "STATEMENT")):
        op.execute(
            f"CREATE TRIGGER {name}_no_{action.lower()} BEFORE {action} ON {name} "
            f"FOR EACH {each} EXECUTE FUNCTION mmntrial_capture_no_delete()"
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # SQLite changes a constraint by copying the table (batch mode); the copy has no
    # trigger, so the no-delete trigger of revision 0005 is made again after it.
    with op.batch_alter_table("assessments", recreate="auto") as batch:
        batch.add_column(sa.Column("side", sa.Text, nullable=False, server_default=""))
        batch.drop_constraint(OLD_UNIQUE, type_="unique")
        batch.create_unique_constraint(NEW_UNIQUE, ["participant_id", "visit", "measure", "side"])
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS assessments_no_delete")
        _no_delete("assessments", dialect)
    op.create_table(
        "adverse_events",
        *_participant("adverse_events"),
        sa.Column("ae_id", sa.Text, nullable=False),
        sa.Column("term", sa.Text, nullable=False),
        sa.Column("onset_on", sa.Text, nullable=False),
        sa.Column("resolved_on", sa.Text, nullable=True),
        sa.Column("grade", sa.Integer, nullable=False),
        sa.Column("serious", sa.Boolean, nullable=False),
        sa.Column("related_to", sa.Text, nullable=False),
        sa.Column("action_taken", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.UniqueConstraint("participant_id", "ae_id", name="uq_adverse_events_participant_ae"),
    )
    op.create_table(
        "labs",
        *_participant("labs"),
        sa.Column("sampled_on", sa.Text, nullable=False),
        sa.Column("test", sa.Text, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("grade", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.UniqueConstraint(
            "participant_id", "sampled_on", "test", name="uq_labs_participant_sampled_test"
        ),
    )
    op.create_table(
        "conmeds",
        *_participant("conmeds"),
        sa.Column("medication", sa.Text, nullable=False),
        sa.Column("started_on", sa.Text, nullable=False),
        sa.Column("ended_on", sa.Text, nullable=True),
        sa.Column("category", sa.Text, nullable=False),
    )
    op.create_table(
        "dispositions",
        *_participant("dispositions"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("last_on", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.UniqueConstraint("participant_id", name="uq_dispositions_participant_id"),
    )
    for name in NEVER_DELETED:
        _no_delete(name, dialect)


def downgrade() -> None:
    for name in reversed(NEVER_DELETED):
        op.drop_table(name)
    with op.batch_alter_table("assessments", recreate="auto") as batch:
        batch.drop_constraint(NEW_UNIQUE, type_="unique")
        batch.create_unique_constraint(OLD_UNIQUE, ["participant_id", "visit", "measure"])
        batch.drop_column("side")

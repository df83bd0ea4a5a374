"""The capture app: visits as done, their assessments, and the IVIg infusion log.

Revision ID: 0005
Revises: 0004

One row per participant and scheduled visit, holding the date it was done; the visit
calendar (:mod:`mmntrial.engine.calendar`) reads these to say which visits are done,
due or overdue. ``assessments`` holds one row per participant, visit and measure
taken there (the MRC sum with its grades, a scale's value); ``infusions`` the IVIg
infusions given, at most one a day per participant. As in revisions 0003 and
0004, rows are never deleted (triggers abort every DELETE and, on PostgreSQL, TRUNCATE,
reusing 0003's function) and every insert and update is an entry of the audit chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

NEVER_DELETED = ("visits", "assessments", "infusions")


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("participant_id", sa.Integer, nullable=False),
        sa.Column("visit", sa.Text, nullable=False),
        sa.Column("visited_on", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_visits"),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name="fk_visits_participant_id_participants"
        ),
        sa.UniqueConstraint("participant_id", "visit", name="uq_visits_participant_visit"),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("participant_id", sa.Integer, nullable=False),
        sa.Column("visit", sa.Text, nullable=False),
        sa.Column("measure", sa.Text, nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("detail_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_assessments_participant_id_participants",
        ),
        sa.UniqueConstraint(
            "participant_id", "visit", "measure", name="uq_assessments_participant_visit_measure"
        ),
    )
    op.create_table(
        "infusions",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("participant_id", sa.Integer, nullable=False),
        sa.Column("given_on", sa.Text, nullable=False),
        sa.Column("product", sa.Text, nullable=False),
        sa.Column("lot", sa.Text, nullable=False),
        sa.Column("route", sa.Text, nullable=False),
        sa.Column("dose_g", sa.Float, nullable=False),
        sa.Column("weight_kg", sa.Float, nullable=False),
        sa.Column("interval_days", sa.Integer, nullable=False),
        sa.Column("weight_note", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_infusions"),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name="fk_infusions_participant_id_participants"
        ),
        sa.UniqueConstraint("participant_id", "given_on", name="uq_infusions_participant_given_on"),
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

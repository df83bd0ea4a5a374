"""The capture app: a lab's normal range, and the action items the safety rules open.

Revision ID: 0009
Revises: 0008

``labs`` gains the normal range the site's laboratory reported with each value
(``lln``, ``uln``; NULL when not given) and ``ungraded``: why a lab CTCAE v5.0 grades
against its normal range could not be graded (NULL when it was, or has no such grade).

``action_items`` holds what a fired safety rule (or a value a rule cannot judge) asks
of its owner: one row per participant and finding (``finding_key``, unique), with the
rule, what was found, the action, the owner role, the dates found and due, the status
and the resolution. As in revisions 0003 to 0008, rows are never deleted (triggers
abort every DELETE and, on PostgreSQL, TRUNCATE, reusing 0003's function) and every
insert and update is an entry of the audit chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

NEVER_DELETED = ("action_items",)


def upgrade() -> None:
    op.add_column("labs", sa.Column("lln", sa.Float, nullable=True))
    op.add_column("labs", sa.Column("uln", sa.Float, nullable=True))
    op.add_column("labs", sa.Column("ungraded", sa.Text, nullable=True))
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("participant_id", sa.Integer, nullable=False),
        sa.Column("finding_key", sa.Text, nullable=False),
        sa.Column("rule_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("finding", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("owner_role", sa.Text, nullable=False),
        sa.Column("found_on", sa.Text, nullable=False),
        sa.Column("opened_on", sa.Text, nullable=False),
        sa.Column("due_on", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_action_items"),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_action_items_participant_id_participants",
        ),
        sa.UniqueConstraint(
            "participant_id", "finding_key", name="uq_action_items_participant_finding"
        ),
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
    for column in ("ungraded", "uln", "lln"):
        op.drop_column("labs", column)

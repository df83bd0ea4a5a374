"""The capture app: age and sex of an enrolled patient, recorded at eligibility.

Revision ID: 0008
Revises: 0007

The dataset's ``subjects`` table needs each subject's age and sex at randomization
(docs/dataset.md); no other capture record holds them. One row per enrolled screening
entry. As in revisions 0003 to 0005, rows are never deleted (triggers abort every
DELETE and, on PostgreSQL, TRUNCATE, reusing 0003's function) and every insert and
update is an entry of the audit chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

NEVER_DELETED = ("demographics",)


def upgrade() -> None:
    op.create_table(
        "demographics",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("screening_entry_id", sa.Integer, nullable=False),
        sa.Column("age_years", sa.Float, nullable=False),
        sa.Column("sex", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_demographics"),
        sa.ForeignKeyConstraint(
            ["screening_entry_id"],
            ["screening_log.id"],
            name="fk_demographics_screening_entry_id_screening_log",
        ),
        sa.UniqueConstraint("screening_entry_id", name="uq_demographics_screening_entry_id"),
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

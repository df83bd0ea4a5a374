"""The capture app: each site's vial sizes, and the dose decisions on the engine panel.

Revision ID: 0006
Revises: 0005

``site_vials`` holds the vial sizes a site's pharmacy stocks and how far a dispensed
dose may be from the engine's (one row per site, changed with a reason); the engine
panel rounds the dose to them. ``dose_decisions`` holds what the investigator decided
on the panel for a participant and a date: the engine's exact dose, the protocol's
dose (the vial amount), the dose ordered, whether the panel's dose was accepted or
overridden (a protocol deviation, with its reason), who and when. As in revisions 0003
to 0005, rows are never deleted (triggers abort every DELETE and, on PostgreSQL,
TRUNCATE, reusing 0003's function) and every insert and update is an entry of the audit
chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

NEVER_DELETED = ("site_vials", "dose_decisions")


def upgrade() -> None:
    op.create_table(
        "site_vials",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("site_id", sa.Integer, nullable=False),
        sa.Column("sizes_json", sa.Text, nullable=False),
        sa.Column("tolerance_percent", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_site_vials"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_site_vials_site_id_sites"),
        sa.UniqueConstraint("site_id", name="uq_site_vials_site_id"),
    )
    op.create_table(
        "dose_decisions",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("participant_id", sa.Integer, nullable=False),
        sa.Column("decided_for", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("engine_dose_g", sa.Float, nullable=True),
        sa.Column("protocol_dose_g", sa.Float, nullable=True),
        sa.Column("protocol_interval_days", sa.Float, nullable=True),
        sa.Column("ordered_dose_g", sa.Float, nullable=False),
        sa.Column("ordered_interval_days", sa.Integer, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("decided_at_utc", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dose_decisions"),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_dose_decisions_participant_id_participants",
        ),
        sa.UniqueConstraint(
            "participant_id", "decided_for", name="uq_dose_decisions_participant_decided_for"
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

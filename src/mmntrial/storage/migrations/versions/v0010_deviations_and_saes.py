"""The capture app: conmeds on the prohibited list, protocol deviations, SAE reports.

Revision ID: 0010
Revises: 0008

``conmeds`` gains ``atc_code`` (the WHO ATC code of the medication, when known) and
``list_note`` (what the prohibited and cautioned medications list says of it, "" when it
is not listed). ``adverse_events`` gains ``aware_at_utc``: when the site became aware of
a serious event, which starts the 24-hour reporting clock.

``protocol_deviations`` holds the deviations a record raises (a prohibited or cautioned
medication), each naming its record (table and id) once per kind; the dose overrides
stay in ``dose_decisions`` and the site's deviations page lists both. ``sae_reports``
holds the reports of a serious adverse event: the initial (sequence 0) and its
follow-ups (1, 2, ...), each with its narrative, who reported it and when (UTC).

As in revisions 0003 to 0008, rows are never deleted (triggers abort every DELETE and,
on PostgreSQL, TRUNCATE, reusing 0003's function) and every insert and update is an
entry of the audit chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

NEVER_DELETED = ("protocol_deviations", "sae_reports")


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
    # Added columns, no copy of the tables: their no-delete triggers stay.
    op.add_column("conmeds", sa.Column("atc_code", sa.Text, nullable=True))
    op.add_column("conmeds", sa.Column("list_note", sa.Text, nullable=False, server_default=""))
    op.add_column("adverse_events", sa.Column("aware_at_utc", sa.Text, nullable=True))
    op.create_table(
        "protocol_deviations",
        *_participant("protocol_deviations"),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("occurred_on", sa.Text, nullable=False),
        sa.Column("record_table", sa.Text, nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at_utc", sa.Text, nullable=False),
        sa.UniqueConstraint(
            "record_table", "record_id", "kind", name="uq_protocol_deviations_record_kind"
        ),
    )
    op.create_table(
        "sae_reports",
        *_participant("sae_reports"),
        sa.Column("adverse_event_id", sa.Integer, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("narrative", sa.Text, nullable=False),
        sa.Column("reported_by", sa.Text, nullable=False),
        sa.Column("reported_at_utc", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(
            ["adverse_event_id"],
            ["adverse_events.id"],
            name="fk_sae_reports_adverse_event_id_adverse_events",
        ),
        sa.UniqueConstraint(
            "adverse_event_id", "sequence", name="uq_sae_reports_adverse_event_sequence"
        ),
    )
    for name in NEVER_DELETED:
        _no_delete(name, dialect)


def downgrade() -> None:
    for name in reversed(NEVER_DELETED):
        op.drop_table(name)
    with op.batch_alter_table("adverse_events", recreate="auto") as batch:
        batch.drop_column("aware_at_utc")
    with op.batch_alter_table("conmeds", recreate="auto") as batch:
        batch.drop_column("list_note")
        batch.drop_column("atc_code")

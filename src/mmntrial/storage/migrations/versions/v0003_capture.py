"""The capture app: study, sites, users, role grants, the screening log.

Revision ID: 0003
Revises: 0002

Rows are never deleted (triggers abort every DELETE and, on PostgreSQL, TRUNCATE): a
user is retired and a grant revoked by an update, which the audit trail records. Every
insert and update is an entry of the hash chain ``audit`` (``chain_entries``, revision
0002), written by the app in the same transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

NEVER_DELETED = ("study", "sites", "users", "role_grants", "screening_log")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mmntrial_capture_no_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mmntrial capture: rows of % are never deleted', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def _tables(meta: sa.MetaData) -> list[sa.Table]:
    return [
        sa.Table(
            "study",
            meta,
            sa.Column("id", sa.Integer, autoincrement=True),
            sa.Column("protocol_name", sa.Text, nullable=False),
            sa.Column("protocol_hash", sa.Text, nullable=False),
            sa.Column("protocol_text", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_study"),
        ),
        sa.Table(
            "sites",
            meta,
            sa.Column("id", sa.Integer, autoincrement=True),
            sa.Column("code", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_sites"),
            sa.UniqueConstraint("code", name="uq_sites_code"),
        ),
        sa.Table(
            "users",
            meta,
            sa.Column("id", sa.Integer, autoincrement=True),
            sa.Column("username", sa.Text, nullable=False),
            sa.Column("password_hash", sa.Text, nullable=False),
            sa.Column("active", sa.Boolean, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_users"),
            sa.UniqueConstraint("username", name="uq_users_username"),
        ),
        sa.Table(
            "role_grants",
            meta,
            sa.Column("id", sa.Integer, autoincrement=True),
            sa.Column("user_id", sa.Integer, nullable=False),
            sa.Column("role", sa.Text, nullable=False),
            sa.Column("site_id", sa.Integer, nullable=True),
            sa.Column("active", sa.Boolean, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_role_grants"),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_role_grants_user_id_users"),
            sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_role_grants_site_id_sites"),
        ),
        sa.Table(
            "screening_log",
            meta,
            sa.Column("id", sa.Integer, autoincrement=True),
            sa.Column("site_id", sa.Integer, nullable=False),
            sa.Column("screening_id", sa.Text, nullable=False),
            sa.Column("screened_on", sa.Text, nullable=False),
            sa.Column("outcome", sa.Text, nullable=False),
            sa.Column("exclusion_code", sa.Text, nullable=True),
            sa.Column("consent_version", sa.Text, nullable=True),
            sa.Column("consent_date", sa.Text, nullable=True),
            sa.PrimaryKeyConstraint("id", name="pk_screening_log"),
            sa.ForeignKeyConstraint(
                ["site_id"], ["sites.id"], name="fk_screening_log_site_id_sites"
            ),
            sa.UniqueConstraint("site_id", "screening_id", name="uq_screening_log_site_screening"),
        ),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    for table in _tables(sa.MetaData()):
        table.create(bind)
    dialect = bind.dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION mmntrial_capture_no_delete()")

"""The hash chain (``chain_entries``), and no arm in clear in the ledger.

Revision ID: 0002
Revises: 0001

- ``chain_entries``: the tamper-evident chain of :mod:`mmntrial.storage.chain`, with
  triggers that abort every UPDATE and DELETE (and, on PostgreSQL, TRUNCATE);
- ``allocations.arm`` and ``unblindings.arm`` are dropped: a block list's arm is read
  from the sealed key file when someone unblinds; a minimization arm, chosen at
  allocation, is kept only sealed (``allocations.sealed_arm``, see
  :mod:`mmntrial.randomization.blinding`).

A ledger that already holds allocations or unblindings cannot be brought here: sealing
its arms needs the list's seed, which a migration does not have; it is refused with a
message and left untouched. Its accepted list versions are chained as they are.
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

from mmntrial.errors import StorageError

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mmntrial_chain_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mmntrial chain: % is append-only', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def _chain_table(meta: sa.MetaData) -> sa.Table:
    return sa.Table(
        "chain_entries",
        meta,
        sa.Column("chain", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("at_utc", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("previous", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("chain", "position", name="pk_chain_entries"),
    )


def upgrade() -> None:
    bind = op.get_bind()
    for name in ("allocations", "unblindings"):
        if bind.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one():
            raise StorageError(
                f"database: its {name} were made before the hash chain (revision 0002), "
                "with arms in clear; sealing them needs the list's seed, which a migration "
                "does not have. Keep using the mmntrial that made this ledger for this trial"
            )
    table = _chain_table(sa.MetaData())
    table.create(bind)
    dialect = bind.dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER chain_entries_no_truncate BEFORE TRUNCATE ON chain_entries "
            "FOR EACH STATEMENT EXECUTE FUNCTION mmntrial_chain_append_only()"
        )
    for action in ("UPDATE", "DELETE"):
        op.execute(_trigger(dialect, action))
    # Plain ALTER TABLE on both engines (SQLite >= 3.35): the triggers stay in place.
    op.execute("ALTER TABLE allocations DROP COLUMN arm")
    op.execute("ALTER TABLE unblindings DROP COLUMN arm")
    op.execute("ALTER TABLE allocations ADD COLUMN sealed_arm TEXT")
    _chain_list_versions(bind, table)


def _chain_list_versions(bind: sa.Connection, table: sa.Table) -> None:
    # The recipe of mmntrial.storage.chain, version 1, written out here: a revision is
    # history and must not change when the module does.
    rows = bind.execute(
        sa.text("SELECT commitment, method, accepted_at_utc FROM list_versions ORDER BY id")
    ).all()
    previous = "0" * 64
    for position, (commitment, method, at) in enumerate(rows, start=1):
        content = {"commitment": commitment, "method": method, "slots_sha256": None}
        doc = {
            "chain": "ledger",
            "position": position,
            "kind": "list",
            "who": "mmntrial",
            "at_utc": at,
            "content": content,
            "previous": previous,
        }
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(("mmntrial-chain-v1\x1f" + text).encode("utf-8")).hexdigest()
        bind.execute(
            table.insert().values(
                chain="ledger",
                position=position,
                kind="list",
                who="mmntrial",
                at_utc=at,
                content=json.dumps(content, sort_keys=True, separators=(",", ":")),
                previous=previous,
                hash=digest,
            )
        )
        previous = digest


def _trigger(dialect: str, action: str) -> str:
    name = f"chain_entries_no_{action.lower()}"
    if dialect == "sqlite":
        return (
            f"CREATE TRIGGER {name} BEFORE {action} ON chain_entries BEGIN "
            "SELECT RAISE(ABORT, 'mmntrial chain: chain_entries is append-only'); END"
        )
    return (
        f"CREATE TRIGGER {name} BEFORE {action} ON chain_entries "
        "FOR EACH ROW EXECUTE FUNCTION mmntrial_chain_append_only()"
    )


def downgrade() -> None:
    op.drop_table("chain_entries")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION mmntrial_chain_append_only()")
    op.execute("ALTER TABLE allocations DROP COLUMN sealed_arm")
    op.execute("ALTER TABLE allocations ADD COLUMN arm TEXT NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE unblindings ADD COLUMN arm TEXT NOT NULL DEFAULT ''")

"""The ledger's tables, declared on the storage layer's one ``MetaData``.

Three tables, each append-only: ``list_versions`` (every list commitment the ledger has
accepted), ``allocations`` (one row per randomized subject) and ``unblindings`` (one row
per revealed allocation). Unique constraints make a subject, a slot (stratum, seq) and a
kit code appear at most once. No table holds an arm in clear: a minimization arm is
stored sealed, a list's arms stay in the sealed key file.

Every row is also an entry of the hash chain ``ledger`` (:mod:`mmntrial.storage.chain`),
written in the same transaction; the ledger checks rows and chain against each other.

The database itself is made by the storage layer's migrations (revisions ``0001`` and
``0002``), which also add the triggers that abort any UPDATE or DELETE; a test checks
that these declarations and the migrations agree. How concurrent allocators are kept
apart on SQLite and PostgreSQL is :mod:`mmntrial.storage.engine`'s business.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, Table, Text, UniqueConstraint

from mmntrial.storage.schema import metadata

list_versions = Table(
    "list_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commitment", Text, nullable=False, unique=True),
    Column("method", Text, nullable=False),
    Column("accepted_at_utc", Text, nullable=False),
)

allocations = Table(
    "allocations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", Text, nullable=False, unique=True),
    Column("stratum", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kit", Text, nullable=False, unique=True),
    Column("strata_json", Text, nullable=False),
    Column("allocated_by", Text, nullable=False),
    Column("allocated_at_utc", Text, nullable=False),
    Column("list_commitment", Text, nullable=False),
    # Minimization only: the arm chosen at allocation, sealed (see .blinding.seal_arm).
    Column("sealed_arm", Text, nullable=True),
    UniqueConstraint("stratum", "seq", name="uq_allocations_slot"),
)

unblindings = Table(
    "unblindings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", Text, ForeignKey("allocations.subject"), nullable=False),
    Column("kit", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("revealed_by", Text, nullable=False),
    Column("revealed_at_utc", Text, nullable=False),
)

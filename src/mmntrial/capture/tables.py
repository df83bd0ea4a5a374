"""The capture app's tables, declared on the storage layer's one ``MetaData``.

- ``study``: one row, the protocol the study runs (name, content hash, the TOML text);
- ``sites``: the centres, by code;
- ``users``: accounts with an argon2 password hash and an active flag;
- ``role_grants``: a role for a user at one site, or at all sites (``site_id`` NULL);
- ``screening_log``: every patient screened at a site, excluded with a coded reason or
  enrolled with the consent form's version and date.

Nothing is ever deleted: the migration (revision ``0003``) adds triggers that abort every
DELETE. A user is retired and a grant revoked by clearing ``active``, an update that the
audit trail (:mod:`mmntrial.capture.audit`) records with its reason, as every insert and
update of these tables.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, Table, Text, UniqueConstraint

from mmntrial.storage.schema import metadata

study = Table(
    "study",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("protocol_name", Text, nullable=False),
    Column("protocol_hash", Text, nullable=False),
    Column("protocol_text", Text, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", Text, nullable=False, unique=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", Text, nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False),
)

role_grants = Table(
    "role_grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("role", Text, nullable=False),
    # NULL: the role holds at every site (roles that are not tied to one centre).
    Column("site_id", Integer, ForeignKey("sites.id"), nullable=True),
    Column("active", Boolean, nullable=False),
)

screening_log = Table(
    "screening_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id"), nullable=False),
    Column("screening_id", Text, nullable=False),
    Column("screened_on", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("exclusion_code", Text, nullable=True),
    Column("consent_version", Text, nullable=True),
    Column("consent_date", Text, nullable=True),
    UniqueConstraint("site_id", "screening_id", name="uq_screening_log_site_screening"),
)

#: Every table of the capture app, by name: the audit trail records changes to these.
TABLES = {table.name: table for table in (study, sites, users, role_grants, screening_log)}

"""The one ``MetaData`` every table of mmntrial registers on.

The ledger, and later the capture app's participants, forms and audit trail, live in
one database with one migration history (:mod:`.migrations`); declaring every table on
this object lets a test compare the whole model with the migrations in one call.

Constraint names follow one convention, so that a later migration can name the
constraint it changes on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

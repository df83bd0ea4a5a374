"""Bring a database to the head revision of mmntrial's migrations, or refuse it.

The migrations (Alembic revisions in ``storage/migrations/versions``) ship inside the
package and run from code: no ``alembic.ini`` is needed. A database already at
:data:`HEAD` costs one query and never imports Alembic, so that a command line that opens
a ledger starts quickly; only a database that needs migrating loads it.

A database at a revision this version of mmntrial does not know (made by a newer
mmntrial, or by hand) is refused with a :class:`~mmntrial.errors.StorageError`: running
old code on a newer schema could break guarantees the newer code relies on.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, inspect, text

from mmntrial.errors import StorageError

#: The newest revision in ``migrations/versions`` (a test keeps the two in step).
HEAD = "0009"

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


def current_revisions(conn: Connection) -> tuple[str, ...]:
    """The revisions the database says it is at (empty for a database without any)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return ()
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return tuple(sorted(row[0] for row in rows))


# The tables of a ledger made before the storage layer (adopted at revision 0001).
PRE_STORAGE_TABLES = frozenset({"list_versions", "allocations", "unblindings"})


def refuse_foreign_tables(conn: Connection) -> None:
    """A database without a revision is new or a pre-storage ledger, never another's."""
    tables = set(inspect(conn).get_table_names()) - {"sqlite_sequence"}
    foreign = sorted(tables - PRE_STORAGE_TABLES)
    if foreign:
        shown = ", ".join(repr(name) for name in foreign[:5])
        where = conn.engine.url.render_as_string(hide_password=True)
        raise StorageError(
            f"database {where!r}: got a database holding tables {shown} of another application, "
            "expected a new database or one made by mmntrial; mmntrial never adds its "
            "tables to another application's database"
        )


def upgrade(conn: Connection) -> None:
    """Migrate the database behind ``conn`` to :data:`HEAD` inside its open transaction.

    The caller holds the write lock (see :func:`.engine.write_transaction`), so two
    processes opening a new database at once migrate it once.
    """
    current = current_revisions(conn)
    if current == (HEAD,):
        return
    if not current:
        refuse_foreign_tables(conn)
    # Imported here, not at the top: most openings find the database at HEAD.
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    script = ScriptDirectory.from_config(config)
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        raise StorageError(
            f"database revision: got {', '.join(unknown)}, expected one of "
            f"{', '.join(sorted(known))} (head {HEAD}); the database was made by a newer "
            "mmntrial: upgrade mmntrial, never run an older one on it"
        )
    try:
        command.upgrade(config, "head")
    except CommandError as error:  # pragma: no cover - a broken migration history
        raise StorageError(f"database migration: {error}") from None

"""A database opened at the head revision, with read and write transactions.

>>> import tempfile, pathlib
>>> from sqlalchemy import text
>>> with tempfile.TemporaryDirectory() as tmp:
...     with Database.open(pathlib.Path(tmp) / "trial.db") as db:
...         with db.read() as conn:
...             conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
'0011'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from sqlalchemy import URL, Connection, Engine
from sqlalchemy.exc import DatabaseError

from mmntrial.errors import StorageError
from mmntrial.storage.engine import make_engine, read_transaction, write_transaction
from mmntrial.storage.migrate import current_revisions, refuse_foreign_tables, upgrade
from mmntrial.storage.sqlitefile import prepare
from mmntrial.storage.target import database_url, shown


class Database:
    """One mmntrial database (SQLite file or PostgreSQL). Use :meth:`open`, then close."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)

    @classmethod
    def open(
        cls,
        target: str | Path,
        *,
        create: bool = True,
        expected: str = "an existing ledger (create one with `mmntrial randomize init`)",
    ) -> Database:
        """Open the database at ``target`` (a path or URL) and migrate it to the head revision.

        With ``create`` false, a database that does not exist yet (a missing SQLite file,
        a PostgreSQL database without mmntrial's tables) is refused instead of created:
        a ledger that was deleted must not come back empty; ``expected`` says, in that
        refusal, what was expected instead.

        Raises :class:`~mmntrial.errors.StorageError` for a target that is neither a path
        nor a SQLite or PostgreSQL URL, a directory, a file that is not a SQLite database,
        another application's database, a server that cannot be reached, or a database
        at a revision this mmntrial does not know.
        """
        url = database_url(target)
        if url.get_backend_name() == "sqlite" and url.database:
            prepare(url.database, create=create, expected=expected)
        database = cls(url)
        try:
            with database.write() as conn:
                if not create and not current_revisions(conn):
                    refuse_foreign_tables(conn)
                    raise StorageError(
                        f"database {shown(url)!r}: got a database without mmntrial's tables, "
                        f"expected {expected}"
                    )
                upgrade(conn)
        except (DatabaseError, OSError) as error:
            # No server, wrong credentials, a missing directory, no permission: say which.
            database.close()
            raise StorageError(
                f"database {shown(database.url)!r}: cannot open it ({_reason(error)})"
            ) from None
        except BaseException:
            database.close()
            raise
        return database

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction no other mmntrial writer of this database runs alongside."""
        with write_transaction(self.engine) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction for reading only: one snapshot, and no lock a writer waits for.

        A write in it fails (SQLite ``query_only``, PostgreSQL ``READ ONLY``); see
        :mod:`mmntrial.storage.engine`.
        """
        with read_transaction(self.engine) as conn:
            yield conn

    def close(self) -> None:
        """Close every connection."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _reason(error: DatabaseError | OSError) -> str:
    if isinstance(error, OSError):
        return f"{error.strerror}: {error.filename}"
    return str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)

"""Where a database lives: a plain file path (SQLite) or a URL (SQLite or PostgreSQL).

A user names a database the way they think of it: ``ledger.db`` is a SQLite file, and a
multi-centre trial gives ``postgresql+psycopg://user@host/trial``. Only these two
engines are accepted, because the storage layer's guarantees (append-only triggers, one
writer at a time) are written for exactly these two.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from mmntrial.errors import StorageError

EXPECTED = "a SQLite file path or a URL such as postgresql+psycopg://user@host/trial"


def database_url(target: str | Path) -> URL:
    """The SQLAlchemy URL of ``target``: a path means a SQLite file, a URL is taken as given.

    ``postgresql://`` without a driver means psycopg 3, the driver mmntrial ships with.

    >>> database_url("trial/ledger.db").render_as_string()
    'sqlite:///trial/ledger.db'
    >>> database_url("postgresql://nurse@db.example.org/mmn").render_as_string()
    'postgresql+psycopg://nurse@db.example.org/mmn'
    """
    text = str(target)
    if isinstance(target, Path) or "://" not in text:
        if not text.strip():
            raise StorageError(f"database: got {text!r}, expected {EXPECTED}")
        return URL.create("sqlite", database=text)
    try:
        url = make_url(text)
    except ArgumentError:
        raise StorageError(f"database: got {text!r}, expected {EXPECTED}") from None
    if url.drivername in ("postgresql", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        if not url.database or url.database == ":memory:":
            # Each connection of an in-memory database sees its own empty database.
            raise StorageError(
                f"database: got {text!r}, an in-memory SQLite database; expected a file"
            )
        return url
    raise StorageError(f"database: got {shown(url)!r} ({url.drivername}), expected {EXPECTED}")


def shown(url: URL) -> str:
    """``url`` as it may appear in a message: the password masked."""
    return url.render_as_string(hide_password=True)

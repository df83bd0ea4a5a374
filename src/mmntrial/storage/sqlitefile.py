"""A SQLite database file, checked before SQLite sees it, and created readable by its owner only.

SQLite opens almost anything without complaint and reports trouble only at the first
query, as a driver error; and a missing file is silently created, so a ledger that was
deleted would come back empty. :func:`prepare` therefore looks at the path first:

- a directory, or a file that does not start with SQLite's 16-byte header, is refused;
- a missing file is refused unless ``create`` is true (a missing folder always is);
- a new file is created with mode 0600 before SQLite opens it: the database holds
  allocations and unblindings, and SQLite gives its WAL and shared-memory files the mode
  of the database file.

Every refusal is a :class:`~mmntrial.errors.StorageError` naming the path and what was
expected.
"""

from __future__ import annotations

import os
from pathlib import Path

from mmntrial.errors import StorageError

HEADER = b"SQLite format 3\x00"


def prepare(database: str, *, create: bool, expected: str = "an existing ledger") -> None:
    """Check the SQLite file ``database`` (a path) and create it empty, 0600, if asked.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = str(pathlib.Path(tmp) / "new.db")
    ...     prepare(path, create=True)
    ...     oct(pathlib.Path(path).stat().st_mode & 0o777)
    '0o600'
    """
    path = Path(database)
    if path.is_dir():
        raise StorageError(f"database: got {database!r}, a directory; expected a SQLite file")
    if not path.exists():
        if not path.parent.is_dir():
            raise StorageError(
                f"database: got {database!r}, in a folder that does not exist "
                f"({str(path.parent)!r}); expected a SQLite file in an existing folder"
            )
        if not create:
            raise StorageError(
                f"database: got {database!r}, which does not exist; expected {expected}. "
                "If it existed, it has been deleted: restore it and audit it against the last "
                "head"
            )
        _create(path)
        return
    try:
        with path.open("rb") as handle:
            start = handle.read(len(HEADER))
    except OSError as error:
        raise StorageError(
            f"database: got {database!r}, which cannot be read ({error.strerror})"
        ) from None
    # An empty file is what a crash between creating and first writing leaves: SQLite
    # treats it as an empty database, and so do we.
    if start and start != HEADER:
        raise StorageError(
            f"database: got {database!r}, which is not a SQLite database (it starts with "
            f"{start[:8]!r}); expected a ledger file made by mmntrial"
        )


def _create(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it meanwhile: it is checked when opened
    except OSError as error:
        raise StorageError(
            f"database: got {str(path)!r}, which cannot be created ({error.strerror})"
        ) from None
    os.close(fd)

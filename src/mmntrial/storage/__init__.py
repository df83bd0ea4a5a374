"""The storage layer: one database, one schema, one migration history for all of mmntrial.

- :mod:`.target`: a path (SQLite file) or a URL (SQLite, PostgreSQL) to a database URL;
- :mod:`.engine`: engine settings per engine and the one-writer-at-a-time transaction;
- :mod:`.schema`: the one ``MetaData`` every table registers on;
- :mod:`.migrate` and ``migrations/``: Alembic revisions shipped in the package, run from
  code when a database is opened;
- :mod:`.database`: :class:`Database`, a database opened at the head revision.

A base layer: it imports only :mod:`mmntrial.errors` and third-party libraries; the
packages that own tables (randomization, later capture) import it. See docs/storage.md.
"""

from mmntrial.storage.database import Database
from mmntrial.storage.migrate import HEAD
from mmntrial.storage.schema import metadata
from mmntrial.storage.target import database_url

__all__ = ["HEAD", "Database", "database_url", "metadata"]

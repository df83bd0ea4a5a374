"""Alembic's environment: run the migrations on the connection mmntrial hands over.

:func:`mmntrial.storage.migrate.upgrade` puts an open connection, inside the writer's
transaction and lock, in ``config.attributes["connection"]``; there is no URL, ini file
or logging set-up here, and no offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()

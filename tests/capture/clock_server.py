"""The capture app served with a clock the test moves: ``python -m tests.capture.clock_server``.

A trial runs for months; a browser test cannot wait for them. This server is the app of
``mmntrial serve`` (``create_app`` under uvicorn, on loopback) with one difference: its
``today`` is read, on every call, from a file the test writes (one YYYY-MM-DD line). The
app itself has no such switch: ``mmntrial serve`` always dates records by the UTC clock,
and nothing in the environment can change that.

    python -m tests.capture.clock_server DB CLOCK_FILE PORT
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import uvicorn

from mmntrial.capture.web import create_app
from mmntrial.storage import Database


def main(db: str, clock: str, port: str) -> None:
    """Serve the study in ``db`` on 127.0.0.1:``port``, today read from ``clock``."""
    clock_file = Path(clock)

    def today() -> date:
        return date.fromisoformat(clock_file.read_text(encoding="utf-8").strip())

    database = Database.open(db)
    try:
        app = create_app(database, today=today)
        uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")
    finally:
        database.close()


if __name__ == "__main__":
    main(*sys.argv[1:])

"""The study-wide audit export: one CSV row per field changed, streamed.

The entries are read with a server-side cursor in batches (``yield_per``), never all at
once, and written as they come: memory stays flat however long the trail is. The file
is written through :func:`mmntrial.atomic.replacing_file`, so a crash leaves the old
export or the new one, never half of one.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import Connection, select

from mmntrial.atomic import replacing_file
from mmntrial.capture.audit import CHAIN
from mmntrial.storage.chain import GENESIS, Head, chain_entries

COLUMNS = (
    "position", "at_utc", "who", "kind", "table", "record", "field", "old", "new", "reason",
    "hash",
)  # fmt: skip
BATCH = 500


def _cell(value: object) -> str:
    # JSON for anything that is not plain text, so that null, true and 3 stay apart from
    # "null", "true" and "3" in the file.
    return value if isinstance(value, str) else json.dumps(value)


def export_audit(conn: Connection, out: Path) -> Head:
    """Write the audit trail to ``out`` (CSV); return the head of what was written."""
    statement = (
        select(chain_entries)
        .where(chain_entries.c.chain == CHAIN)
        .order_by(chain_entries.c.position)
    )
    count, last = 0, GENESIS
    with replacing_file(out) as temporary, temporary.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for row in conn.execution_options(yield_per=BATCH).execute(statement):
            content = json.loads(row.content)
            for field, (old, new) in sorted(content.get("changes", {}).items()):
                writer.writerow(
                    [row.position, row.at_utc, row.who, row.kind, content.get("table"),
                     content.get("record"), field, _cell(old), _cell(new),
                     content.get("reason") or "", row.hash]
                )  # fmt: skip
            count, last = row.position, row.hash
    return Head(count, last)

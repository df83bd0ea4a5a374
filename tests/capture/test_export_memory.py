"""The audit export streams: its peak memory does not grow with the number of entries."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from mmntrial.capture import audit, export
from mmntrial.capture.tables import sites
from mmntrial.storage import Database


def _peak_export(target: str | Path, out: Path) -> int:
    with Database.open(target) as db, db.read() as conn:
        tracemalloc.start()
        try:
            export.export_audit(conn, out)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def _add_sites(target: str | Path, start: int, count: int) -> None:
    with Database.open(target) as db, db.write() as conn:
        for number in range(start, start + count):
            audit.insert(conn, sites, {"code": f"SITE-{number:05d}-{'x' * 40}"}, "bulk")


def test_exporting_four_times_the_entries_takes_no_more_memory(
    study: str | Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "BATCH", 50)
    _add_sites(study, 0, 300)
    small = _peak_export(study, tmp_path / "small.csv")
    _add_sites(study, 300, 900)
    large = _peak_export(study, tmp_path / "large.csv")
    # Reading all 1200 entries at once would hold four times what 300 do.
    assert large < 1.5 * small, (small, large)
    assert (tmp_path / "large.csv").read_text(encoding="utf-8").count("\n") > 1200

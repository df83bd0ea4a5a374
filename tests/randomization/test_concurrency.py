"""Eight processes allocate 500 subjects against one ledger: nothing breaks.

Run on SQLite and on PostgreSQL (the ``database`` fixture of tests/conftest.py).
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from mmntrial.randomization.design import make_design
from mmntrial.randomization.ledger import Ledger
from mmntrial.randomization.listfile import load, save
from mmntrial.randomization.lists import generate
from tests.storage.postgres import raw

PROCESSES = 8
SUBJECTS = 500
CENTRES = ("AMC", "UMCU")


def _worker(db: str, list_path: str, worker: int, start: Any) -> None:
    with Ledger.open(db, load(list_path)) as ledger:
        start.wait()  # every worker allocates at the same moment, to make them collide
        for i in range(worker, SUBJECTS, PROCESSES):
            ledger.allocate(f"MMN-{i:04d}", {"centre": CENTRES[i % 2]}, by=f"site-{worker}")


@pytest.mark.slow
def test_eight_processes_allocate_500_subjects_without_a_clash(
    tmp_path: Path, database: str | Path
) -> None:
    design = make_design(
        "stratified_blocks",
        [("mmf", 1), ("placebo", 1)],
        block_sizes=[2, 4],
        factors={"centre": list(CENTRES)},
    )
    lst = generate(design, 300, seed=2026)
    list_path = save(lst, tmp_path / "list.json")
    db = database
    with Ledger.open(db, lst):  # create the schema once, as a deployment would
        pass
    # Fork where the OS has it: 8 spawned interpreters re-importing numpy and SQLAlchemy
    # take longer on two cores than the allocations. The parent holds no open connection
    # (the ledger above is closed), so each worker opens its own engine, like a server.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    start = ctx.Barrier(PROCESSES)
    workers = [
        ctx.Process(target=_worker, args=(str(db), str(list_path), w, start))
        for w in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [p.exitcode for p in workers] == [0] * PROCESSES
    for process in workers:
        process.close()

    rows = raw(db, "SELECT subject, stratum, seq, kit FROM allocations")
    assert len(rows) == SUBJECTS
    assert len({r[0] for r in rows}) == SUBJECTS
    assert len({(r[1], r[2]) for r in rows}) == SUBJECTS
    assert len({r[3] for r in rows}) == SUBJECTS
    for centre in CENTRES:
        stratum = f"centre={centre}"
        given = sorted((r[2], r[3]) for r in rows if r[1] == stratum)
        expected = [(s.seq, s.kit) for s in lst.slots(stratum)[: len(given)]]
        assert given == expected  # slots 1..n in list order, with the list's kit (and so arm)

"""An allocator killed with SIGKILL mid-allocation never leaves a row without its chain entry.

An allocation's row and its hash-chain entry are written in one transaction: after a
kill -9 the ledger holds both or neither, audits intact, and the next allocation goes on
from the next free slot. No timing is asserted: the test waits for allocations to appear,
then kills the allocator wherever it happens to be.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from mmntrial.randomization.audit import audit
from mmntrial.randomization.design import make_design
from mmntrial.randomization.ledger import Ledger
from mmntrial.randomization.lists import generate
from mmntrial.randomization.slots import SlotList, slots_of
from tests.storage.postgres import raw

KILLS = 5


def _allocate_forever(db: str, slots: SlotList, start: int) -> None:
    with Ledger.open(db, slots) as ledger:
        for i in range(start, start + 10_000):
            ledger.allocate(f"K{i:05d}", {}, by="robot")


def _count(db: str | Path) -> int:
    [(count,)] = raw(db, "SELECT count(*) FROM allocations")
    return int(str(count))


@pytest.mark.slow
def test_kill_9_mid_allocation_leaves_an_intact_ledger(database: str | Path) -> None:
    design = make_design("blocks", [("mmf", 1), ("placebo", 1)], block_sizes=[2, 4])
    slots = slots_of(generate(design, 5_000, seed=2**75))
    with Ledger.open(database, slots):
        pass
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    for kill in range(KILLS):
        before = _count(database)
        process = ctx.Process(target=_allocate_forever, args=(str(database), slots, kill * 10_000))
        process.start()
        while _count(database) < before + 3 and process.is_alive():
            process.join(timeout=0.01)
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join()
        assert process.exitcode == -signal.SIGKILL
        process.close()
        report = audit(database)  # rows and chain agree: both or neither were written
        assert report.allocations == _count(database) > before
    with Ledger.open(database, slots) as ledger:
        made = ledger.allocations()
        nxt = ledger.allocate("AFTER", {}, by="nurse")
    assert [a.seq for a in made] == list(range(1, len(made) + 1))
    assert nxt.seq == len(made) + 1

"""The ledger: one allocation per subject and slot, append-only, checked at start-up.

Tests that take ``database`` run on SQLite and on PostgreSQL (see tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from mmntrial.errors import (
    AlreadyRandomized,
    ListExhausted,
    ListTampered,
    RandomizationError,
)
from mmntrial.randomization.design import AllocationDesign
from mmntrial.randomization.ledger import Ledger
from mmntrial.randomization.listfile import load, save
from mmntrial.randomization.lists import AllocationList, extend, generate
from tests.storage.postgres import raw

AMSTERDAM_SUMMER = timezone(timedelta(hours=2))
FROZEN = datetime(2026, 3, 1, 10, 30, tzinfo=AMSTERDAM_SUMMER)


def frozen_clock() -> datetime:
    return FROZEN


@pytest.fixture
def centre_list(two_centres: AllocationDesign) -> AllocationList:
    return generate(two_centres, 4, seed=31)


@pytest.fixture
def ledger(database: str | Path, centre_list: AllocationList) -> Iterator[Ledger]:
    with Ledger.open(database, centre_list, clock=frozen_clock) as opened:
        yield opened


def test_allocations_follow_the_list_in_each_stratum(ledger: Ledger, centre_list) -> None:
    made = [ledger.allocate(f"S{i}", {"centre": "AMC"}, by="nurse") for i in range(4)]
    other = ledger.allocate("U1", {"centre": "UMCU"}, by="nurse")
    assert [a.kit for a in made] == [r.kit for r in centre_list.slots("centre=AMC")[:4]]
    assert (other.stratum, other.seq) == ("centre=UMCU", 1)
    assert [a.subject for a in ledger.allocations()] == ["S0", "S1", "S2", "S3", "U1"]


def test_allocation_records_who_and_when_in_utc(ledger: Ledger, database: str | Path) -> None:
    done = ledger.allocate("MMN-001", {"centre": "AMC"}, by="nurse.jansen")
    assert done.allocated_by == "nurse.jansen"
    assert done.allocated_at_utc == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert done.allocated_at_utc.utcoffset() == timedelta(0)
    stored = raw(database, "SELECT allocated_at_utc FROM allocations")
    assert stored == [("2026-03-01T08:30:00+00:00",)]


def test_allocation_is_blinded(ledger: Ledger) -> None:
    done = ledger.allocate("MMN-001", {"centre": "AMC"}, by="nurse")
    assert not hasattr(done, "arm")
    assert "mmf" not in repr(done)
    assert "placebo" not in repr(done)


def test_a_subject_is_never_randomized_twice(ledger: Ledger) -> None:
    ledger.allocate("MMN-001", {"centre": "AMC"}, by="nurse")
    with pytest.raises(AlreadyRandomized, match=r"subject: got 'MMN-001', randomized already"):
        ledger.allocate("MMN-001", {"centre": "UMCU"}, by="nurse")
    assert len(ledger.allocations()) == 1


def test_running_out_is_list_exhausted_with_how_to_extend(ledger: Ledger, centre_list) -> None:
    slots = len(centre_list.slots("centre=AMC"))
    for i in range(slots):
        ledger.allocate(f"S{i}", {"centre": "AMC"}, by="nurse")
    with pytest.raises(
        ListExhausted,
        match=rf"stratum 'centre=AMC': all {slots} slots .*"
        r"mmntrial randomize extend LIST --size",
    ):
        ledger.allocate("ONE-TOO-MANY", {"centre": "AMC"}, by="nurse")
    # The other stratum is unaffected: no fallback, no borrowing.
    assert ledger.allocate("U1", {"centre": "UMCU"}, by="nurse").seq == 1


def test_unknown_stratum_value_is_refused(ledger: Ledger) -> None:
    with pytest.raises(RandomizationError, match=r"strata\.centre: got 'LUMC'"):
        ledger.allocate("MMN-001", {"centre": "LUMC"}, by="nurse")


def test_subject_and_person_are_required(ledger: Ledger) -> None:
    with pytest.raises(RandomizationError, match=r"subject: got ' '"):
        ledger.allocate(" ", {"centre": "AMC"}, by="nurse")
    with pytest.raises(RandomizationError, match=r"by: got ''"):
        ledger.allocate("MMN-001", {"centre": "AMC"}, by="")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE allocations SET kit = 'K'",
        "DELETE FROM allocations",
        "UPDATE unblindings SET reason = 'none'",
        "DELETE FROM unblindings",
        "DELETE FROM list_versions",
    ],
)
def test_rows_can_never_be_changed_or_deleted(
    ledger: Ledger, database: str | Path, sql: str
) -> None:
    ledger.allocate("MMN-001", {"centre": "AMC"}, by="nurse")
    ledger.reveal("MMN-001", reason="SUSAR", by="dr. Smit")
    with pytest.raises(IntegrityError, match="append-only"):
        raw(database, sql)


@pytest.mark.parametrize("table", ["list_versions", "allocations", "unblindings"])
def test_postgresql_refuses_truncate_too(postgres_url: str, centre_list, table: str) -> None:
    with Ledger.open(postgres_url, centre_list) as ledger:
        ledger.allocate("MMN-001", {"centre": "AMC"}, by="nurse")
    with pytest.raises(IntegrityError, match="append-only"):
        raw(postgres_url, f"TRUNCATE {table} CASCADE")


def test_a_slot_is_never_given_twice_even_by_hand(ledger: Ledger, database: str | Path) -> None:
    ledger.allocate("MMN-001", {"centre": "AMC"}, by="nurse")
    with pytest.raises(IntegrityError, match=r"(?i)unique"):
        raw(
            database,
            "INSERT INTO allocations (subject, stratum, seq, kit, strata_json, "
            "allocated_by, allocated_at_utc, list_commitment) SELECT 'X', stratum, seq, 'K', "
            "strata_json, 'x', 'now', list_commitment FROM allocations",
        )


def test_reveal_needs_reason_and_person_and_is_recorded(ledger: Ledger, centre_list) -> None:
    done = ledger.allocate("MMN-001", {"centre": "AMC"}, by="nurse")
    with pytest.raises(RandomizationError, match=r"reason: got ''"):
        ledger.reveal("MMN-001", reason="", by="dr. Smit")
    with pytest.raises(RandomizationError, match=r"by: got ' '"):
        ledger.reveal("MMN-001", reason="SUSAR", by=" ")
    shown = ledger.reveal("MMN-001", reason="SUSAR: treating physician", by="dr. Smit")
    assert shown.arm == centre_list.slots("centre=AMC")[0].arm
    assert shown.kit == done.kit
    [record] = ledger.unblindings()
    assert (record.subject, record.kit, record.reason, record.revealed_by) == (
        "MMN-001",
        done.kit,
        "SUSAR: treating physician",
        "dr. Smit",
    )
    assert not hasattr(record, "arm")
    assert shown.revealed_at_utc.tzinfo == UTC


def test_reveal_of_an_unknown_subject_is_refused(ledger: Ledger) -> None:
    with pytest.raises(RandomizationError, match=r"expected a randomized subject"):
        ledger.reveal("NOBODY", reason="SUSAR", by="dr. Smit")


def test_a_naive_clock_is_refused(database: str | Path, centre_list) -> None:
    with pytest.raises(RandomizationError, match=r"clock: got naive"):
        Ledger.open(database, centre_list, clock=lambda: datetime(2026, 1, 1))


def test_start_up_refuses_a_list_that_changed_on_disk(
    tmp_path: Path, database: str | Path, centre_list
) -> None:
    path = save(centre_list, tmp_path / "list.json")
    with Ledger.open(database, load(path)) as ledger:
        ledger.allocate("MMN-001", {"centre": "AMC"}, by="nurse")
    text = path.read_text()
    first = centre_list.rows[0]
    other = "placebo" if first.arm == "mmf" else "mmf"
    path.write_text(text.replace(f'"arm": "{first.arm}"', f'"arm": "{other}"', 1))
    with pytest.raises(ListTampered, match=r"row 1 "):
        Ledger.open(database, load(path))


def test_start_up_refuses_a_different_list(database: str | Path, two_centres, centre_list) -> None:
    with Ledger.open(database, centre_list):
        pass
    with pytest.raises(ListTampered, match=r"the list on disk has changed"):
        Ledger.open(database, generate(two_centres, 4, seed=32))


def test_start_up_accepts_an_extension_and_keeps_allocations(
    database: str | Path, centre_list
) -> None:
    with Ledger.open(database, centre_list) as ledger:
        for i in range(len(centre_list.slots("centre=AMC"))):
            ledger.allocate(f"S{i}", {"centre": "AMC"}, by="nurse")
    longer = extend(centre_list, 12, add_levels={"centre": ["RADBOUD"]})
    with Ledger.open(database, longer) as ledger:
        nxt = ledger.allocate("NEXT", {"centre": "AMC"}, by="nurse")
        new_centre = ledger.allocate("R1", {"centre": "RADBOUD"}, by="nurse")
    assert nxt.seq == len(centre_list.slots("centre=AMC")) + 1
    assert new_centre.stratum == "centre=RADBOUD"
    versions = raw(database, "SELECT commitment FROM list_versions ORDER BY id")
    assert versions == [(centre_list.commitment,), (longer.commitment,)]


def test_minimization_ledger_is_reproducible(tmp_path: Path, minimization_two_factors) -> None:
    lst = generate(minimization_two_factors, 40, seed=9)
    subjects = [
        (
            f"S{i}",
            {"centre": ("AMC", "UMCU")[i % 2], "anti_gm1": ("positive", "negative")[i % 3 > 0]},
        )
        for i in range(40)
    ]
    arms = []
    for run in ("a", "b"):
        with Ledger.open(tmp_path / f"{run}.db", lst) as ledger:
            for subject, values in subjects:
                ledger.allocate(subject, values, by="nurse")
            arms.append(
                [r.arm for r in (ledger.reveal(s, reason="test", by="qa") for s, _ in subjects)]
            )
    assert arms[0] == arms[1]
    mmf = [
        sum(a == "mmf" for a, (_, v) in zip(arms[0], subjects, strict=True) if v["centre"] == c)
        for c in ("AMC", "UMCU")
    ]
    assert all(abs(m - 10) <= 3 for m in mmf)


def test_minimization_ledger_refuses_unknown_levels(
    tmp_path: Path, minimization_two_factors
) -> None:
    lst = generate(minimization_two_factors, 4, seed=9)
    with (
        Ledger.open(tmp_path / "m.db", lst) as ledger,
        pytest.raises(RandomizationError, match=r"strata\.anti_gm1: got 'unknown'"),
    ):
        ledger.allocate("S1", {"centre": "AMC", "anti_gm1": "unknown"}, by="nurse")


def test_database_is_in_wal_mode(tmp_path: Path, centre_list) -> None:
    with Ledger.open(tmp_path / "ledger.db", centre_list):
        pass
    assert raw(tmp_path / "ledger.db", "PRAGMA journal_mode") == [("wal",)]


def test_start_up_refuses_an_allocation_that_is_not_the_lists(
    database: str | Path, centre_list, two_centres
) -> None:
    with Ledger.open(database, centre_list) as ledger:
        ledger.allocate("MMN-001", {"centre": "AMC"}, by="nurse")
    # The same slots under another list's kit codes: a ledger that is not this list's.
    other = generate(two_centres, 4, seed=32)
    with pytest.raises(ListTampered, match=r"the list on disk has changed"):
        Ledger.open(database, other)

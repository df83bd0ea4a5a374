"""Attacks on the ledger by someone who can write its database: each one is detected.

Every attack of issue 12, item 1: a dropped table, a trigger dropped and a row deleted,
a forged insert, a changed who or when, a renamed subject, an arm flip in a
minimization ledger, an older ledger copied back, a deleted file; plus rewriting the
chain itself. Tests that take ``database`` run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mmntrial.errors import ChainBroken, StorageError
from mmntrial.randomization.audit import audit
from mmntrial.randomization.design import AllocationDesign
from mmntrial.randomization.ledger import Ledger
from mmntrial.randomization.lists import AllocationList, generate
from mmntrial.randomization.slots import SlotList, slots_of
from mmntrial.storage.chain import Head
from tests.storage.postgres import raw


@pytest.fixture
def slots(two_centres: AllocationDesign) -> SlotList:
    return slots_of(generate(two_centres, 8, seed=31))


@pytest.fixture
def three(database: str | Path, slots: SlotList) -> str | Path:
    """A ledger with three allocations (S1, S2, S3), closed again."""
    with Ledger.open(database, slots) as ledger:
        for subject in ("S1", "S2", "S3"):
            ledger.allocate(subject, {"centre": "AMC"}, by="nurse.jansen")
    return database


def _is_postgres(database: str | Path) -> bool:
    return isinstance(database, str) and database.startswith("postgresql")


def drop_trigger(database: str | Path, table: str, action: str) -> None:
    name = f"{table}_no_{action}"
    on = f" ON {table}" if _is_postgres(database) else ""
    raw(database, f"DROP TRIGGER {name}{on}")


def refused(database: str | Path, slots: SlotList, match: str) -> None:
    """Neither opening nor an audit proceeds: ChainBroken naming the entry."""
    with pytest.raises(ChainBroken, match=match):
        Ledger.open(database, slots)
    with pytest.raises(ChainBroken, match=match):
        audit(database)


def test_allocate_refuses_a_chain_broken_while_the_ledger_was_open(
    three: str | Path, slots: SlotList
) -> None:
    with Ledger.open(three, slots) as ledger:
        drop_trigger(three, "allocations", "delete")
        raw(three, "DELETE FROM allocations WHERE subject = 'S3'")
        with pytest.raises(ChainBroken, match=r"subject 'S3'\): its row is missing"):
            ledger.allocate("S4", {"centre": "AMC"}, by="n")
    assert raw(three, "SELECT count(*) FROM allocations") == [(2,)]


def test_an_intact_ledger_audits_to_the_head_of_its_last_allocation(
    database: str | Path, slots: SlotList
) -> None:
    with Ledger.open(database, slots) as ledger:
        heads = [ledger.allocate(s, {"centre": "AMC"}, by="n").head for s in ("A", "B")]
        assert ledger.head() == heads[-1]
        assert [a.head for a in ledger.allocations()] == heads
    report = audit(database, heads[0])
    assert (report.head, report.lists, report.allocations, report.unblindings) == (
        heads[-1],
        1,
        2,
        0,
    )
    assert heads[-1].count == 3  # the list version, then two allocations


def test_dropping_the_unblindings_table_is_detected(three: str | Path, slots, centre_key) -> None:
    with Ledger.open(three, centre_key) as ledger:
        ledger.reveal("S1", reason="SUSAR", by="dr. Smit")
    raw(three, "DROP TABLE unblindings")
    refused(three, slots, r"table unblindings cannot be read \(dropped")


def test_a_deleted_allocation_is_detected_and_its_slot_never_given_again(
    three: str | Path, slots: SlotList
) -> None:
    drop_trigger(three, "allocations", "delete")
    raw(three, "DELETE FROM allocations WHERE subject = 'S2'")
    refused(three, slots, r"entry 3 \(allocation, subject 'S2'\): its row is missing .*removed")
    assert raw(three, "SELECT count(*) FROM allocations") == [(2,)]


def test_a_forged_insert_is_detected(three: str | Path, slots: SlotList) -> None:
    slot = slots.slots("centre=AMC")[3]
    raw(
        three,
        "INSERT INTO allocations (subject, stratum, seq, kit, strata_json, allocated_by, "
        f"allocated_at_utc, list_commitment) VALUES ('FORGED', 'centre=AMC', 4, '{slot.kit}', "
        f"'{{\"centre\": \"AMC\"}}', 'nurse.jansen', '2026-01-01T00:00:00+00:00', "
        f"'{slots.commitment}')",
    )
    refused(
        three, slots, r"allocations row 4 \(subject 'FORGED'\) has no chain entry: it was inserted"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("allocated_by = 'somebody.else'", "who"),
        ("allocated_at_utc = '2020-01-01T00:00:00+00:00'", "at_utc"),
        ("subject = 'RENAMED'", "subject"),
    ],
)
def test_a_changed_who_when_or_subject_is_detected(
    three: str | Path, slots: SlotList, change: str, field: str
) -> None:
    drop_trigger(three, "allocations", "update")
    raw(three, f"UPDATE allocations SET {change} WHERE subject = 'S2'")
    refused(three, slots, rf"entry 3 \(allocation, subject 'S2'\): .* \(changed: {field}\)")


def test_an_arm_flip_in_a_minimization_ledger_is_detected(
    database: str | Path, minimization_two_factors: AllocationDesign
) -> None:
    key = generate(minimization_two_factors, 8, seed=9)
    with Ledger.open(database, key) as ledger:
        for i in range(3):
            ledger.allocate(f"M{i}", {"centre": "AMC", "anti_gm1": "positive"}, by="n")
    [(sealed,)] = raw(database, "SELECT sealed_arm FROM allocations WHERE subject = 'M1'")
    flipped = f"{(int(str(sealed), 16) + 1) % 2**64:016x}"
    drop_trigger(database, "allocations", "update")
    raw(database, f"UPDATE allocations SET sealed_arm = '{flipped}' WHERE subject = 'M1'")
    with pytest.raises(ChainBroken, match=r"subject 'M1'.*\(changed: sealed_arm\)"):
        Ledger.open(database, key)


def test_rewriting_an_entry_and_its_row_together_is_detected(
    three: str | Path, slots: SlotList
) -> None:
    drop_trigger(three, "allocations", "update")
    drop_trigger(three, "chain_entries", "update")
    raw(three, "UPDATE allocations SET allocated_by = 'x' WHERE subject = 'S1'")
    raw(
        three,
        "UPDATE chain_entries SET who = 'x' WHERE position = 2",
    )
    refused(three, slots, r"entry 2 \(allocation, subject 'S1'\): changed \(its content")


def test_reordered_entries_are_detected(three: str | Path, slots: SlotList) -> None:
    drop_trigger(three, "chain_entries", "update")
    # Move entry 3 to position 2 and entry 2 to 3 (through a free position).
    raw(three, "UPDATE chain_entries SET position = 99 WHERE position = 2")
    raw(three, "UPDATE chain_entries SET position = 2 WHERE position = 3")
    raw(three, "UPDATE chain_entries SET position = 3 WHERE position = 99")
    refused(three, slots, r"entry 2 \(allocation, subject 'S2'\): reordered \(it was recorded")


def test_a_removed_chain_entry_is_detected(three: str | Path, slots: SlotList) -> None:
    drop_trigger(three, "chain_entries", "delete")
    raw(three, "DELETE FROM chain_entries WHERE position = 2")
    refused(three, slots, r"ledger entry 2: removed")


def test_removing_the_last_allocation_everywhere_is_caught_by_the_head(
    three: str | Path, slots: SlotList
) -> None:
    head = audit(three).head
    drop_trigger(three, "allocations", "delete")
    drop_trigger(three, "chain_entries", "delete")
    raw(three, "DELETE FROM allocations WHERE subject = 'S3'")
    raw(three, f"DELETE FROM chain_entries WHERE position = {head.count}")
    assert audit(three).head.count == head.count - 1  # consistent on its own ...
    with pytest.raises(ChainBroken, match=r"has 3 entries, the head given has 4: .*rolled back"):
        audit(three, head)  # ... but not against the head a DSMB kept


def test_an_older_copy_put_back_is_caught_by_the_head(tmp_path: Path, slots: SlotList) -> None:
    db = tmp_path / "ledger.db"
    with Ledger.open(db, slots) as ledger:
        ledger.allocate("S1", {"centre": "AMC"}, by="n")
    shutil.copy(db, tmp_path / "old.db")
    with Ledger.open(db, slots) as ledger:
        head = ledger.allocate("S2", {"centre": "AMC"}, by="n").head
    shutil.copy(tmp_path / "old.db", db)
    (tmp_path / "ledger.db-wal").unlink(missing_ok=True)
    with pytest.raises(ChainBroken, match=r"has 2 entries, the head given has 3"):
        audit(db, head)


def test_a_replaced_ledger_is_caught_by_the_head(tmp_path: Path, slots: SlotList) -> None:
    with Ledger.open(tmp_path / "a.db", slots) as ledger:
        head = ledger.allocate("S1", {"centre": "AMC"}, by="n").head
    with Ledger.open(tmp_path / "b.db", slots) as ledger:
        ledger.allocate("OTHER", {"centre": "AMC"}, by="n")
    with pytest.raises(ChainBroken, match=r"entry 2: its hash .* differs from the head given"):
        audit(tmp_path / "b.db", head)


def test_a_deleted_ledger_is_reported_never_recreated(tmp_path: Path, slots: SlotList) -> None:
    db = tmp_path / "ledger.db"
    with Ledger.open(db, slots) as ledger:
        head = ledger.allocate("S1", {"centre": "AMC"}, by="n").head
    for path in tmp_path.glob("ledger.db*"):
        path.unlink()
    with pytest.raises(StorageError, match=r"does not exist.*has been deleted"):
        Ledger.open(db, slots, create=False)
    with pytest.raises(StorageError, match=r"does not exist"):
        audit(db, head)
    assert not db.exists()


def test_a_malformed_head_is_refused() -> None:
    with pytest.raises(StorageError, match=r"--head: got '12:abc', expected COUNT:HASH"):
        Head.parse("12:abc", "--head")


@pytest.fixture
def centre_key(two_centres: AllocationDesign) -> AllocationList:
    return generate(two_centres, 8, seed=31)

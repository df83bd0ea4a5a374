"""Blinding by construction: no arm in clear where a blinded allocator looks, or in a message."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text

from mmntrial.errors import ChainBroken, MmntrialError, RandomizationError
from mmntrial.randomization.design import AllocationDesign
from mmntrial.randomization.ledger import Ledger
from mmntrial.randomization.listfile import load, save, to_document
from mmntrial.randomization.lists import AllocationList, generate, verify
from mmntrial.randomization.slots import from_document, read_either, slots_of
from mmntrial.randomization.slots import save as save_slots
from mmntrial.randomization.slots import to_document as slots_document
from tests.storage.postgres import raw

ARMS = ("mmf", "placebo")
AMC = {"centre": "AMC"}


@pytest.fixture
def key(two_centres: AllocationDesign) -> AllocationList:
    return generate(two_centres, 6, seed=2**70 + 3)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _every_value(database: str | Path) -> str:
    """Every value of every table, as one text (what someone reading the database sees)."""
    url = (
        make_url(database)
        if isinstance(database, str) and "://" in database
        else make_url(f"sqlite:///{database}")
    )
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            return "\n".join(
                repr(tuple(row)) for t in tables for row in conn.execute(text(f"SELECT * FROM {t}"))
            )
    finally:
        engine.dispose()


def test_files_are_created_readable_by_their_owner_only(tmp_path: Path, key) -> None:
    list_path = save(key, tmp_path / "list.json")
    slots_path = save_slots(slots_of(key), tmp_path / "list.slots.json")
    with Ledger.open(tmp_path / "ledger.db", slots_of(key)) as ledger:
        ledger.allocate("S1", AMC, by="nurse")
        written = [tmp_path / "ledger.db", *tmp_path.glob("ledger.db-*")]
        assert len(written) >= 2  # the database and its write-ahead log
        assert {p.name: _mode(p) for p in written} == {p.name: 0o600 for p in written}
    assert (_mode(list_path), _mode(slots_path)) == (0o600, 0o600)


def test_the_ledger_holds_no_arm_in_clear(database: str | Path, key) -> None:
    with Ledger.open(database, key) as ledger:
        for i in range(4):
            ledger.allocate(f"S{i}", AMC, by="nurse")
        ledger.reveal("S1", reason="SUSAR", by="dr. Smit")
    dump = _every_value(database)
    assert "S1" in dump
    assert [arm for arm in ARMS if arm in dump] == []


def test_a_minimization_ledger_keeps_its_arms_sealed(
    database: str | Path, minimization_two_factors
) -> None:
    lst = generate(minimization_two_factors, 10, seed=2**80)
    levels = {"centre": "AMC", "anti_gm1": "positive"}
    with Ledger.open(database, lst) as ledger:
        for i in range(6):
            ledger.allocate(f"M{i}", levels, by="nurse")
        arms = {ledger.reveal(f"M{i}", reason="DSMB", by="stat").arm for i in range(6)}
    assert arms == set(ARMS)  # both arms were given ...
    sealed = raw(database, "SELECT sealed_arm FROM allocations")
    assert len({s for (s,) in sealed}) == 6  # ... each sealed with its own pad
    assert [arm for arm in ARMS if arm in _every_value(database)] == []


def test_the_slots_file_holds_no_arm_and_no_seed(key) -> None:
    doc = slots_document(slots_of(key))
    assert "seed" not in doc
    assert all(set(row) == {"seq", "stratum", "kit"} for row in doc["rows"])
    assert str(key.seed) not in json.dumps(doc)


def test_allocation_needs_only_the_slots_and_reveal_needs_the_key(
    database: str | Path, key
) -> None:
    with Ledger.open(database, slots_of(key)) as ledger:
        done = ledger.allocate("S1", AMC, by="nurse")
        with pytest.raises(RandomizationError, match=r"reveal: got the slots file, expected"):
            ledger.reveal("S1", reason="SUSAR", by="dr. Smit")
    assert done.kit == key.slots("centre=AMC")[0].kit
    with Ledger.open(database, key) as ledger:
        assert ledger.reveal("S1", reason="SUSAR", by="dr. Smit").arm == key.rows[0].arm


def test_minimization_refuses_to_allocate_without_the_key(tmp_path: Path, minimization_two_factors):
    slots = slots_of(generate(minimization_two_factors, 4, seed=2**80))
    with Ledger.open(tmp_path / "m.db", slots) as ledger:
        with pytest.raises(RandomizationError, match=r"minimization allocation: got the slots"):
            ledger.allocate("M1", {"centre": "AMC", "anti_gm1": "positive"}, by="nurse")
        assert ledger.allocations() == []


def test_a_slots_file_edited_by_hand_is_refused(tmp_path: Path, key) -> None:
    doc = slots_document(slots_of(key))
    doc["rows"][0]["kit"], doc["rows"][1]["kit"] = doc["rows"][1]["kit"], doc["rows"][0]["kit"]
    with pytest.raises(RandomizationError, match=r"slots_sha256: got .* the file was edited"):
        from_document(doc)


def test_the_ledger_refuses_other_slots_for_a_commitment_it_accepted(
    database: str | Path, key
) -> None:
    with Ledger.open(database, slots_of(key)):
        pass
    slots = slots_of(key)
    one, two = slots.rows[:2]
    swapped = replace(
        slots, rows=(replace(one, kit=two.kit), replace(two, kit=one.kit), *slots.rows[2:])
    )
    with pytest.raises(MmntrialError, match=r"slots: got slots hashing to .* has changed"):
        Ledger.open(database, swapped)


def _failures(tmp_path: Path, key: AllocationList, mini: AllocationDesign) -> list[str]:
    """The messages of every failure path of lists, slots and the ledger."""
    messages: list[str] = []

    def expect(action: Callable[[], object]) -> None:
        with pytest.raises(MmntrialError) as caught:
            action()
        messages.append(str(caught.value))

    first = key.rows[0]
    flipped = replace(first, arm=ARMS[1] if first.arm == ARMS[0] else ARMS[0])
    expect(lambda: verify(replace(key, rows=(flipped, *key.rows[1:]))))
    expect(lambda: verify(replace(key, rows=key.rows[:-1])))
    doc = to_document(key)
    doc["rows"][0]["arm"] = 7
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    expect(lambda: load(bad))
    db = tmp_path / "ledger.db"
    with Ledger.open(db, key) as ledger:
        ledger.allocate("S1", AMC, by="nurse")
        expect(lambda: ledger.allocate("S1", AMC, by="nurse"))
        expect(lambda: ledger.reveal("NOBODY", reason="x", by="y"))
        for i in range(2, 40):
            try:
                ledger.allocate(f"S{i}", AMC, by="nurse")
            except MmntrialError as error:
                messages.append(str(error))  # the stratum runs out
                break
    expect(lambda: Ledger.open(db, generate(key.design, 6, seed=2**70 + 4)))
    with Ledger.open(db, slots_of(key)) as ledger:
        expect(lambda: ledger.reveal("S1", reason="x", by="y"))
    raw(db, "DROP TRIGGER allocations_no_update")
    raw(db, "UPDATE allocations SET kit = 'XXXXX-XXXXX' WHERE subject = 'S1'")
    expect(lambda: Ledger.open(db, key))
    mdb = tmp_path / "m.db"
    mkey = generate(mini, 4, seed=2**80)
    with Ledger.open(mdb, mkey) as ledger:
        ledger.allocate("M1", {"centre": "AMC", "anti_gm1": "positive"}, by="nurse")
    with Ledger.open(mdb, slots_of(mkey)) as ledger:
        expect(lambda: ledger.allocate("M2", {"centre": "AMC", "anti_gm1": "negative"}, by="n"))
    raw(mdb, "DROP TRIGGER allocations_no_update")
    raw(mdb, "UPDATE allocations SET sealed_arm = 'zz'")
    expect(lambda: Ledger.open(mdb, mkey))
    return messages


def test_no_error_message_names_an_arm(tmp_path: Path, key, minimization_two_factors) -> None:
    messages = _failures(tmp_path, key, minimization_two_factors)
    assert len(messages) == 11
    named = [m for m in messages if any(arm in m for arm in ARMS)]
    assert named == []


def test_a_key_that_is_not_the_ledgers_cannot_unseal(tmp_path: Path, minimization_two_factors):
    mkey = generate(minimization_two_factors, 4, seed=2**80)
    with Ledger.open(tmp_path / "m.db", mkey) as ledger:
        ledger.allocate("M1", {"centre": "AMC", "anti_gm1": "positive"}, by="nurse")
    raw(tmp_path / "m.db", "DROP TRIGGER allocations_no_update")
    raw(tmp_path / "m.db", "UPDATE allocations SET sealed_arm = 'zz'")
    with pytest.raises(ChainBroken, match=r"changed: sealed_arm"):
        Ledger.open(tmp_path / "m.db", mkey)


def test_read_either_tells_the_key_from_the_slots(tmp_path: Path, key) -> None:
    assert isinstance(read_either(save(key, tmp_path / "l.json")), AllocationList)
    assert read_either(save_slots(slots_of(key), tmp_path / "s.json")) == slots_of(key)

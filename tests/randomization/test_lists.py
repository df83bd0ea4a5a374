"""Lists: the commitment recipe, verification, the file format and extension."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from mmntrial.errors import ListTampered, RandomizationError
from mmntrial.randomization.design import make_design
from mmntrial.randomization.listfile import load, save, to_document
from mmntrial.randomization.lists import extend, generate, verify


def test_commitment_can_be_recomputed_by_hand_from_the_file(two_centres, tmp_path: Path) -> None:
    path = save(generate(two_centres, 6, seed=123), tmp_path / "list.json")
    doc = json.loads(path.read_text())
    rows = sorted(
        ([r["seq"], r["stratum"], r["arm"], r["kit"]] for r in doc["rows"]),
        key=lambda row: (row[1], row[0]),
    )
    text = json.dumps(
        {"method": doc["method"], "parameters": doc["parameters"], "rows": rows},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == doc["commitment"]
    assert "seed" not in text


def test_file_round_trip_and_owner_only_permissions(two_centres, tmp_path: Path) -> None:
    lst = generate(two_centres, 6, seed=2**100 + 7)
    path = save(lst, tmp_path / "list.json")
    assert load(path) == lst
    assert path.stat().st_mode & 0o077 == 0
    assert json.loads(path.read_text())["seed"] == str(2**100 + 7)


def test_verify_accepts_a_faithful_list(two_centres, tmp_path: Path) -> None:
    lst = load(save(generate(two_centres, 10, seed=5), tmp_path / "l.json"))
    assert verify(lst, published=lst.commitment) == lst.commitment


def test_verify_names_the_first_differing_row(two_centres) -> None:
    lst = generate(two_centres, 8, seed=5)
    rows = list(lst.rows)
    target = 5  # the sixth row of the file
    flipped = "placebo" if rows[target].arm == "mmf" else "mmf"
    rows[target] = replace(rows[target], arm=flipped)
    with pytest.raises(
        ListTampered,
        match=r"row 6 \(stratum 'centre=AMC', seq 6\): the file has kit .* with its arm",
    ):
        verify(replace(lst, rows=tuple(rows)))


def test_verify_refuses_a_swapped_kit_code(blocks_1to1) -> None:
    lst = generate(blocks_1to1, 8, seed=5)
    rows = list(lst.rows)
    rows[0], rows[1] = replace(rows[0], kit=rows[1].kit), replace(rows[1], kit=rows[0].kit)
    with pytest.raises(ListTampered, match=r"row 1 "):
        verify(replace(lst, rows=tuple(rows)))


def test_verify_refuses_a_dropped_row(blocks_1to1) -> None:
    lst = generate(blocks_1to1, 8, seed=5)
    with pytest.raises(ListTampered, match=r"the file has 7 rows"):
        verify(replace(lst, rows=lst.rows[:-1]))


def test_verify_refuses_a_wrong_seed(blocks_1to1) -> None:
    lst = generate(blocks_1to1, 8, seed=5)
    with pytest.raises(ListTampered, match=r"row 1"):
        verify(replace(lst, seed=6))


def test_verify_refuses_a_published_commitment_of_another_list(blocks_1to1) -> None:
    lst = generate(blocks_1to1, 8, seed=5)
    other = generate(blocks_1to1, 8, seed=6).commitment
    with pytest.raises(ListTampered, match=r"got published"):
        verify(lst, published=other)


def test_edited_parameters_do_not_match_the_commitment(blocks_1to1, tmp_path: Path) -> None:
    path = save(generate(blocks_1to1, 8, seed=5), tmp_path / "l.json")
    doc = json.loads(path.read_text())
    doc["parameters"]["block_sizes"] = [2]
    path.write_text(json.dumps(doc))
    with pytest.raises(ListTampered):
        verify(load(path))


def test_extension_keeps_earlier_commitments_verifiable(two_centres) -> None:
    first = generate(two_centres, 6, seed=77)
    second = extend(first, 12)
    third = extend(second, add_levels={"centre": ["RADBOUD"]})
    assert [c.sha256 for c in third.history[:2]] == [first.commitment, second.commitment]
    assert verify(third, published=first.commitment) == third.commitment


def test_a_tampered_history_entry_is_refused(two_centres) -> None:
    extended = extend(generate(two_centres, 6, seed=77), 12)
    forged = replace(extended.history[0], sha256="0" * 64)
    with pytest.raises(ListTampered, match=r"history\[1\]"):
        verify(replace(extended, history=(forged, extended.history[1])))


def test_extension_cannot_shrink_or_do_nothing(two_centres) -> None:
    lst = generate(two_centres, 6, seed=1)
    with pytest.raises(RandomizationError, match=r"size: got 4, expected at least"):
        extend(lst, 4)
    with pytest.raises(RandomizationError, match=r"no new levels"):
        extend(lst, 6)
    with pytest.raises(RandomizationError, match=r"add_levels\.centre: got \['AMC'\]"):
        extend(lst, add_levels={"centre": ["AMC"]})
    with pytest.raises(RandomizationError, match=r"add_levels: got factors \['sex'\]"):
        extend(lst, add_levels={"sex": ["f"]})


def test_minimization_list_holds_slots_without_arms(minimization_two_factors) -> None:
    lst = generate(minimization_two_factors, 10, seed=3)
    assert len(lst.rows) == 10
    assert {r.stratum for r in lst.rows} == {"all"}
    assert all(r.arm is None for r in lst.rows)
    assert verify(lst) == lst.commitment


def test_bad_size_and_seed_are_refused(blocks_1to1) -> None:
    with pytest.raises(RandomizationError, match=r"size: got 0"):
        generate(blocks_1to1, 0, seed=1)
    with pytest.raises(RandomizationError, match=r"seed: got -1"):
        generate(blocks_1to1, 4, seed=-1)


def test_a_file_that_is_not_a_list_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(RandomizationError, match=r"expected JSON \(line 1"):
        load(bad)
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(RandomizationError, match=r"expected an allocation list"):
        load(bad)
    with pytest.raises(RandomizationError, match=r"expected a readable list file"):
        load(tmp_path / "missing.json")


def test_document_states_method_parameters_and_history(two_centres) -> None:
    doc = to_document(generate(two_centres, 4, seed=1))
    assert doc["method"] == "stratified_blocks"
    assert doc["parameters"]["size_per_stratum"] == 4
    assert doc["parameters"]["factors"] == [{"name": "centre", "levels": ["AMC", "UMCU"]}]
    assert doc["history"][-1]["commitment"] == doc["commitment"]


def test_three_arms_unequal_ratio_list() -> None:
    d = make_design("blocks", [("high", 2), ("low", 1), ("placebo", 1)], block_sizes=[4, 8])
    lst = generate(d, 40, seed=8)
    counts = {a: sum(r.arm == a for r in lst.rows) for a in d.arms}
    assert counts["high"] == 2 * counts["low"] == 2 * counts["placebo"]

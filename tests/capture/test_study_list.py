"""``mmntrial study list``: the study's list is its slots file, checked against the protocol."""

from __future__ import annotations

from pathlib import Path

from mmntrial.capture.allocation import current_list
from mmntrial.randomization import listfile, slots
from mmntrial.randomization.design import make_design
from mmntrial.randomization.lists import generate
from mmntrial.randomization.slots import slots_of
from mmntrial.randomization.store import list_versions
from mmntrial.storage import Database
from tests.cli.running import run_main


def _write(tmp: Path, levels: list[str], arms: list[tuple[str, int]]) -> tuple[Path, Path]:
    design = make_design("stratified_blocks", arms, block_sizes=[2, 4], factors={"centre": levels})
    key = generate(design, 6, seed=11)
    return listfile.save(key, tmp / "list.json"), slots.save(slots_of(key), tmp / "s.json")


def test_the_slots_file_is_stored_and_accepted_by_the_ledger(
    study: str | Path, tmp_path: Path
) -> None:
    key_file, slots_file = _write(tmp_path, ["AMC", "UMCU"], [("mmf", 1), ("placebo", 1)])
    code, out = run_main(["study", "list", "--db", str(study), "--slots", str(slots_file)])
    assert code == 0, out
    with Database.open(study) as db, db.read() as conn:
        stored = current_list(conn)
        accepted = conn.execute(list_versions.select()).mappings().all()
    assert stored == slots.read_either(slots_file)
    assert [r["commitment"] for r in accepted] == [stored.commitment]
    # The key (with its seed) never enters the database.
    code, out = run_main(["study", "list", "--db", str(study), "--slots", str(key_file)])
    assert code == 2
    assert "expected its slots file" in out


def test_a_list_for_other_arms_or_sites_is_refused(study: str | Path, tmp_path: Path) -> None:
    _, wrong_arms = _write(tmp_path, ["AMC", "UMCU"], [("drug", 1), ("placebo", 1)])
    code, out = run_main(["study", "list", "--db", str(study), "--slots", str(wrong_arms)])
    assert code == 2
    assert "expected the protocol's [('mmf', 1), ('placebo', 1)]" in out
    _, one_site = _write(tmp_path, ["AMC"], [("mmf", 1), ("placebo", 1)])
    code, out = run_main(["study", "list", "--db", str(study), "--slots", str(one_site)])
    assert code == 2
    assert "missing UMCU" in out

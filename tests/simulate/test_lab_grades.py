"""The simulator grades every neutrophil and white-cell value, 0 when normal, as the
capture app records it (a missing grade would read "not graded" in the DSMB's shifts)."""

from __future__ import annotations

from mmntrial.protocol.loader import load_protocol
from mmntrial.safety.grading import grade
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial


def test_every_graded_lab_value_has_its_grade() -> None:
    data = simulate_one_trial(
        load_protocol("piepers-2007"), load_population("mmn-default"), effect=0.0, seed=3
    )
    labs = data.labs[data.labs["test"].isin(["neutrophils", "wbc"])]
    assert len(labs) > 0
    assert labs["grade"].notna().all()
    for row in labs.itertuples():
        assert row.grade == (grade(str(row.test), float(row.value)) or 0)
    assert (labs["grade"] == 0).any()

"""The simulator draws labs from the population's ``[labs]`` and grades every value
against the normal range the row carries, 0 when normal, as the capture app records it
(a missing grade would read "not graded" in the DSMB's shifts)."""

from __future__ import annotations

from mmntrial.protocol.loader import load_protocol
from mmntrial.safety import Graded, grade_in_range
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial


def test_every_graded_lab_value_has_its_grade_against_its_range() -> None:
    population = load_population("mmn-default")
    data = simulate_one_trial(load_protocol("piepers-2007"), population, effect=0.0, seed=3)
    labs = data.labs[data.labs["test"] != "igg"]
    assert len(labs) > 0
    assert labs["grade"].notna().all()
    for row in labs.itertuples():
        draw = population.labs.of(str(row.test))
        assert (row.lln, row.uln) == (draw.lln, draw.uln)
        graded = grade_in_range(
            str(row.test), float(row.value), lln=row.lln, uln=row.uln, unit=str(row.unit)
        )
        # Never Ungradable: every simulated row carries the range its rule needs.
        assert graded == Graded(int(row.grade)), row
    assert (labs["grade"] == 0).any()

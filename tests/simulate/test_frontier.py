"""``size_designs`` and ``on_frontier``: each taper sized alone, then the frontier marked.

Each design's answer must be what ``find_sample_size`` gives for that design on its own
(the comparison adds no randomness of its own); the frontier must hold exactly the
designs that no other beats on both patients needed and harm.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmntrial.errors import SimulationError
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.frontier import (
    MAX_DESIGNS,
    on_frontier,
    size_designs,
    weeks_deteriorated_per_patient,
)
from mmntrial.simulate.population import load_population
from mmntrial.simulate.size import BATCH_TRIALS, SizeQuestion, find_sample_size
from mmntrial.simulate.sweep.grid import design_points

PROTOCOL = load_protocol("piepers-2007")
POP = load_population("mmn-default")
QUICK = SizeQuestion(effect=0.5, power=0.6, max_trials=3 * BATCH_TRIALS, precision=0.2, max_n=40)


def _dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[0] and a[1] <= b[1] and a != b


points_st = st.lists(
    st.none() | st.tuples(st.integers(2, 40), st.integers(0, 20)).map(lambda t: (t[0], t[1] / 2)),
    max_size=12,
)


@given(points_st)
def test_the_frontier_is_exactly_the_undominated_qualifying_designs(
    costs: list[tuple[float, float] | None],
) -> None:
    flags = on_frontier(costs)
    valid = [c for c in costs if c is not None]
    front = [c for c, flag in zip(costs, flags, strict=True) if flag]
    assert all(c is not None for c in front)
    # Nothing on the frontier is beaten; everything off it (and qualifying) is beaten by
    # something on it; a qualifying set always has a frontier.
    assert not any(_dominates(a, b) for a in valid for b in front if b is not None)
    for cost, flag in zip(costs, flags, strict=True):
        if cost is not None and not flag:
            assert any(_dominates(f, cost) for f in front if f is not None)
    assert bool(front) == bool(valid)


def test_harm_over_both_arms_weights_each_arm_by_its_patients() -> None:
    answer = find_sample_size(PROTOCOL, POP, QUICK)
    by_hand = sum(a.weeks_deteriorated_per_patient * a.patients for a in answer.harm) / sum(
        a.patients for a in answer.harm
    )
    assert weeks_deteriorated_per_patient(answer.harm) == pytest.approx(by_hand)
    # Every patient of the answer's trials counts once (the search may narrow its
    # ceiling after the first batches, so count at least 2 x the last ceiling each).
    assert sum(a.patients for a in answer.harm) >= answer.n_trials * 2 * answer.curve[-1].n_per_arm


def test_each_design_gets_the_answer_it_would_get_alone() -> None:
    points = design_points(PROTOCOL, {"taper.step_percent": [10, 50]})
    sized = size_designs(points, POP, QUICK)
    assert [d.point.settings for d in sized] == [
        {"taper.step_percent": 10},
        {"taper.step_percent": 50},
    ]
    assert all(d.answer.n_per_arm is not None for d in sized)  # both reach 60% by 40
    for design in sized:
        alone = find_sample_size(design.point.protocol, POP, QUICK)
        assert design.answer == alone
        assert design.weeks_deteriorated_per_patient == weeks_deteriorated_per_patient(alone.harm)
    # A gentler taper (10% steps) lets fewer patients weaken than 50% steps.
    gentle, steep = sized
    assert gentle.weeks_deteriorated_per_patient < steep.weeks_deteriorated_per_patient
    costs = [
        None if d.answer.n_per_arm is None
        else (d.answer.n_per_arm, d.weeks_deteriorated_per_patient)
        for d in sized
    ]  # fmt: skip
    assert [d.on_frontier for d in sized] == on_frontier(costs)


def test_the_search_chooses_n_so_a_design_may_not_fix_it() -> None:
    points = design_points(PROTOCOL, {"n_per_arm": [14]})
    with pytest.raises(SimulationError, match="design axis n_per_arm: got 14"):
        size_designs(points, POP, QUICK)


def test_too_many_designs_are_refused_before_any_search() -> None:
    steps = list(range(5, 5 + 4 * (MAX_DESIGNS + 1), 4))
    points = design_points(PROTOCOL, {"taper.step_percent": steps})
    with pytest.raises(SimulationError, match=f"got {MAX_DESIGNS + 1}, expected at most"):
        size_designs(points, POP, QUICK)

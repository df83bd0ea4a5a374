"""The engine's state: the public events work on a copy, never on the state given."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from mmntrial.engine import core
from mmntrial.engine.rules import Evaluation
from mmntrial.engine.states import Action, TaperState
from tests.engine.builders import STABLE, piepers

N = 2
EVERYONE = np.ones(N, dtype=bool)
WEIGHT_KG = np.full(N, 70.0)


def arrays(state: core.EngineState) -> Iterator[npt.NDArray[np.generic]]:
    """Every array of the state, the evaluation's included, in field order."""
    for value in state:
        if isinstance(value, Evaluation):
            yield from value
        else:
            yield value


def tapering() -> core.EngineState:
    """Two patients after the pre-taper assessment and the first taper step."""
    protocol = piepers()
    state = core.start(protocol, np.array([0.143, 0.2]), np.array([28.0, 21.0]))
    # Every criterion's measure, or the engine holds (missing data never lowers a dose).
    stable = core.series_matrix(protocol, {k: np.full(N, v) for k, v in STABLE.items()}, N)
    state = core.observe(protocol, state, np.full(N, 91.0), stable, EVERYONE)
    state, decision = core.decide(protocol, state, np.full(N, 112.0), WEIGHT_KG, EVERYONE)
    assert (decision.action == Action.REDUCE).all()
    return state


def test_a_copy_shares_no_array_with_its_original() -> None:
    state = tapering()
    for original, copied in zip(arrays(state), arrays(state.copy()), strict=True):
        assert not np.shares_memory(original, copied)
        assert np.array_equal(original, copied, equal_nan=True)


def test_events_change_a_copy_and_leave_the_given_state_as_it_was() -> None:
    protocol = piepers()
    state = tapering()
    before = state.copy()
    weaker = core.series_matrix(protocol, {"mrc_sum": np.array([70.0, 86.0])}, N)
    after = core.observe(protocol, state, np.full(N, 122.0), weaker, EVERYONE)
    after, _ = core.decide(protocol, after, np.full(N, 140.0), WEIGHT_KG, EVERYONE)
    after = core.withdraw(after, np.full(N, 150.0), np.array([False, True]))
    assert after.state.tolist() == [TaperState.RESTORED, TaperState.WITHDRAWN]
    for given, kept in zip(arrays(state), arrays(before), strict=True):
        assert np.array_equal(given, kept, equal_nan=True)

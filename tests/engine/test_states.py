"""The taper state machine: allowed transitions pass, every other one raises."""

from __future__ import annotations

import numpy as np
import pytest

from mmntrial.engine.states import ALLOWED, TaperState, move, transition
from mmntrial.errors import IllegalTransition


@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED))
def test_allowed_transitions_pass(old: TaperState, new: TaperState) -> None:
    assert transition(old, new) is new


FORBIDDEN = [
    (old, new)
    for old in TaperState
    for new in TaperState
    if old is not new and (old, new) not in ALLOWED
]


@pytest.mark.parametrize(("old", "new"), FORBIDDEN)
def test_forbidden_transitions_raise(old: TaperState, new: TaperState) -> None:
    with pytest.raises(IllegalTransition, match=f"{old.label} cannot become {new.label}"):
        transition(old, new)


def test_withdrawn_is_final_and_reachable_from_everywhere() -> None:
    assert all(
        (s, TaperState.WITHDRAWN) in ALLOWED for s in TaperState if s is not TaperState.WITHDRAWN
    )
    assert not any(old is TaperState.WITHDRAWN for old, _ in ALLOWED)


def test_run_in_cannot_jump_to_restored() -> None:
    with pytest.raises(IllegalTransition, match="allowed states are: tapering, withdrawn"):
        transition(TaperState.RUN_IN, TaperState.RESTORED)


def test_vectorized_move_checks_every_changing_row() -> None:
    states = np.array([TaperState.RUN_IN, TaperState.TAPERING, TaperState.WITHDRAWN], dtype=np.int8)
    moved = move(states, np.array([True, False, False]), TaperState.TAPERING)
    assert moved.tolist() == [1, 1, 5]
    assert states.tolist() == [0, 1, 5]  # the input is never changed
    with pytest.raises(IllegalTransition, match="withdrawn cannot become tapering"):
        move(states, np.array([False, False, True]), TaperState.TAPERING)


def test_the_compiled_engine_notes_an_illegal_transition_and_raises_it() -> None:
    from mmntrial.engine.core import _move, _raise_if_illegal
    from mmntrial.engine.states import ALLOWED_TABLE

    states = np.array([TaperState.WITHDRAWN, TaperState.RUN_IN], dtype=np.int8)
    error = np.full(3, -1, dtype=np.int64)
    _move(states, 1, int(TaperState.TAPERING), ALLOWED_TABLE, error)
    _move(states, 0, int(TaperState.TAPERING), ALLOWED_TABLE, error)
    assert states.tolist() == [TaperState.WITHDRAWN, TaperState.TAPERING]  # not made
    assert error.tolist() == [0, TaperState.WITHDRAWN, TaperState.TAPERING]
    with pytest.raises(IllegalTransition, match="withdrawn cannot become tapering"):
        _raise_if_illegal(error)

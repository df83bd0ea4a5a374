"""The taper lifecycle: states, actions, and the transitions the engine may make.

::

    RUN_IN ──> TAPERING ──> STABILISED           (reached the floor, no deterioration)
                  │  ^           │
                  v  │ (refuted) v
               CONFIRMING <──────┘               (a drop awaits its repeat assessment)
                  │   ^
       (confirmed)v   │
               RESTORED ──> TAPERING             (restore_and_resume after K stable weeks)

    any state except WITHDRAWN ──> WITHDRAWN      (final)

A confirmed deterioration, or a severe one that triggers rescue, moves the patient to
RESTORED from TAPERING, STABILISED, RESTORED or CONFIRMING. A drop seen while RESTORED
or STABILISED is confirmed the same way, and a refuted drop returns to the state it
interrupted. Any other change raises :class:`~mmntrial.errors.IllegalTransition`.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt

from mmntrial.errors import IllegalTransition


class TaperState(IntEnum):
    """Where a patient is in the taper. Stored as int8 in the engine's arrays."""

    RUN_IN = 0
    TAPERING = 1
    CONFIRMING = 2
    RESTORED = 3
    STABILISED = 4
    WITHDRAWN = 5

    @property
    def label(self) -> str:
        """The lower-case name used in files and JSON (``run_in``, ``tapering``...)."""
        return self.name.lower()


class Action(IntEnum):
    """What the engine recommends for the infusion that is due."""

    BASELINE = 0  # run-in: the baseline regimen
    REDUCE = 1  # one taper step down
    HOLD = 2  # keep the current level
    RESTORE = 3  # back up after a confirmed deterioration, as taper.restore_to says
    RESCUE = 4  # a one-off rescue dose for severe deterioration
    NONE = 5  # withdrawn: the protocol recommends no dose

    @property
    def label(self) -> str:
        """The lower-case name used in files and JSON (``reduce``, ``hold``...)."""
        return self.name.lower()


_S = TaperState
ALLOWED: frozenset[tuple[TaperState, TaperState]] = frozenset(
    {
        (_S.RUN_IN, _S.TAPERING),
        (_S.TAPERING, _S.CONFIRMING),
        (_S.TAPERING, _S.RESTORED),
        (_S.TAPERING, _S.STABILISED),
        (_S.CONFIRMING, _S.TAPERING),
        (_S.CONFIRMING, _S.RESTORED),
        (_S.CONFIRMING, _S.STABILISED),
        (_S.STABILISED, _S.CONFIRMING),
        (_S.STABILISED, _S.RESTORED),
        (_S.RESTORED, _S.CONFIRMING),
        (_S.RESTORED, _S.TAPERING),
    }
    | {(state, _S.WITHDRAWN) for state in TaperState if state is not _S.WITHDRAWN}
)

# ALLOWED as a lookup table [old, new], for vectorized and compiled checks.
ALLOWED_TABLE = np.zeros((len(TaperState), len(TaperState)), dtype=bool)
for _old, _new in ALLOWED:
    ALLOWED_TABLE[_old, _new] = True


def transition(old: TaperState, new: TaperState) -> TaperState:
    """Return ``new`` if the state machine allows ``old -> new``; raise otherwise.

    >>> transition(TaperState.RUN_IN, TaperState.TAPERING).label
    'tapering'
    >>> transition(TaperState.WITHDRAWN, TaperState.TAPERING)
    Traceback (most recent call last):
    ...
    mmntrial.errors.IllegalTransition: taper state withdrawn cannot become tapering; ...
    """
    if old is new or (old, new) in ALLOWED:
        return new
    allowed = sorted(n.label for o, n in ALLOWED if o is old)
    raise IllegalTransition(
        f"taper state {old.label} cannot become {new.label}; "
        f"from {old.label} the allowed states are: {', '.join(allowed) or 'none (final)'}"
    )


def move(
    states: npt.NDArray[np.int8], where: npt.NDArray[np.bool_], new: TaperState
) -> npt.NDArray[np.int8]:
    """Vectorized :func:`transition`: set ``new`` where ``where`` holds, checking each change.

    Staying in the same state is always allowed. Returns a new array, or ``states``
    itself when nothing changes (callers never write into the arrays they are given).
    """
    code = int(new)
    changing = where & (states != code)
    if not changing.any():
        return states
    legal = ALLOWED_TABLE[states[changing], code]
    if not legal.all():
        bad = TaperState(int(states[changing][~legal][0]))
        transition(bad, new)  # raises with the explanation
    result = states.copy()
    result[where] = code
    return result


__all__ = ["ALLOWED", "ALLOWED_TABLE", "Action", "TaperState", "move", "transition"]

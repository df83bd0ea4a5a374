"""Compiling the simulator's per-patient loops with numba.

A trial simulation is tens of events for tens of thousands of patients per chunk; the
arithmetic between events (kinetics, dose need, harm) is a few dozen operations per
patient and event. As numpy array expressions every operation makes a temporary array
and a pass over memory; as one compiled loop per patient it stays in registers. Only
the simulator's kernels use this; the protocol engine stays plain numpy, the same code
for the virtual and the real trial.

``jit`` keeps each function's signature for the type checker, compiles it on first use
and caches the machine code beside the source, so later processes start at once.
IEEE semantics are kept (no fastmath): results equal the numpy formulas to rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])


def jit(function: F) -> F:
    """Compile ``function`` in nopython mode (numpy error model: x/0 gives inf, not raise)."""
    return cast(F, numba.njit(cache=True, error_model="numpy")(function))


__all__ = ["jit"]

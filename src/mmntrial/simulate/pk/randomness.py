"""Explicit randomness: every random function takes a seed or a Generator, never neither.

The global numpy state and fresh OS entropy are refused, so that the same seed gives
the same virtual patients on every run (DESIGN.md, "Decisions already taken").
"""

from __future__ import annotations

import numbers

import numpy as np

from mmntrial.errors import SimulationError

SeedLike = int | np.random.SeedSequence | np.random.Generator
"""What a random function accepts: an integer seed, a SeedSequence, or a Generator."""


def as_generator(rng: SeedLike) -> np.random.Generator:
    """Return ``rng`` itself if it is a Generator, else a new Generator seeded with it.

    A Generator is passed through (not copied), so successive calls draw successive
    numbers from it. ``None`` is refused: it would silently seed from OS entropy.

    >>> int(as_generator(2025).integers(1000)) == int(as_generator(2025).integers(1000))
    True
    >>> g = np.random.default_rng(1)
    >>> as_generator(g) is g
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise SimulationError(
        f"rng: got {rng!r} ({type(rng).__name__}), expected a non-negative integer seed, "
        "a numpy.random.SeedSequence or a numpy.random.Generator; pass a seed to make the "
        "run reproducible"
    )


__all__ = ["SeedLike", "as_generator"]

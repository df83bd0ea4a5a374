"""Caps on the size of a list, so that absurd input is refused at once, never a hang.

A list file or a command line can claim anything: a block size of 10^9, 10^8 slots per
stratum, factors whose levels multiply into millions of strata. Building such a list
would exhaust memory or run for hours, and a list file claiming it would block
``allocate``. Every design and list is checked against these caps first; the refusal
names the field, the value and the cap. Real trials stay far below them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from mmntrial.errors import RandomizationError

MAX_BLOCK_SIZE = 1_000
"""Largest block: blocks beyond a few dozen subjects give no balance worth having."""

MAX_STRATA = 10_000
"""Most strata (combinations of factor levels) a design may have."""

MAX_SIZE_PER_STRATUM = 100_000
"""Most slots per stratum (a list holds whole blocks, so up to a block more)."""

MAX_ROWS = 1_000_000
"""Most rows of a whole list (slots per stratum times strata)."""

MAX_ASSESSED_SUBJECTS = 100_000
"""Most subjects per simulated trial when a method is assessed."""

MAX_ASSESSED_ALLOCATIONS = 10_000_000
"""Most allocations one assessment simulates (subjects times simulations): about a
minute, so that a typo in ``--subjects`` or ``--simulations`` is refused, not a hang."""


def check_block_sizes(sizes: Sequence[int]) -> None:
    """Refuse a block size above :data:`MAX_BLOCK_SIZE`.

    >>> check_block_sizes([2, 10**9])
    Traceback (most recent call last):
    ...
    mmntrial.errors.RandomizationError: block_sizes: got 1000000000, expected at most 1000 ...
    """
    for size in sizes:
        if size > MAX_BLOCK_SIZE:
            raise RandomizationError(
                f"block_sizes: got {size!r}, expected at most {MAX_BLOCK_SIZE} (the cap on a "
                "block's size)"
            )


def check_strata(levels: Sequence[int]) -> None:
    """Refuse factors whose level counts multiply to more than :data:`MAX_STRATA` strata."""
    count = math.prod(levels)
    if count > MAX_STRATA:
        raise RandomizationError(
            f"strata: got factors with {' x '.join(map(str, levels))} = {count} combinations "
            f"of levels, expected at most {MAX_STRATA} strata (the cap)"
        )


def check_list_size(design: Any, size: object, field: str = "size") -> int:
    """``size`` slots per stratum for ``design``, if a whole number within the caps."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise RandomizationError(f"{field}: got {size!r}, expected a whole number >= 1")
    strata = len(design.strata())
    if size > MAX_SIZE_PER_STRATUM or size * strata > MAX_ROWS:
        raise RandomizationError(
            f"{field}: got {size!r} slots per stratum for {strata} strata, expected at most "
            f"{MAX_SIZE_PER_STRATUM} per stratum and {MAX_ROWS} rows in all (the caps)"
        )
    return size


def check_assessment_size(n_subjects: int, simulations: int) -> None:
    """Refuse an assessment beyond :data:`MAX_ASSESSED_SUBJECTS` subjects per trial or
    :data:`MAX_ASSESSED_ALLOCATIONS` allocations in all.

    >>> check_assessment_size(10**8, 1000)
    Traceback (most recent call last):
    ...
    mmntrial.errors.RandomizationError: subjects: got 100000000, expected at most 100000 ...
    """
    if n_subjects > MAX_ASSESSED_SUBJECTS:
        raise RandomizationError(
            f"subjects: got {n_subjects!r}, expected at most {MAX_ASSESSED_SUBJECTS} per "
            "simulated trial (the cap)"
        )
    if n_subjects * simulations > MAX_ASSESSED_ALLOCATIONS:
        raise RandomizationError(
            f"simulations: got {simulations!r} of {n_subjects} subjects, expected at most "
            f"{MAX_ASSESSED_ALLOCATIONS:,} allocations in all (the cap)"
        )

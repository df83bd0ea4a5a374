"""Pure list algorithms: simple randomization and permuted blocks.

Both take the arms' ratios and an explicit generator and return arm indices; they draw
strictly one subject (or one block) after another, so a longer list drawn from the same
stream starts with the shorter one. Stratification is not here: a stratified list runs
the block algorithm once per stratum, each on its own stream (see :mod:`.streams`).
Minimization depends on earlier allocations and lives in :mod:`.minimization`.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

import numpy as np

from mmntrial.errors import RandomizationError
from mmntrial.randomization.streams import below, shuffle


def simple_sequence(ratios: Sequence[int], n: int, rng: np.random.Generator) -> list[int]:
    """``n`` independent draws, arm ``k`` with probability ``ratios[k] / sum(ratios)``.

    >>> from mmntrial.randomization.streams import stream
    >>> seq = simple_sequence([1, 1], 6, stream(5, "list", "all"))
    >>> len(seq), set(seq) <= {0, 1}
    (6, True)
    """
    _check_n(n)
    cumulative = list(itertools.accumulate(ratios))
    # One draw in [0, sum of ratios) per subject; the arm is where it falls among the ratios.
    return [bisect.bisect_right(cumulative, below(rng, cumulative[-1])) for _ in range(n)]


def block_sequence(
    ratios: Sequence[int], block_sizes: Sequence[int], n: int, rng: np.random.Generator
) -> list[tuple[int, int]]:
    """Permuted blocks: ``(arm index, block number)`` rows, at least ``n``, in whole blocks.

    Each block's size is drawn uniformly from ``block_sizes`` (one size = fixed blocks);
    a block of size ``b`` holds ``b * ratios[k] / sum(ratios)`` of arm ``k``, shuffled.

    >>> from mmntrial.randomization.streams import stream
    >>> rows = block_sequence([1, 1], [2], 3, stream(5, "list", "all"))
    >>> len(rows), sorted(arm for arm, block in rows if block == 0)
    (4, [0, 1])
    """
    _check_n(n)
    total = sum(ratios)
    rows: list[tuple[int, int]] = []
    block = 0
    while len(rows) < n:
        size = block_sizes[below(rng, len(block_sizes))] if len(block_sizes) > 1 else block_sizes[0]
        if size % total:
            raise RandomizationError(
                f"block_sizes: got {size}, expected a multiple of the ratio sum {total}"
            )
        content = [k for k, r in enumerate(ratios) for _ in range(r * size // total)]
        rows.extend((arm, block) for arm in shuffle(rng, content))
        block += 1
    return rows


def check_block_sizes(sizes: Sequence[int], ratios: Sequence[int]) -> None:
    """Raise unless ``sizes`` are distinct multiples of the ratio sum (at least one)."""
    total = sum(ratios)
    ratio_text = ":".join(str(r) for r in ratios)
    if not sizes:
        raise RandomizationError(
            f"block_sizes: got none, expected one or more multiples of the ratio sum {total} "
            f"(ratio {ratio_text})"
        )
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % total:
            raise RandomizationError(
                f"block_sizes: got {size!r}, expected a multiple of the ratio sum {total} "
                f"(ratio {ratio_text}), for example {total}, {2 * total} or {3 * total}"
            )
    if len(set(sizes)) != len(sizes):
        raise RandomizationError(f"block_sizes: got {list(sizes)!r}, expected distinct sizes")


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RandomizationError(f"size: got {n!r}, expected a whole number of at least 1")

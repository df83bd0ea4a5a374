"""Permuted blocks and simple randomization for many strata at once, from given uniforms.

:mod:`.methods` draws a list one subject at a time from a raw stream, so that a
published list re-derives byte for byte. The trial simulator needs the same methods for
hundreds of thousands of subjects per second and brings its own random numbers (one
block per simulated trial, so that a trial never depends on the others). Here every
step is one array operation over all subjects:

- each stratum's blocks take their sizes from ``size_u`` (a uniform per block, one of
  ``block_sizes`` equally likely, as in :func:`.methods.block_sequence`);
- a block of size ``b`` holds ``b * ratios[k] / sum(ratios)`` of arm ``k``; its slots
  are put in a random order by sorting their ``order_u`` keys, which makes every
  arrangement of the block equally likely;
- the subject of enrolment rank ``r`` in its stratum takes slot ``r`` of the stratum's
  sequence of blocks;
- minimization runs one enrolment rank at a time, every sequence at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mmntrial.errors import RandomizationError
from mmntrial.units import Floats, Ints

_TIE = 1e-12  # minimization totals this close count as equal, as in .minimization


@dataclass(frozen=True, eq=False)
class Cohort:
    """The subjects of many simulated trials, in enrolment order, and their random numbers.

    What any method may need (see :meth:`.allocators.Allocator.batch_arms`): ``trial``
    is each subject's trial (a sequence of its own); ``levels`` ``(subjects, factors)``
    the level codes of the allocation factors, each below its ``n_levels``; ``uniforms``
    ``(subjects, 3)`` the allocation draws (the first for simple randomization, all
    three for minimization); ``block_uniforms`` gives the block-size uniforms and slot
    keys ``(trials x strata, ...)`` for permuted blocks, drawn only by those methods.
    """

    ratios: tuple[int, ...]
    trial: Ints
    levels: Ints
    n_levels: tuple[int, ...]
    uniforms: Floats
    block_uniforms: Callable[[], tuple[Floats, Floats]]

    def stratum(self) -> Ints:
        """Each subject's sequence: its trial and its combination of levels, as one number.

        >>> c = Cohort((1, 1), np.array([0, 0, 1]), np.array([[1], [0], [1]]), (2,),
        ...            np.zeros((3, 3)), lambda: (np.zeros((0, 0)), np.zeros((0, 0))))
        >>> c.stratum().tolist()
        [1, 0, 3]
        """
        stratum = self.trial * math.prod(self.n_levels)
        place = 1
        for factor, n in enumerate(self.n_levels):
            stratum = stratum + place * self.levels[:, factor]
            place *= n
        return np.asarray(stratum, dtype=np.int64)


def blocks_needed(n_subjects: int, block_sizes: Sequence[int]) -> tuple[int, int]:
    """(blocks, slots) per stratum that always cover ``n_subjects``.

    Enough blocks of the smallest size to hold every subject, and the slots those blocks
    have when each is of the largest size: the shapes of ``size_u`` and ``order_u`` rows.

    >>> blocks_needed(28, [2, 4])
    (14, 56)
    """
    blocks = math.ceil(n_subjects / min(block_sizes))
    return blocks, blocks * max(block_sizes)


def enrolment_rank(stratum: Ints) -> Ints:
    """Each subject's rank within its stratum, in the order given (0 for the first).

    >>> enrolment_rank(np.array([1, 0, 1, 1, 0])).tolist()
    [0, 0, 1, 2, 1]
    """
    order = np.argsort(stratum, kind="stable")
    sorted_strata = stratum[order]
    first = np.searchsorted(sorted_strata, sorted_strata, side="left")
    rank = np.empty(stratum.shape[0], dtype=np.int64)
    rank[order] = np.arange(stratum.shape[0]) - first
    return rank


def permuted_block_arms(
    ratios: Sequence[int],
    block_sizes: Sequence[int],
    stratum: Ints,
    size_u: Floats,
    order_u: Floats,
) -> Ints:
    """The arm index of every subject, by permuted blocks within its stratum.

    ``stratum`` (one per subject, in enrolment order) indexes the rows of ``size_u``
    (strata x blocks, see :func:`blocks_needed`) and ``order_u`` (strata x slots).

    >>> rng = np.random.default_rng(3)
    >>> strata = np.zeros(8, dtype=np.int64)
    >>> arms = permuted_block_arms([1, 1], [4], strata, rng.random((1, 2)), rng.random((1, 8)))
    >>> [int(arms[:4].sum()), int(arms[4:].sum())]   # each block of 4 holds two of arm 1
    [2, 2]
    """
    total = sum(ratios)
    sizes_allowed = np.asarray(block_sizes, dtype=np.int64)
    if (sizes_allowed % total).any() or (sizes_allowed <= 0).any():
        raise RandomizationError(
            f"block_sizes: got {list(block_sizes)}, expected positive multiples of the ratio "
            f"sum {total}"
        )
    rank = enrolment_rank(stratum)
    n_blocks, n_slots = size_u.shape[1], order_u.shape[1]
    if rank.size and (int(rank.max()) >= n_blocks * int(sizes_allowed.min()) or n_slots == 0):
        raise RandomizationError(
            f"size_u, order_u: got {n_blocks} blocks and {n_slots} slots per stratum, expected "
            f"enough for {int(rank.max()) + 1} subjects (see blocks_needed)"
        )
    pick = np.minimum((size_u * sizes_allowed.size).astype(np.int64), sizes_allowed.size - 1)
    size = sizes_allowed[pick]  # (strata, blocks)
    end = np.cumsum(size, axis=1)
    # The block of each subject: how many of its stratum's blocks end at or before it.
    block = (end[stratum] <= rank[:, None]).sum(axis=1)
    block_size = size[stratum, block]
    start = end[stratum, block] - block_size
    # The subject's slot key against the keys of its block's other slots (ties by place).
    slots = start[:, None] + np.arange(int(sizes_allowed.max()))
    in_block = slots < (start + block_size)[:, None]
    keys = order_u[stratum[:, None], np.minimum(slots, n_slots - 1)]
    own = order_u[stratum, rank]
    before = (keys < own[:, None]) | ((keys == own[:, None]) & (slots < rank[:, None]))
    place = (before & in_block).sum(axis=1)  # 0 .. block_size-1, a uniform permutation
    # Slot ``place`` of a sorted block: arm k fills places [b*cum(k-1)/total, b*cum(k)/total).
    bounds = np.cumsum(ratios)[:-1]
    return np.asarray(
        (place[:, None] * total >= block_size[:, None] * bounds).sum(axis=1), dtype=np.int64
    )


def simple_arms(ratios: Sequence[int], u: Floats) -> Ints:
    """Independent allocation: arm ``k`` with probability ``ratios[k] / sum(ratios)``.

    >>> simple_arms([1, 2], np.array([0.1, 0.34, 0.99])).tolist()
    [0, 1, 1]
    """
    cumulative = np.cumsum(ratios) / sum(ratios)
    return np.asarray(
        np.minimum(np.searchsorted(cumulative, u, side="right"), len(ratios) - 1), dtype=np.int64
    )


def minimization_arms(
    ratios: Sequence[int],
    group: Ints,
    levels: Ints,
    n_levels: Sequence[int],
    *,
    weights: Sequence[float],
    variance: bool,
    p_preferred: float,
    u: Floats,
) -> Ints:
    """Pocock-Simon minimization, one sequence per ``group`` (a simulated trial), all at once.

    The rule is :func:`mmntrial.randomization.minimization.minimize`'s: for each candidate
    arm, the imbalance (range, or ``variance``) of the ratio-adjusted counts of the
    subject's level of each factor, weighted and summed; the arm with the smallest total
    (ties uniformly) is given with probability ``p_preferred``, else another arm by the
    ratios; when every arm ties, an arm by the ratios. Subjects are in enrolment order
    within their group; ``levels`` is ``(subjects, factors)`` level codes below
    ``n_levels``; ``u`` is ``(subjects, 3)`` uniforms: the tie, the preferred-or-not
    and the by-ratio draws. Groups advance together, one enrolment rank at a time.

    >>> one_trial, one_level = np.zeros(4, dtype=np.int64), np.zeros((4, 1), dtype=np.int64)
    >>> arms = minimization_arms([1, 1], one_trial, one_level, [1], weights=[1.0],
    ...                          variance=False, p_preferred=1.0, u=np.full((4, 3), 0.1))
    >>> arms.tolist()   # a first tie by ratio, then always the arm that restores balance
    [0, 1, 0, 1]
    """
    ratio = np.asarray(ratios, dtype=np.float64)
    n_arms, n_factors = ratio.size, levels.shape[1]
    rank = enrolment_rank(group)
    n_groups = int(group.max()) + 1 if group.size else 0
    counts = np.zeros((n_groups, n_factors, max(n_levels, default=1), n_arms))
    weight = np.asarray(weights, dtype=np.float64)
    factor = np.arange(n_factors)
    arm = np.zeros(group.shape[0], dtype=np.int64)
    by_rank = np.argsort(rank, kind="stable")
    starts = np.searchsorted(rank[by_rank], np.arange(int(rank.max()) + 2 if rank.size else 1))
    for step in range(starts.size - 1):
        rows = by_rank[starts[step] : starts[step + 1]]
        g, lv = group[rows], levels[rows]
        current = counts[g[:, None], factor, lv]  # (rows, factors, arms)
        candidate = current[:, None, :, :] + np.eye(n_arms)[None, :, None, :]  # + one in arm k
        adjusted = candidate / ratio
        spread = adjusted.var(axis=3) if variance else adjusted.max(axis=3) - adjusted.min(axis=3)
        totals = spread @ weight  # (rows, candidate arms)
        preferred = totals <= totals.min(axis=1, keepdims=True) + _TIE
        tie_pick = np.floor(u[rows, 0] * preferred.sum(axis=1))
        chosen = np.argmax(np.cumsum(preferred, axis=1) > tie_pick[:, None], axis=1)
        others = np.where(np.arange(n_arms) == chosen[:, None], 0.0, ratio)
        every_arm_ties = preferred.all(axis=1)
        pool = np.where(every_arm_ties[:, None], ratio, others)
        cumulative = np.cumsum(pool, axis=1)
        by_ratio = np.argmax(cumulative > u[rows, 2, None] * cumulative[:, -1:], axis=1)
        keep = ~every_arm_ties & (u[rows, 1] < p_preferred)
        arm[rows] = np.where(keep, chosen, by_ratio)
        counts[g[:, None], factor, lv, arm[rows, None]] += 1
    return arm


__all__ = [
    "Cohort",
    "blocks_needed",
    "enrolment_rank",
    "minimization_arms",
    "permuted_block_arms",
    "simple_arms",
]

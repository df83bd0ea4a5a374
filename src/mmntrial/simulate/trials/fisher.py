"""Two-sided Fisher exact p-values for many 2x2 tables at once, from lookup tables.

A simulated trial's primary test compares responders in two arms of sizes ``n1`` and
``n2``: there are only ``(n1 + 1) (n2 + 1)`` possible outcomes, so the p-value of each
is computed once (vectorized over the hypergeometric distribution) and looked up for
every trial. Building a table costs memory and time in ``(n1 + 1)^2 (n2 + 1)``: above
:data:`TABLE_LIMIT` elements (arms of about 150) the p-values are computed for the
observed tables only, one hypergeometric distribution per margin, so that large arms
(the sample-size search goes up to 1,000) cost neither gigabytes nor minutes. The
definition is scipy's (``scipy.stats.fisher_exact``, two-sided): the probability of all
tables with the same margins that are no more likely than the one observed, with a
relative tolerance of 1e-7 for ties.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.stats import hypergeom

from mmntrial.units import Floats, Ints

_TIE_TOLERANCE = 1.0 + 1e-7
TABLE_LIMIT = 4_000_000
"""Elements of the largest lookup table built (about 100 MB while it is built)."""


@lru_cache(maxsize=256)
def fisher_table(n1: int, n2: int) -> Floats:
    """p-values of every outcome: ``table[x1, x2]`` with ``x1`` of ``n1`` and ``x2`` of ``n2``.

    >>> round(float(fisher_table(14, 14)[1, 0]), 4)     # the reference trial: 1/14 vs 0/14
    1.0
    >>> round(float(fisher_table(10, 10)[8, 2]), 4)
    0.023
    """
    x1 = np.arange(n1 + 1)[:, None]
    x2 = np.arange(n2 + 1)[None, :]
    total = x1 + x2  # responders in both arms: the third margin
    # pmf[x1, x2, y]: probability that arm 1 holds y of the `total` responders.
    y = np.arange(n1 + 1)[None, None, :]
    pmf = np.asarray(hypergeom.pmf(y, n1 + n2, total[:, :, None], n1), dtype=np.float64)
    observed = np.asarray(hypergeom.pmf(x1, n1 + n2, total, n1), dtype=np.float64)
    as_likely = pmf <= observed[:, :, None] * _TIE_TOLERANCE
    p = np.where(as_likely, pmf, 0.0).sum(axis=2)
    table: Floats = np.minimum(p, 1.0)
    table.flags.writeable = False
    return table


def fisher_p_values(x1: Ints, n1: Ints, x2: Ints, n2: Ints, *, one_sided: bool = False) -> Floats:
    """Fisher p-values for arrays of 2x2 tables (one per element): two-sided, or with
    ``one_sided`` the probability of arm 1 holding at least ``x1`` of the responders
    (scipy's ``alternative="greater"``: arm 1 the study drug, better than control).

    >>> fisher_p_values(np.array([8, 1]), np.array([10, 14]), np.array([2, 0]),
    ...                 np.array([10, 14])).round(4).tolist()
    [0.023, 1.0]
    >>> fisher_p_values(np.array([8]), np.array([10]), np.array([2]), np.array([10]),
    ...                 one_sided=True).round(4).tolist()
    [0.0115]
    """
    if one_sided:
        # One tail of one hypergeometric distribution per table: no table needed.
        tail = hypergeom.sf(x1 - 1, n1 + n2, x1 + x2, n1)
        return np.asarray(np.minimum(tail, 1.0), dtype=np.float64)
    out = np.empty(x1.shape, dtype=np.float64)
    pairs = np.unique(np.stack([n1, n2]), axis=1)
    for a, b in pairs.T.tolist():
        where = (n1 == a) & (n2 == b)
        if (a + 1) ** 2 * (b + 1) <= TABLE_LIMIT:
            out[where] = fisher_table(int(a), int(b))[x1[where], x2[where]]
        else:
            out[where] = _by_margin(x1[where], int(a), x2[where], int(b))
    return out


def _by_margin(x1: Ints, n1: int, x2: Ints, n2: int) -> Floats:
    """The p-values of the observed tables of arms ``n1`` and ``n2``, one margin at a time.

    >>> x1, x2 = np.array([8, 1, 8]), np.array([2, 0, 2])
    >>> bool(np.allclose(_by_margin(x1, 10, x2, 10), fisher_table(10, 10)[x1, x2]))
    True
    """
    out = np.empty(x1.shape, dtype=np.float64)
    total = x1 + x2
    y = np.arange(n1 + 1)
    for t in np.unique(total).tolist():
        where = total == t
        pmf = np.asarray(hypergeom.pmf(y, n1 + n2, t, n1), dtype=np.float64)
        observed = pmf[x1[where]]
        as_likely = pmf[None, :] <= observed[:, None] * _TIE_TOLERANCE
        out[where] = np.minimum(np.where(as_likely, pmf[None, :], 0.0).sum(axis=1), 1.0)
    return out


__all__ = ["TABLE_LIMIT", "fisher_p_values", "fisher_table"]

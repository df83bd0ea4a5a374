"""Fit calls whose convergence warnings become notes on the result.

A library's convergence warning about one fit is information for the reader of that
result (a variance on its boundary, a retried optimiser), not a reason to stop; so it is
recorded and returned. Every other warning goes back to the caller's filters unchanged.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def call_noting(func: Callable[[], T], category: type[Warning]) -> tuple[T, tuple[str, ...]]:
    """Run ``func``; return its value and the messages of warnings of ``category``.

    >>> def fit() -> int:
    ...     warnings.warn("on the boundary", RuntimeWarning, stacklevel=1)
    ...     return 3
    >>> call_noting(fit, RuntimeWarning)
    (3, ('on the boundary',))
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = func()
    noted: list[str] = []
    for w in caught:
        if issubclass(w.category, category):
            noted.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    # The same message repeated (one per optimiser retry) says nothing new.
    return value, tuple(dict.fromkeys(noted))

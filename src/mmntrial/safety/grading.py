"""Grading lab values with a grading table: one value, or an array of them at once.

>>> grade("neutrophils", 1.2), grade("neutrophils", 3.1)
(2, None)
>>> grade_array("wbc", [4.0, 3.99, 0.5]).tolist()
[0, 1, 4]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mmntrial.safety.tables import GradingTable, ctcae_v5


def grade(lab: str, value: float, table: GradingTable | None = None) -> int | None:
    """The grade of one value of ``lab``: None when not graded, else 1 to 4.

    ``table`` defaults to CTCAE v5.0 (:func:`~mmntrial.safety.tables.ctcae_v5`).
    """
    edges = (table or ctcae_v5()).lab(lab).below
    return sum(value < edge for edge in edges) or None


def grade_array(
    lab: str, values: npt.ArrayLike, table: GradingTable | None = None
) -> npt.NDArray[np.int64]:
    """The grades of many values of ``lab`` at once: 0 where not graded (and for NaN).

    Equal, value by value, to :func:`grade` with None as 0.
    """
    edges = np.asarray((table or ctcae_v5()).lab(lab).below, dtype=np.float64)
    array = np.asarray(values, dtype=np.float64)
    return np.asarray((array[..., np.newaxis] < edges).sum(axis=-1), dtype=np.int64)


__all__ = ["grade", "grade_array"]

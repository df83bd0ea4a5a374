"""Calendar constants and array type aliases, declared once for the whole package.

Every module that turns days into weeks, months or years, or annotates a numpy array of
a given dtype, imports the name from here; ``tests/test_owners.py`` fails if one is
assigned anywhere else. This module imports only numpy, so any layer may import it.

>>> DAYS_PER_WEEK, DAYS_PER_YEAR, DAYS_PER_MONTH == DAYS_PER_YEAR / 12
(7, 365.25, True)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# An int: a week is a whole number of study days (grids and defaults in days stay int);
# dividing by it gives the same float as dividing by 7.0.
DAYS_PER_WEEK = 7
# The Julian year: the mean over leap years, so that rates per year do not depend on
# which year a trial ran in.
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
# The engine keeps taper levels in int16 and taper states in int8: one row per patient
# for 10^5 patients, so the narrow types keep its state small.
Int16s = npt.NDArray[np.int16]
Int8s = npt.NDArray[np.int8]

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_WEEK",
    "DAYS_PER_YEAR",
    "Bools",
    "Floats",
    "Int8s",
    "Int16s",
    "Ints",
]

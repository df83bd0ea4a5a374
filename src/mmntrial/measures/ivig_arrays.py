"""Vectorized IVIg dose intensity over arrays of patients x infusions.

The same numbers as :mod:`mmntrial.measures.ivig`, for the simulator: an
:class:`InfusionArrays` holds four (patients, infusions) arrays, ``day``, ``dose_g``,
``weight_kg`` and ``interval_days``, padded with NaN where a patient has fewer
infusions. A slot is present when its ``day`` is not NaN; the four arrays must agree on
which slots are padding. Slots need not be sorted by day. Tests check that each
function equals its one-patient counterpart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mmntrial.errors import MeasureError
from mmntrial.measures.ivig import (
    MAX_DOSE_G_PER_KG,
    MAX_INTERVAL_DAYS,
    MAX_WEIGHT_KG,
    MIN_WEIGHT_KG,
    REDUCTION_DECIMALS,
    Infusion,
    check_n_infusions,
    dose_intensity,
)
from mmntrial.units import DAYS_PER_WEEK, Bools, Floats

_FIELDS = ("day", "dose_g", "weight_kg", "interval_days")


def _first_bad(bad: Bools, field: str, values: Floats, expected: str) -> None:
    if bad.any():
        patient, slot = (int(i) for i in np.argwhere(bad)[0])
        raise MeasureError(
            f"{field} of patient {patient}, infusion {slot}: got {values[patient, slot]!r}, "
            f"expected {expected}"
        )


@dataclass(frozen=True, eq=False, init=False)
class InfusionArrays:
    """Infusions of many patients as NaN-padded (patients, infusions) float arrays.

    >>> a = InfusionArrays(day=[[-42, -21, np.nan]], dose_g=[[40, 40, np.nan]],
    ...                    weight_kg=[[70, 70, np.nan]], interval_days=[[21, 21, np.nan]])
    >>> a.n_patients, a.present.sum()
    (1, np.int64(2))
    """

    day: Floats
    dose_g: Floats
    weight_kg: Floats
    interval_days: Floats

    def __init__(
        self, day: ArrayLike, dose_g: ArrayLike, weight_kg: ArrayLike, interval_days: ArrayLike
    ) -> None:
        arrays = [np.array(a, dtype=np.float64) for a in (day, dose_g, weight_kg, interval_days)]
        for field, array in zip(_FIELDS, arrays, strict=True):
            if array.ndim != 2 or array.shape != arrays[0].shape:
                raise MeasureError(
                    f"{field}: got an array of shape {array.shape}, expected a 2-D "
                    f"(patients, infusions) array shaped like day {arrays[0].shape}"
                )
            array.flags.writeable = False  # frozen means frozen, arrays included
            object.__setattr__(self, field, array)
        present = ~np.isnan(self.day)
        for field, array in zip(_FIELDS[1:], arrays[1:], strict=True):
            _first_bad(
                np.isnan(array) != ~present,
                field,
                array,
                "NaN exactly where day is NaN (padding)",
            )
        with np.errstate(invalid="ignore"):  # NaN padding is compared on purpose
            day, dose, weight, interval = arrays
            _first_bad(present & (day != np.round(day)), "day", day, "a whole study day")
            _first_bad(
                present & ~((weight >= MIN_WEIGHT_KG) & (weight <= MAX_WEIGHT_KG)),
                "weight_kg",
                weight,
                f"a weight from {MIN_WEIGHT_KG:g} to {MAX_WEIGHT_KG:g} kg",
            )
            _first_bad(
                present
                & ~(
                    (interval >= 1)
                    & (interval <= MAX_INTERVAL_DAYS)
                    & (interval == np.round(interval))
                ),
                "interval_days",
                interval,
                f"whole days from 1 to {MAX_INTERVAL_DAYS}",
            )
            _first_bad(
                present & ~((dose >= 0) & (dose <= MAX_DOSE_G_PER_KG * weight)),
                "dose_g",
                dose,
                f"0 to {MAX_DOSE_G_PER_KG:g} g/kg of the weight",
            )

    @classmethod
    def from_infusions(cls, patients: Sequence[Sequence[Infusion]]) -> InfusionArrays:
        """Pack per-patient lists of :class:`Infusion` into padded arrays (slot order kept).

        >>> from mmntrial.measures.ivig import Route
        >>> a = InfusionArrays.from_infusions([[Infusion(-21, 40, 70, 21, "Kiovig", Route.IV)], []])
        >>> a.day
        array([[-21.],
               [ nan]])
        """
        width = max((len(p) for p in patients), default=0)
        shape = (len(patients), width)
        columns = {field: np.full(shape, np.nan) for field in _FIELDS}
        for row, infusions in enumerate(patients):
            for slot, infusion in enumerate(infusions):
                for field in _FIELDS:
                    columns[field][row, slot] = getattr(infusion, field)
        return cls(**columns)

    @property
    def n_patients(self) -> int:
        """The number of patients (rows)."""
        return int(self.day.shape[0])

    @property
    def present(self) -> Bools:
        """True where a slot holds an infusion, False where it is padding."""
        return ~np.isnan(self.day)


def intensity_array(infusions: InfusionArrays) -> Floats:
    """Each infusion's intensity in g/kg/week, shaped (patients, infusions), NaN on padding.

    >>> a = InfusionArrays([[0]], [[40]], [[70]], [[21]])
    >>> intensity_array(a).round(4)
    array([[0.1905]])
    """
    return np.asarray(
        dose_intensity(infusions.dose_g, infusions.weight_kg, infusions.interval_days),
        dtype=np.float64,
    )


def _window_bounds(
    start_day: ArrayLike, end_day: ArrayLike, n_patients: int
) -> tuple[Floats, Floats]:
    start = np.broadcast_to(np.asarray(start_day, dtype=np.float64), (n_patients,))
    end = np.broadcast_to(np.asarray(end_day, dtype=np.float64), (n_patients,))
    bad = ~(start < end) | (start != np.round(start)) | (end != np.round(end))
    if bad.any():
        p = int(np.argmax(bad))
        raise MeasureError(
            f"window of patient {p}: got [{start[p]:g}, {end[p]:g}), expected "
            "start_day < end_day, both whole study days"
        )
    return start, end


def window_intensity_array(
    infusions: InfusionArrays, start_day: ArrayLike, end_day: ArrayLike
) -> Floats:
    """Vectorized :func:`~mmntrial.measures.ivig.window_intensity`, one value per patient.

    ``start_day`` and ``end_day`` are one window for all, or one per patient.

    >>> a = InfusionArrays([[0, 21]], [[40, 40]], [[70, 70]], [[21, 28]])
    >>> window_intensity_array(a, 0, 49).round(4)
    array([0.1633])
    """
    start, end = _window_bounds(start_day, end_day, infusions.n_patients)
    first = np.maximum(infusions.day, start[:, None])
    last = np.minimum(infusions.day + infusions.interval_days, end[:, None])
    overlap_days = np.clip(last - first, 0.0, None)
    share = infusions.dose_g / infusions.weight_kg * overlap_days / infusions.interval_days
    # Padding is NaN in every field; it contributes nothing.
    total_g_per_kg = np.where(infusions.present, share, 0.0).sum(axis=1)
    return np.asarray(total_g_per_kg / ((end - start) / DAYS_PER_WEEK), dtype=np.float64)


def baseline_intensity_array(infusions: InfusionArrays, n_infusions: int = 3) -> Floats:
    """Vectorized :func:`~mmntrial.measures.ivig.baseline_intensity`, one value per patient.

    >>> a = InfusionArrays([[-42, -21, 0]], [[40, 40, 30]], [[70, 70, 70]], [[21, 21, 21]])
    >>> baseline_intensity_array(a, 2).round(4)
    array([0.1905])
    """
    n = check_n_infusions(n_infusions)
    before = infusions.present & (infusions.day < 0)
    found = before.sum(axis=1)
    if (found < n).any():
        p = int(np.argmax(found < n))
        days = ", ".join(f"{d:g}" for d in np.sort(infusions.day[p][before[p]])) or "none"
        raise MeasureError(
            f"baseline intensity of patient {p}: found {int(found[p])} infusions before day 0 "
            f"(days: {days}), expected at least {n}; record the earlier infusions or lower "
            "n_infusions"
        )
    # Stable sort, as in the scalar version: same-day infusions keep their slot order.
    key = np.where(before, infusions.day, -np.inf)
    last = np.argsort(key, axis=1, kind="stable")[:, -n:]
    chosen = np.take_along_axis(intensity_array(infusions), last, axis=1)
    return np.asarray(chosen.mean(axis=1), dtype=np.float64)


def percent_reduction_array(
    intensity_g_per_kg_week: ArrayLike, baseline_g_per_kg_week: ArrayLike
) -> Floats:
    """Vectorized :func:`~mmntrial.measures.ivig.percent_reduction`; NaN stays NaN.

    >>> percent_reduction_array([0.1, 0.2, np.nan], 0.2)
    array([50.,  0., nan])
    >>> percent_reduction_array([0.3], 0.1 + 0.1 + 0.1)  # rounded: ties stay ties
    array([0.])
    """
    intensity = np.asarray(intensity_g_per_kg_week, dtype=np.float64)
    baseline = np.asarray(baseline_g_per_kg_week, dtype=np.float64)
    if not (np.isfinite(baseline) & (baseline > 0)).all():
        raise MeasureError(
            f"baseline_g_per_kg_week: got {baseline[~(baseline > 0) | ~np.isfinite(baseline)]!r}, "
            "expected positive intensities (a percent reduction from zero is undefined)"
        )
    if (intensity < 0).any() or np.isinf(intensity).any():
        raise MeasureError(
            "intensity_g_per_kg_week: got negative or infinite values, expected finite "
            "intensities of 0 or more (NaN for missing)"
        )
    reduction = np.round(100.0 * (1.0 - intensity / baseline), REDUCTION_DECIMALS) + 0.0
    return np.asarray(reduction, dtype=np.float64)


__all__ = [
    "InfusionArrays",
    "baseline_intensity_array",
    "intensity_array",
    "percent_reduction_array",
    "window_intensity_array",
]

"""The taper ladder: the regimen (dose and interval) at each taper level, per patient.

Level 0 is the baseline regimen: the baseline intensity (g/kg/week) given at the
patient's last pre-randomization interval. Each level down is one taper step:

- ``percent_step`` and ``levels`` modes cut the dose to a percentage of baseline
  intensity and keep the interval;
- ``interval`` mode keeps the baseline dose and lengthens the interval by
  ``interval_step_days`` per level, up to ``max_interval_days``.

No level goes below the protocol's floor (a percentage of baseline intensity).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mmntrial.errors import EngineError
from mmntrial.protocol.model import Taper, TaperMode

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int16]

DAYS_PER_WEEK = 7.0


def max_levels(taper: Taper, baseline_interval_days: Floats) -> Ints:
    """The lowest level index each patient may reach (0 = no taper possible).

    >>> from mmntrial.protocol.model import AfterDeterioration, Cadence
    >>> t = Taper(91, TaperMode.INTERVAL, Cadence.EVERY_INFUSION, 50.0,
    ...           AfterDeterioration.RESTORE_AND_STOP, interval_step_days=7,
    ...           max_interval_days=56)
    >>> max_levels(t, np.array([21.0, 28.0, 56.0])).tolist()  # 21->42 days halves it
    [3, 4, 0]
    """
    if taper.mode is not TaperMode.INTERVAL:
        top = len(taper.dose_levels_percent()) - 1
        return np.full(baseline_interval_days.shape, top, dtype=np.int16)
    if taper.interval_step_days is None or taper.max_interval_days is None:
        raise EngineError("interval mode needs interval_step_days and max_interval_days")
    step = float(taper.interval_step_days)
    by_max = np.floor((taper.max_interval_days - baseline_interval_days) / step)
    floor_fraction = taper.floor_percent / 100.0
    if floor_fraction > 0:
        # Intensity at level k is base / (base + k * step): keep it at or above the floor.
        by_floor = np.floor(baseline_interval_days * (1.0 / floor_fraction - 1.0) / step + 1e-9)
        by_max = np.minimum(by_max, by_floor)
    return np.clip(by_max, 0, None).astype(np.int16)


def level_percent(taper: Taper, level: Ints, baseline_interval_days: Floats) -> Floats:
    """Dose intensity at ``level`` as a percentage of baseline intensity."""
    if taper.mode is TaperMode.INTERVAL:
        step = float(taper.interval_step_days or 0)
        return 100.0 * baseline_interval_days / (baseline_interval_days + level * step)
    table = np.asarray(taper.dose_levels_percent(), dtype=np.float64)
    return table[level]


def regimen(
    taper: Taper,
    level: Ints,
    baseline_intensity: Floats,
    baseline_interval_days: Floats,
    weight_kg: Floats,
) -> tuple[Floats, Floats]:
    """Dose (g) and interval (days) at ``level`` for each patient.

    >>> from mmntrial.protocol.model import AfterDeterioration, Cadence
    >>> t = Taper(91, TaperMode.PERCENT_STEP, Cadence.EVERY_INFUSION, 0.0,
    ...           AfterDeterioration.RESTORE_AND_STOP, step_percent=25.0)
    >>> dose, interval = regimen(t, np.array([0, 1], dtype=np.int16), np.array([0.2, 0.2]),
    ...                          np.array([21.0, 21.0]), np.array([70.0, 70.0]))
    >>> dose.round(1).tolist(), interval.tolist()
    ([42.0, 31.5], [21.0, 21.0])
    """
    # Rounded to a microgram: intensity x weight x weeks does not give back 42 g exactly
    # in floating point, and a recommended dose must read as the clinician wrote it.
    baseline_dose_g = np.round(
        baseline_intensity * weight_kg * baseline_interval_days / DAYS_PER_WEEK, 6
    )
    if taper.mode is TaperMode.INTERVAL:
        step = float(taper.interval_step_days or 0)
        return baseline_dose_g, baseline_interval_days + level * step
    percent = level_percent(taper, level, baseline_interval_days)
    return np.round(baseline_dose_g * percent / 100.0, 6), baseline_interval_days.copy()


def intensity(dose_g: Floats, interval_days: Floats, weight_kg: Floats) -> Floats:
    """Dose intensity in g/kg/week: grams over body weight over the interval in weeks."""
    return dose_g / weight_kg / (interval_days / DAYS_PER_WEEK)


__all__ = ["DAYS_PER_WEEK", "intensity", "level_percent", "max_levels", "regimen"]

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

from mmntrial._jit import jit_in_place
from mmntrial.errors import EngineError
from mmntrial.measures.ivig import dose_intensity, grams_at_intensity
from mmntrial.protocol.model import Taper, TaperMode
from mmntrial.units import Floats, Int16s

# The measures' intensity formulas, compiled for the engine's per-patient loops (a
# compiled loop can call only compiled functions): the formula stays written once.
dose_intensity_at = jit_in_place(dose_intensity)
grams_at_intensity_at = jit_in_place(grams_at_intensity)


def max_levels(taper: Taper, baseline_interval_days: Floats) -> Int16s:
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


def level_percent(taper: Taper, level: Int16s, baseline_interval_days: Floats) -> Floats:
    """Dose intensity at ``level`` as a percentage of baseline intensity."""
    if taper.mode is TaperMode.INTERVAL:
        step = float(taper.interval_step_days or 0)
        return 100.0 * baseline_interval_days / (baseline_interval_days + level * step)
    table = np.asarray(taper.dose_levels_percent(), dtype=np.float64)
    return table[level]


def regimen(
    taper: Taper,
    level: Int16s,
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
    n = level.shape[0]
    dose, interval = np.empty(n), np.empty(n)
    table, step = ladder_table(taper)
    for i in range(n):
        dose[i], interval[i] = regimen_at(
            int(level[i]),
            float(baseline_intensity[i]),
            float(baseline_interval_days[i]),
            float(weight_kg[i]),
            table,
            step,
        )
    return dose, interval


def ladder_table(taper: Taper) -> tuple[Floats, float]:
    """What :func:`regimen_at` needs of the taper: the percent of baseline dose at each
    level (empty in interval mode) and the interval step in days (0 in dose modes)."""
    if taper.mode is TaperMode.INTERVAL:
        return np.zeros(0), float(taper.interval_step_days or 0)
    return np.asarray(taper.dose_levels_percent(), dtype=np.float64), 0.0


@jit_in_place
def regimen_at(
    level: int,
    baseline_intensity: float,
    baseline_interval_days: float,
    weight_kg: float,
    dose_percent: Floats,
    interval_step_days: float,
) -> tuple[float, float]:
    """One patient's dose (g) and interval (days) at ``level`` (see :func:`ladder_table`).

    Doses are rounded to a microgram: intensity x weight x weeks does not give back 42 g
    exactly in floating point, and a recommended dose must read as the clinician wrote it.
    """
    baseline_dose = _microgram(
        grams_at_intensity_at(baseline_intensity, weight_kg, baseline_interval_days)
    )
    if dose_percent.shape[0] == 0:  # interval mode: the same dose, a longer interval
        return baseline_dose, baseline_interval_days + level * interval_step_days
    return _microgram(baseline_dose * dose_percent[level] / 100.0), baseline_interval_days


@jit_in_place
def _microgram(grams: float) -> float:
    # As numpy.round(grams, 6): scale, round half to even, scale back.
    return float(np.rint(grams * 1e6) / 1e6)


__all__ = [
    "dose_intensity_at",
    "grams_at_intensity_at",
    "ladder_table",
    "level_percent",
    "max_levels",
    "regimen",
    "regimen_at",
]

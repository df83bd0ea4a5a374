"""The taper ladder: levels per mode, the floor, and the regimen at each level."""

from __future__ import annotations

import numpy as np
import pytest

from mmntrial.engine.ladder import (
    dose_intensity_at,
    grams_at_intensity_at,
    level_percent,
    max_levels,
    regimen,
)
from mmntrial.measures.ivig import dose_intensity, grams_at_intensity
from mmntrial.protocol.model import AfterDeterioration, Cadence, Taper, TaperMode


def taper(mode: TaperMode, floor: float = 0.0, **kw: object) -> Taper:
    return Taper(91, mode, Cadence.EVERY_INFUSION, floor, AfterDeterioration.RESTORE_AND_STOP, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("step", "floor", "levels"),
    [
        (25.0, 0.0, (100.0, 75.0, 50.0, 25.0, 0.0)),
        (25.0, 10.0, (100.0, 75.0, 50.0, 25.0, 10.0)),
        (30.0, 0.0, (100.0, 70.0, 40.0, 10.0, 0.0)),
        (50.0, 50.0, (100.0, 50.0)),
    ],
)
def test_percent_step_levels_end_at_the_floor(
    step: float, floor: float, levels: tuple[float, ...]
) -> None:
    assert taper(TaperMode.PERCENT_STEP, floor, step_percent=step).dose_levels_percent() == levels


def test_levels_below_the_floor_are_dropped() -> None:
    t = taper(TaperMode.LEVELS, 25.0, levels_percent=(90.0, 75.0, 50.0, 25.0, 0.0))
    assert t.dose_levels_percent() == (100.0, 90.0, 75.0, 50.0, 25.0)
    assert max_levels(t, np.array([21.0])).tolist() == [4]


def test_interval_levels_stop_at_the_maximum_interval_and_the_floor() -> None:
    t = taper(TaperMode.INTERVAL, 40.0, interval_step_days=7, max_interval_days=70)
    base = np.array([14.0, 21.0, 28.0, 35.0, 70.0])
    # 14 -> 35 days is 40%; 21 -> 49 is 43% (56 would be 37.5%); 28 -> 70 = 40%;
    # 35 -> 70 = 50% (the maximum interval binds); 70 cannot lengthen.
    assert max_levels(t, base).tolist() == [3, 4, 6, 5, 0]
    top = max_levels(t, base)
    assert np.all(level_percent(t, top, base) >= 40.0 - 1e-9)


def test_regimen_keeps_interval_when_cutting_dose() -> None:
    t = taper(TaperMode.PERCENT_STEP, step_percent=25.0)
    level = np.array([0, 2, 4], dtype=np.int16)
    dose, interval = regimen(t, level, np.full(3, 0.2), np.full(3, 21.0), np.full(3, 70.0))
    assert dose.tolist() == [42.0, 21.0, 0.0]
    assert interval.tolist() == [21.0, 21.0, 21.0]
    assert dose_intensity(dose, np.full(3, 70.0), interval) == pytest.approx([0.2, 0.1, 0.0])


def test_regimen_keeps_dose_when_lengthening_interval() -> None:
    t = taper(TaperMode.INTERVAL, interval_step_days=7, max_interval_days=56)
    level = np.array([0, 1, 3], dtype=np.int16)
    dose, interval = regimen(t, level, np.full(3, 0.2), np.full(3, 21.0), np.full(3, 70.0))
    assert dose.tolist() == [42.0, 42.0, 42.0]
    assert interval.tolist() == [21.0, 28.0, 42.0]
    assert level_percent(t, level, np.full(3, 21.0)) == pytest.approx([100.0, 75.0, 50.0])


@pytest.mark.parametrize(
    ("dose_g", "weight_kg", "interval_days"),
    [(42.0, 70.0, 21.0), (31.5, 63.3, 28.0), (17.3, 81.7, 35.0), (0.0, 55.5, 14.0)],
)
def test_compiled_intensity_formulas_equal_the_measures_ones_bit_for_bit(
    dose_g: float, weight_kg: float, interval_days: float
) -> None:
    intensity = dose_intensity(dose_g, weight_kg, interval_days)
    assert dose_intensity_at(dose_g, weight_kg, interval_days) == intensity
    grams = grams_at_intensity(intensity, weight_kg, interval_days)
    assert grams_at_intensity_at(intensity, weight_kg, interval_days) == grams

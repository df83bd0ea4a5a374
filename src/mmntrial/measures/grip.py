"""Grip strength per hand, with the instrument named.

The Martin vigorimeter reads bulb pressure in kPa (catalogue measure ``grip_kpa``); the
Jamar dynamometer reads force in kg (``grip_jamar_kg``). They are different instruments
measuring different things, so a reading is never converted from one to the other, and
two readings from different instruments never meet in one comparison (DOMAIN.md
section 3). Each hand gets up to three trials; the best (highest) one counts. The more
affected hand is the one with the lower best value.

Arrays of trials are shaped (..., trials) with NaN for a trial not taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import Side, check_value, measure_spec

MAX_TRIALS = 3


class GripInstrument(StrEnum):
    """The device a grip reading was taken with; it fixes the measure and the unit."""

    MARTIN_VIGORIMETER = "martin_vigorimeter"
    JAMAR_DYNAMOMETER = "jamar_dynamometer"

    @property
    def measure(self) -> str:
        """The catalogue measure of this instrument's readings.

        >>> GripInstrument.JAMAR_DYNAMOMETER.measure
        'grip_jamar_kg'
        """
        return _MEASURE_OF[self]

    @property
    def unit(self) -> str:
        """The unit this instrument reads in ("kPa" or "kg").

        >>> GripInstrument.MARTIN_VIGORIMETER.unit
        'kPa'
        """
        return measure_spec(self.measure).unit


_MEASURE_OF = {
    GripInstrument.MARTIN_VIGORIMETER: "grip_kpa",
    GripInstrument.JAMAR_DYNAMOMETER: "grip_jamar_kg",
}


def _instrument(value: GripInstrument | str) -> GripInstrument:
    try:
        return GripInstrument(value)
    except ValueError:
        expected = " or ".join(repr(i.value) for i in GripInstrument)
        raise MeasureError(f"grip instrument: got {value!r}, expected {expected}") from None


def _side(value: Side | str) -> Side:
    try:
        return Side(value)
    except ValueError:
        raise MeasureError(f"grip side: got {value!r}, expected 'left' or 'right'") from None


@dataclass(frozen=True)
class GripReading:
    """One hand's grip trials (1 to 3) on one instrument, in that instrument's unit.

    The unit is given, not assumed, so that a Jamar kg value typed into a vigorimeter
    form is refused instead of being read as kPa.

    >>> r = GripReading(GripInstrument.MARTIN_VIGORIMETER, Side.LEFT, (48, 52, 50), "kPa")
    >>> r.best
    52.0
    >>> GripReading(GripInstrument.MARTIN_VIGORIMETER, Side.LEFT, (30,), "kg")
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: grip_kpa: got unit 'kg', expected 'kPa' (a Jamar reading ...
    """

    instrument: GripInstrument
    side: Side
    trials: tuple[float, ...]
    unit: str

    def __post_init__(self) -> None:
        instrument = _instrument(self.instrument)
        object.__setattr__(self, "instrument", instrument)
        object.__setattr__(self, "side", _side(self.side))
        trials = tuple(self.trials)
        where = f"{instrument.measure} ({self.side})"
        if not 1 <= len(trials) <= MAX_TRIALS:
            raise MeasureError(
                f"{where}: got {len(trials)} trials, expected 1 to {MAX_TRIALS} "
                "(the best of up to three counts)"
            )
        # check_value refuses a wrong unit and names the other instrument where it fits.
        checked = tuple(check_value(instrument.measure, t, self.unit) for t in trials)
        object.__setattr__(self, "trials", checked)

    @property
    def measure(self) -> str:
        """The catalogue measure: ``grip_kpa`` or ``grip_jamar_kg``."""
        return self.instrument.measure

    @property
    def best(self) -> float:
        """The best (highest) trial, in :attr:`unit`."""
        return max(self.trials)


@dataclass(frozen=True)
class GripAssessment:
    """Both hands at one assessment, on the same instrument.

    >>> m = GripInstrument.MARTIN_VIGORIMETER
    >>> a = GripAssessment(GripReading(m, Side.LEFT, (52, 55), "kPa"),
    ...                    GripReading(m, Side.RIGHT, (40, 38, 41), "kPa"))
    >>> a.more_affected_side, a.more_affected_best
    (<Side.RIGHT: 'right'>, 41.0)
    """

    left: GripReading
    right: GripReading

    def __post_init__(self) -> None:
        for expected, reading in ((Side.LEFT, self.left), (Side.RIGHT, self.right)):
            if reading.side is not expected:
                raise MeasureError(
                    f"grip {expected} hand: got a reading for the {reading.side} hand, "
                    f"expected the {expected} hand"
                )
        if self.left.instrument is not self.right.instrument:
            raise MeasureError(
                f"grip: got left on {self.left.instrument} and right on "
                f"{self.right.instrument}, expected one instrument for both hands "
                "(kPa and kg readings are never compared or converted)"
            )

    @property
    def instrument(self) -> GripInstrument:
        """The instrument both hands were measured with."""
        return self.left.instrument

    @property
    def more_affected_side(self) -> Side | None:
        """The hand with the lower best value; None when both are equal."""
        if self.left.best == self.right.best:
            return None
        return Side.LEFT if self.left.best < self.right.best else Side.RIGHT

    @property
    def more_affected_best(self) -> float:
        """The lower of the two best values (the more affected hand's grip)."""
        return min(self.left.best, self.right.best)


def best_grip_array(trials: ArrayLike, instrument: GripInstrument | str) -> NDArray[np.float64]:
    """Vectorized best of trials: (..., trials) to (...), NaN where no trial was taken.

    >>> best_grip_array([[48, 52, np.nan], [np.nan, np.nan, np.nan]], "martin_vigorimeter")
    array([52., nan])
    """
    device = _instrument(instrument)
    values = np.asarray(trials, dtype=np.float64)
    if values.ndim < 1 or not 1 <= values.shape[-1] <= MAX_TRIALS:
        raise MeasureError(
            f"{device.measure}: got trials of shape {values.shape}, expected a last axis "
            f"of 1 to {MAX_TRIALS} trials"
        )
    spec = measure_spec(device.measure)
    bad = ~np.isnan(values) & ((values < spec.minimum) | (values > spec.maximum))
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise MeasureError(
            f"{device.measure} at {index}: got {values[index]!r} {spec.unit}, expected a "
            f"value from {spec.minimum:g} to {spec.maximum:g} {spec.unit}"
        )
    # fmax ignores NaN and leaves NaN only where every trial is NaN, without the
    # all-NaN RuntimeWarning of nanmax.
    return np.asarray(np.fmax.reduce(values, axis=-1), dtype=np.float64)


def more_affected_array(left_best: ArrayLike, right_best: ArrayLike) -> NDArray[np.float64]:
    """Vectorized :attr:`GripAssessment.more_affected_best`; NaN if either hand is missing.

    >>> more_affected_array([52.0, 40.0], [41.0, np.nan])
    array([41., nan])
    """
    left = np.asarray(left_best, dtype=np.float64)
    right = np.asarray(right_best, dtype=np.float64)
    return np.asarray(np.minimum(left, right), dtype=np.float64)


__all__ = [
    "MAX_TRIALS",
    "GripAssessment",
    "GripInstrument",
    "GripReading",
    "best_grip_array",
    "more_affected_array",
]

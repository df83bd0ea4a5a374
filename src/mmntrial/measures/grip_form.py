"""The grip form: three trials per hand on one named instrument, the best kept.

The instrument is chosen on the form and fixes the measure (:class:`GripInstrument`:
Martin vigorimeter, ``grip_kpa``; Jamar dynamometer, ``grip_jamar_kg``); the unit is
typed with the values and converted only where the catalogue allows it (a Jamar dial
read in lb), never from one instrument's unit to the other's. Each trial gets a
plausibility verdict (:func:`mmntrial.measures.plausibility.judge`); the best of a
hand is the highest trial that is not refused. Field names are ``grip.<side>.trial<n>``,
n from 1.

>>> form = grip_form("martin_vigorimeter", "kPa", left=[48, 52, None], right=[41, 40, 39])
>>> form.best("left"), form.best("right"), form.ready
(52.0, 41.0, True)
>>> form.assessment().more_affected_side.value
'right'
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import Side, measure_spec
from mmntrial.measures.grip import MAX_TRIALS, GripAssessment, GripInstrument, GripReading
from mmntrial.measures.plausibility import Plausibility, Verdict, judge


@dataclass(frozen=True)
class GripForm:
    """Both hands' trials with a verdict each, in the catalogue's unit of the instrument.

    ``trials`` maps "left" and "right" to the verdicts of the trials typed (an empty
    trial has none). ``ready`` says the form can be saved: no trial refused or awaiting
    confirmation.
    """

    instrument: GripInstrument
    unit: str
    trials: Mapping[str, tuple[Plausibility, ...]]

    def best(self, side: Side | str) -> float | None:
        """The best (highest) trial of a hand that is not refused; None if there is none."""
        values = [v.value for v in self.trials[Side(side).value] if v.value is not None]
        return max(values) if values else None

    @property
    def verdicts(self) -> tuple[Plausibility, ...]:
        """Every trial's verdict, left hand first."""
        return self.trials[Side.LEFT.value] + self.trials[Side.RIGHT.value]

    @property
    def ready(self) -> bool:
        """No trial refused or awaiting confirmation."""
        return all(v.verdict is Verdict.ACCEPTED for v in self.verdicts)

    def reading(self, side: Side | str) -> GripReading | None:
        """A hand's accepted trials as a :class:`GripReading`, or None if none was taken."""
        values = tuple(v.value for v in self.trials[Side(side).value] if v.value is not None)
        if not self.ready:
            raise MeasureError(
                f"grip.{Side(side).value}: the form has trials refused or awaiting "
                "confirmation; expected every trial accepted before it is saved"
            )
        return GripReading(self.instrument, Side(side), values, self.unit) if values else None

    def assessment(self) -> GripAssessment:
        """Both hands as a :class:`GripAssessment` (needs a trial on each hand)."""
        left, right = self.reading(Side.LEFT), self.reading(Side.RIGHT)
        if left is None or right is None:
            empty = "left" if left is None else "right"
            raise MeasureError(f"grip.{empty}: got no trial, expected 1 to {MAX_TRIALS}")
        return GripAssessment(left, right)


def _instrument(value: GripInstrument | str) -> GripInstrument:
    try:
        return GripInstrument(value)
    except ValueError:
        expected = " or ".join(repr(i.value) for i in GripInstrument)
        raise MeasureError(f"grip.instrument: got {value!r}, expected {expected}") from None


def grip_form(
    instrument: GripInstrument | str,
    unit: str,
    *,
    left: Sequence[float | None],
    right: Sequence[float | None],
    confirmed: Collection[str] = (),
) -> GripForm:
    """Read the grip form: up to three trials per hand (None = not taken) typed in ``unit``.

    ``confirmed`` names the fields whose unusual value the user has confirmed.
    """
    device = _instrument(instrument)
    trials: dict[str, tuple[Plausibility, ...]] = {}
    for side, typed in ((Side.LEFT, left), (Side.RIGHT, right)):
        if len(typed) > MAX_TRIALS:
            raise MeasureError(
                f"grip.{side.value}: got {len(typed)} trials, expected at most {MAX_TRIALS}"
            )
        verdicts = []
        for n, value in enumerate(typed, start=1):
            if value is None:
                continue
            field = f"grip.{side.value}.trial{n}"
            verdicts.append(judge(field, device.measure, value, unit, confirmed=field in confirmed))
        trials[side.value] = tuple(verdicts)
    return GripForm(device, measure_spec(device.measure).unit, MappingProxyType(trials))


__all__ = ["GripForm", "grip_form"]

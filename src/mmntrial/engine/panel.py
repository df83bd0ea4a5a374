"""The engine panel: one participant's next dose at the bedside, in words and vials.

What the capture app shows beside a participant, from the protocol, the patient's
history and a date (passed in, never read from a clock):

- the current regimen: the latest infusion given before that date;
- the engine's decision for an infusion given on that date, and its explanation. The
  decision is the replay of the history with that infusion added
  (:func:`mmntrial.engine.replay.replay`, the engine the simulator runs over arrays of
  patients), and the words are :func:`mmntrial.engine.explain.explain`'s: the rules are
  worded in one place;
- the pending confirmation: which measure, which hand, by which date
  (:mod:`mmntrial.engine.calendar`);
- what is missing when the engine holds for want of data, one item per measure (no
  assessment in time, one hand only where the rule needs both, a value with no reference
  to judge it against), and a weight not taken on the day;
- given the site's vial sizes, the dose as whole vials (:mod:`mmntrial.measures.vials`)
  with the intensity they give beside the exact one. The rounding is to the nearest
  dispensable amount, and never below the engine's dose while a restored dose is in force
  (the restore, a rescue, the holds at the restored level): a lower dose is the one the
  patient got worse on.

The history "so far" is what happened before the date, and the assessments and a
withdrawal on it (the engine takes a day's assessment before its infusion). Later events
are left out, so a panel of a past date reads as it did that day. An infusion already
recorded on the date is the one being decided: its record is replaced by the engine's
question, keeping its weight unless another is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from mmntrial.engine.calendar import (
    ConfirmationVisit,
    date_of_day,
    pending_confirmation,
    study_day,
    visit_calendar,
)
from mmntrial.engine.explain import explain, measure_label
from mmntrial.engine.replay import DecisionRecord, Replay, replay
from mmntrial.engine.rules import compile_rules
from mmntrial.engine.states import Action, TaperState
from mmntrial.errors import EngineError
from mmntrial.measures.catalogue import Side, measure_spec, series_key
from mmntrial.measures.history import Assessment, PatientHistory
from mmntrial.measures.ivig import Infusion, check_weight_kg, dose_intensity
from mmntrial.measures.vials import Dispensed, Rounding, SiteVials, dispense
from mmntrial.protocol.model import Protocol, Reference, SideRule

_SIDES = (Side.LEFT.value, Side.RIGHT.value)  # bit 1 and bit 2 of the engine's side masks
_NO_REFERENCE = {
    Reference.PRE_TAPER: "nothing measured before the taper",
    Reference.BEST_ON_STUDY: "nothing measured on study before it",
}


def _g(value: float, digits: int = 3) -> str:
    return f"{round(value, digits):g}"


@dataclass(frozen=True)
class CurrentRegimen:
    """The latest infusion given before the panel's date, and when the next one is due."""

    day: int
    given_on: date
    dose_g: float
    interval_days: int
    weight_kg: float
    intensity_g_per_kg_week: float
    percent_of_baseline: float
    next_due_on: date

    def text(self) -> str:
        """In words, e.g. ``40 g every 28 days (0.143 g/kg/week, 100% of baseline) ...``."""
        return (
            f"Current regimen: {_g(self.dose_g, 1)} g every {self.interval_days} days "
            f"({_g(self.intensity_g_per_kg_week)} g/kg/week, "
            f"{_g(self.percent_of_baseline, 0)}% of baseline), last given on "
            f"{self.given_on.isoformat()} (day {self.day}); "
            f"next due {self.next_due_on.isoformat()}."
        )


@dataclass(frozen=True)
class Repeat:
    """One measure a pending confirmation needs again, and on which hands (empty: no sides)."""

    measure: str
    sides: tuple[str, ...]

    def text(self) -> str:
        hands = " and ".join(self.sides)
        label = measure_label(self.measure)
        return f"{label} ({hands} hand{'s' if len(self.sides) > 1 else ''})" if hands else label


@dataclass(frozen=True)
class PendingCheck:
    """A drop awaiting its repeat assessment: what to repeat, on which hand, by when."""

    repeats: tuple[Repeat, ...]
    visit: ConfirmationVisit

    def text(self) -> str:
        what = " and ".join(r.text() for r in self.repeats)
        return (
            f"Repeat {what} from {self.visit.earliest.isoformat()} to "
            f"{self.visit.latest.isoformat()} ({self.visit.status.value}): a drop seen on "
            f"{self.visit.drop_on.isoformat()} awaits confirmation."
        )


class MissingKind(StrEnum):
    """Why a measure (or the weight) is missing for the decision."""

    NO_ASSESSMENT = "no_assessment"  # the measure not assessed in time for a taper step
    ONE_HAND = "one_hand"  # one hand measured where the rule needs both
    NO_REFERENCE = "no_reference"  # measured, but nothing to judge it against
    WEIGHT = "weight"  # no weight on the day: the dose uses the latest one recorded


@dataclass(frozen=True)
class Missing:
    """One thing missing for the decision, with what to do about it in ``text``.

    ``day`` is the day the item refers to: the assessment with one hand or without a
    reference, the first day that counted for a missing one (None: any day before the
    taper), or the day of the weight carried forward.
    """

    kind: MissingKind
    measure: str | None
    side: str | None
    day: int | None
    text: str


@dataclass(frozen=True)
class Panel:
    """One participant's engine panel on one date (see the module docstring).

    ``decision`` is the engine's record for an infusion on ``today`` (``decision.dose_g``
    exact grams, None when withdrawn); ``dispensed`` that dose as whole vials when the
    site's vials were given, with ``dispensed_intensity_g_per_kg_week`` the intensity of
    the amount dispensed (None without a dispensable amount).
    """

    subject: str
    today: date
    day: int
    weight_kg: float
    current: CurrentRegimen
    decision: DecisionRecord
    explanation: str
    pending: PendingCheck | None
    missing: tuple[Missing, ...]
    dispensed: Dispensed | None
    dispensed_intensity_g_per_kg_week: float | None

    @property
    def holds(self) -> bool:
        """The engine keeps the dose where it is."""
        return self.decision.action is Action.HOLD

    def dispensing_text(self) -> str | None:
        """The vials in words, or None when no vials were given or no dose is recommended."""
        d, record = self.dispensed, self.decision
        if d is None or record.intensity_g_per_kg_week is None:
            return None
        rule = (
            "rounded up: a restored dose is never dispensed below the engine's"
            if d.rounding is Rounding.AT_LEAST
            else "rounded to the nearest vial amount"
        )
        if d.amount_g is None or self.dispensed_intensity_g_per_kg_week is None:
            below = "none" if d.below_g is None else f"{_g(d.below_g, 2)} g"
            return (
                f"No dispensable dose within {_g(d.tolerance_percent, 1)}% of "
                f"{_g(d.dose_g, 2)} g: {below} below, {_g(d.above_g, 2)} g above; "
                "the investigator decides."
            )
        return (
            f"Dispense {_g(d.amount_g, 2)} g: {d.vials_text()} "
            f"({_g(self.dispensed_intensity_g_per_kg_week)} g/kg/week against "
            f"{_g(record.intensity_g_per_kg_week)} exact for {_g(d.dose_g, 2)} g; {rule})."
        )

    def lines(self) -> list[str]:
        """The panel in words, a line each: regimen, decision, confirmation, missing, vials."""
        lines = [self.current.text(), self.explanation]
        if self.pending is not None:
            lines.append(self.pending.text())
        lines += [m.text for m in self.missing]
        vials = self.dispensing_text()
        if vials is not None:
            lines.append(vials)
        return lines


def _so_far(history: PatientHistory, day: int, weight_kg: float) -> PatientHistory:
    """The history up to ``day``, with the infusion to decide on ``day`` as its last event.

    The engine reads only the day and the weight of an infusion it decides: the dose, the
    interval and the product of the one added are the latest infusion's, and never read.
    """
    before = tuple(i for i in history.infusions if i.day < day)
    latest = max(before, key=lambda i: i.day)
    asked = Infusion(day, 0.0, weight_kg, latest.interval_days, latest.product, latest.route)
    withdrawal = history.withdrawal_day
    kept = withdrawal is not None and withdrawal <= day
    return replace(
        history,
        infusions=(*before, asked),
        assessments=tuple(a for a in history.assessments if a.day <= day),
        withdrawal_day=withdrawal if kept else None,
        withdrawal_reason=history.withdrawal_reason if kept else "",
    )


def _measured(assessment: Assessment, key: str) -> bool:
    value = assessment.values.get(key)
    return value is not None and not math.isnan(value)


def _first_counting_day(protocol: Protocol, record: DecisionRecord) -> int | None:
    """The first day whose assessment counts for a taper step on the record's day (as
    ``core._unassessed`` reads it): within the window, or after the last step; None: any
    assessment before the first step counts."""
    window = protocol.deterioration.assessed_within_days
    if window is not None:
        return record.day - window
    return None if record.last_step_day is None else record.last_step_day + 1


def _missing_measures(
    protocol: Protocol, history: PatientHistory, record: DecisionRecord
) -> list[Missing]:
    """One item per criterion the engine held for, saying what exactly is missing."""
    rules = compile_rules(protocol)
    first = _first_counting_day(protocol, record)
    counting = [
        a for a in history.assessments if (first is None or a.day >= first) and a.day <= record.day
    ]
    since = "before the taper" if first is None else f"since day {first}"
    items, seen = [], set()
    for criterion, result in zip(rules.criteria, record.criteria, strict=True):
        if not result.unassessed or criterion.measure in seen:
            continue
        seen.add(criterion.measure)
        label = measure_label(criterion.measure)
        keys = measure_spec(criterion.measure).series_keys()
        latest = next((a for a in reversed(counting) if any(_measured(a, k) for k in keys)), None)
        if latest is None:
            items.append(
                Missing(
                    MissingKind.NO_ASSESSMENT,
                    criterion.measure,
                    None,
                    first,
                    f"Missing: {label} not assessed {since}; assess it before the next taper step.",
                )
            )
            continue
        absent = [
            side for side in _SIDES if not _measured(latest, series_key(criterion.measure, side))
        ]
        if len(keys) > 1 and criterion.side is SideRule.BOTH and absent:
            items.append(
                Missing(
                    MissingKind.ONE_HAND,
                    criterion.measure,
                    absent[0],
                    latest.day,
                    f"Missing: {label} on day {latest.day} has the {absent[0]} hand missing; "
                    "the protocol judges both hands: measure both.",
                )
            )
            continue
        items.append(
            Missing(
                MissingKind.NO_REFERENCE,
                criterion.measure,
                None,
                latest.day,
                f"Missing: {label} measured on day {latest.day} has no reference to be judged "
                f"against ({_NO_REFERENCE[criterion.reference]}).",
            )
        )
    return items


def _pending(
    protocol: Protocol, randomized_on: date, today: date, outcome: Replay
) -> PendingCheck | None:
    """The drop the engine awaits a repeat for after ``outcome`` (its one patient)."""
    pending = pending_confirmation(protocol, outcome.final, 0)
    if pending is None:
        return None
    visit = visit_calendar(protocol, randomized_on, {}, today, pending).confirmation
    assert visit is not None  # a pending drop always has its confirmation visit
    rules = compile_rules(protocol)
    repeats = []
    for c, criterion in enumerate(rules.criteria):
        if not outcome.final.pending_fired[0, c]:
            continue
        mask = int(outcome.final.pending_sides[0, c])
        sided = measure_spec(criterion.measure).bilateral
        sides = tuple(s for bit, s in zip((1, 2), _SIDES, strict=True) if mask & bit)
        repeats.append(Repeat(criterion.measure, sides if sided else ()))
    return PendingCheck(tuple(repeats), visit)


def engine_panel(
    protocol: Protocol,
    history: PatientHistory,
    randomized_on: date,
    today: date,
    *,
    weight_kg: float | None = None,
    vials: SiteVials | None = None,
) -> Panel:
    """The engine panel of ``history``'s participant for an infusion on ``today``.

    ``weight_kg`` is the weight taken on the day; without it the dose uses the latest
    weight recorded, and the panel lists the weight as missing. ``vials``: the site's vial
    sizes and tolerance, to dispense the dose in whole vials.

    >>> from mmntrial.protocol.loader import load_protocol
    >>> p = load_protocol("piepers-2007")
    >>> given = tuple(Infusion(d, 40, 70, 28, "Kiovig", "IV") for d in range(-84, 112, 28))
    >>> panel = engine_panel(p, PatientHistory("P1", given), date(2026, 1, 15),
    ...                      date(2026, 5, 7), weight_kg=70, vials=SiteVials((5, 10, 20), 5))
    >>> print("\\n".join(panel.lines()))
    Current regimen: 40 g every 28 days (0.143 g/kg/week, 100% of baseline), last given on
    2026-04-09 (day 84); next due 2026-05-07.
    Day 112: Hold at 40 g every 28 days (0.143 g/kg/week, 100% of baseline): MRC sum, grip
    and GNDS upper limb not assessed before the taper (no pre-taper reference); assess
    before the next infusion. Missing data never lowers a dose. No assessment judged since
    the taper started.
    Missing: MRC sum not assessed before the taper; assess it before the next taper step.
    Missing: grip not assessed before the taper; assess it before the next taper step.
    Missing: GNDS upper limb not assessed before the taper; assess it before the next taper step.
    Dispense 40 g: 2 x 20 g (0.143 g/kg/week against 0.143 exact for 40 g; rounded to the
    nearest vial amount).
    """
    day = study_day(randomized_on, today)
    if day < 0:
        raise EngineError(
            f"today: got {today.isoformat()} (study day {day}), expected a date on or after "
            f"the randomization date {randomized_on.isoformat()}: the engine decides from day 0"
        )
    before = [i for i in history.infusions if i.day < day]
    if not before:
        raise EngineError(
            f"subject {history.subject}: no infusion recorded before {today.isoformat()}, "
            "expected the baseline infusions"
        )
    latest = max(before, key=lambda i: i.day)
    on_the_day = next((i for i in history.infusions if i.day == day), None)
    missing: list[Missing] = []
    if weight_kg is not None:
        weight = check_weight_kg(weight_kg)
    elif on_the_day is not None:
        weight = on_the_day.weight_kg
    else:
        weight = latest.weight_kg
        missing.append(
            Missing(
                MissingKind.WEIGHT,
                None,
                None,
                latest.day,
                f"Missing: no weight taken on {today.isoformat()}; the dose uses "
                f"{_g(weight, 1)} kg from day {latest.day}: weigh the patient before dispensing.",
            )
        )
    so_far = _so_far(history, day, weight)
    outcome = replay(protocol, [so_far])
    record = outcome.decisions[0][-1]
    missing = _missing_measures(protocol, so_far, record) + missing
    dispensed = dispensed_intensity = None
    if vials is not None and record.dose_g is not None and record.interval_days is not None:
        restoring = record.action in (Action.RESTORE, Action.RESCUE)
        at_least = restoring or record.state is TaperState.RESTORED
        dispensed = dispense(
            record.dose_g, vials, Rounding.AT_LEAST if at_least else Rounding.NEAREST
        )
        if dispensed.amount_g is not None:
            dispensed_intensity = dose_intensity(dispensed.amount_g, weight, record.interval_days)
    return Panel(
        subject=history.subject,
        today=today,
        day=day,
        weight_kg=weight,
        current=CurrentRegimen(
            day=latest.day,
            given_on=date_of_day(randomized_on, latest.day),
            dose_g=latest.dose_g,
            interval_days=latest.interval_days,
            weight_kg=latest.weight_kg,
            intensity_g_per_kg_week=latest.intensity_g_per_kg_week,
            percent_of_baseline=100.0
            * latest.intensity_g_per_kg_week
            / record.baseline_intensity_g_per_kg_week,
            next_due_on=date_of_day(randomized_on, latest.end_day),
        ),
        decision=record,
        explanation=explain(protocol, record),
        pending=_pending(protocol, randomized_on, today, outcome),
        missing=tuple(missing),
        dispensed=dispensed,
        dispensed_intensity_g_per_kg_week=dispensed_intensity,
    )


__all__ = [
    "CurrentRegimen",
    "Missing",
    "MissingKind",
    "Panel",
    "PendingCheck",
    "Repeat",
    "engine_panel",
]

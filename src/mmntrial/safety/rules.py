"""Evaluating the protocol's safety rules on one participant's data: pure, no storage.

Given the participant's labs (value, unit, the lab's LLN and ULN, sample date), adverse
events (term, onset), IVIg infusion dates and the study-drug start, :func:`evaluate`
returns every :class:`Fired` rule with its reason, and a :class:`CannotEvaluate` for
each lab a rule cannot judge (no normal range, a unit that is not the rule's, no
baseline or pre-infusion value), naming what is missing: never a silent guess. Each
finding carries a ``key`` that is the same each time the same data are evaluated, so
the capture app opens one action item per finding, not one per save.

The rules (``kind`` of :class:`~mmntrial.protocol.model.SafetyRule`):

- ``lab_grade``: a value of one of ``labs`` of CTCAE v5.0 grade ``min_grade`` or worse,
  graded against the lab's normal range (:func:`~mmntrial.safety.grade_in_range`).
- ``lab_below``: a value of ``lab`` below ``threshold`` (in ``unit``).
- ``lab_rise``: a value of ``lab`` sampled after the study-drug start at least
  ``rise_percent`` above the baseline, the last value on or before the start.
- ``lab_fall_after_infusion``: a value of ``lab`` sampled 1 to ``within_days`` days after
  an infusion that is at least ``fall`` (in ``unit``) below the last value on or before
  the infusion's day (a sample on that day is taken as drawn before the infusion).
- ``ae_term``: an adverse event whose term holds one of ``terms`` (case ignored).

>>> from mmntrial.protocol.loader import load_protocol
>>> safety = load_protocol("piepers-2007").safety
>>> low = LabValue("neutrophils", 1.2, "10^9/L", 2.0, 7.5, date(2026, 3, 9))
>>> [f.rule.id for f in evaluate(safety, [low], [], [], date(2026, 3, 2))]
['neutrophils_low']
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date

from mmntrial.protocol.model import RuleKind, Safety, SafetyRule
from mmntrial.safety.normal_range import Ungradable, grade_in_range


@dataclass(frozen=True)
class LabValue:
    """One lab value as the site's laboratory reported it.

    ``ref`` names the record it comes from (the capture app's record id), so that a
    finding's key stays the same when another value of the same day is added.
    """

    lab: str
    value: float
    unit: str
    lln: float | None
    uln: float | None
    sampled_on: date
    ref: str = ""

    def shown(self) -> str:
        """The value as a reader reads it: ``creatinine 1.9 mg/dL on 2026-03-09``."""
        return f"{self.lab} {self.value:g} {self.unit} on {self.sampled_on.isoformat()}"

    def key(self) -> str:
        """What identifies the value in a finding's key."""
        return self.ref or f"{self.lab}@{self.sampled_on.isoformat()}"


@dataclass(frozen=True)
class AdverseEvent:
    """One adverse event: its reported term and onset date."""

    term: str
    onset: date
    ref: str = ""


@dataclass(frozen=True)
class Fired:
    """A rule that fired: on which date's data, the reason, and the finding's key."""

    rule: SafetyRule
    on: date
    reason: str
    key: str


@dataclass(frozen=True)
class CannotEvaluate:
    """A rule that could not judge a value, and what is missing to judge it."""

    rule: SafetyRule
    on: date
    missing: str
    key: str


Finding = Fired | CannotEvaluate


def _key(rule: SafetyRule, *parts: str) -> str:
    return ":".join((rule.id, *parts))


def _grades(rule: SafetyRule, labs: Sequence[LabValue]) -> Iterator[Finding]:
    assert rule.min_grade is not None  # the loader requires it for lab_grade
    for lab in labs:
        if lab.lab not in rule.labs:
            continue
        graded = grade_in_range(lab.lab, lab.value, lln=lab.lln, uln=lab.uln, unit=lab.unit)
        key = _key(rule, lab.key())
        if isinstance(graded, Ungradable):
            yield CannotEvaluate(rule, lab.sampled_on, f"{lab.shown()}: {graded.reason}", key)
        elif graded.grade >= rule.min_grade:
            reason = (
                f"{lab.shown()} is CTCAE v5.0 grade {graded.grade} "
                f"(the rule fires at grade {rule.min_grade} or worse)"
            )
            yield Fired(rule, lab.sampled_on, reason, key)


def _wrong_unit(rule: SafetyRule, lab: LabValue, unit: str | None) -> CannotEvaluate | None:
    if lab.unit == unit:
        return None
    missing = f"{lab.shown()}: unit {lab.unit!r} is not the rule's ({unit!r}); not converted"
    return CannotEvaluate(rule, lab.sampled_on, missing, _key(rule, lab.key()))


def _below(rule: SafetyRule, labs: Sequence[LabValue]) -> Iterator[Finding]:
    assert rule.threshold is not None
    for lab in labs:
        if lab.lab != rule.lab:
            continue
        if (wrong := _wrong_unit(rule, lab, rule.unit)) is not None:
            yield wrong
        elif lab.value < rule.threshold:
            reason = f"{lab.shown()} is below {rule.threshold:g} {rule.unit}"
            yield Fired(rule, lab.sampled_on, reason, _key(rule, lab.key()))


def _last_on_or_before(labs: Sequence[LabValue], name: str, day: date) -> LabValue | None:
    earlier = [lab for lab in labs if lab.lab == name and lab.sampled_on <= day]
    # The latest sample; of two on one day, the one listed last (entered last).
    return (
        max(enumerate(earlier), key=lambda pair: (pair[1].sampled_on, pair[0]))[1]
        if earlier
        else None
    )


def _rise(rule: SafetyRule, labs: Sequence[LabValue], start: date) -> Iterator[Finding]:
    assert rule.rise_percent is not None
    assert rule.lab is not None
    baseline = _last_on_or_before(labs, rule.lab, start)
    for lab in labs:
        if lab.lab != rule.lab or lab.sampled_on <= start:
            continue
        key = _key(rule, lab.key())
        if baseline is None:
            missing = (
                f"{lab.shown()}: no baseline {rule.lab} (a value sampled on or before the "
                f"study-drug start, {start.isoformat()})"
            )
            yield CannotEvaluate(rule, lab.sampled_on, missing, key)
        elif (wrong := _wrong_unit(rule, lab, baseline.unit)) is not None:
            yield wrong
        elif lab.value >= baseline.value * (1 + rule.rise_percent / 100):
            reason = (
                f"{lab.shown()} is {rule.rise_percent:g}% or more above the baseline "
                f"{baseline.value:g} {baseline.unit} ({baseline.sampled_on.isoformat()})"
            )
            yield Fired(rule, lab.sampled_on, reason, key)


def _fall(
    rule: SafetyRule, labs: Sequence[LabValue], infusions: Sequence[date]
) -> Iterator[Finding]:
    assert rule.fall is not None
    assert rule.within_days is not None
    assert rule.lab is not None
    for lab in labs:
        if lab.lab != rule.lab:
            continue
        recent = [on for on in infusions if 1 <= (lab.sampled_on - on).days <= rule.within_days]
        if not recent:
            continue
        infused = max(recent)
        key = _key(rule, lab.key())
        before = _last_on_or_before(labs, rule.lab, infused)
        if before is None:
            missing = (
                f"{lab.shown()}: no {rule.lab} on or before the infusion of "
                f"{infused.isoformat()} to compare with"
            )
            yield CannotEvaluate(rule, lab.sampled_on, missing, key)
            continue
        wrong = _wrong_unit(rule, lab, rule.unit) or _wrong_unit(rule, before, rule.unit)
        if wrong is not None:
            yield CannotEvaluate(rule, lab.sampled_on, wrong.missing, key)
        elif before.value - lab.value >= rule.fall:
            reason = (
                f"{lab.shown()} fell {before.value - lab.value:g} {rule.unit} from "
                f"{before.value:g} ({before.sampled_on.isoformat()}) within "
                f"{rule.within_days} days of the infusion of {infused.isoformat()}"
            )
            yield Fired(rule, lab.sampled_on, reason, key)


def _terms(rule: SafetyRule, events: Sequence[AdverseEvent]) -> Iterator[Finding]:
    for event in events:
        said = event.term.casefold()
        words = [word for word in rule.terms if word.casefold() in said]
        if words:
            reason = f"adverse event {event.term!r} ({event.onset.isoformat()}) names {words[0]!r}"
            key = _key(rule, event.ref or f"ae@{event.onset.isoformat()}:{said}")
            yield Fired(rule, event.onset, reason, key)


def evaluate(
    safety: Safety,
    labs: Sequence[LabValue],
    events: Sequence[AdverseEvent],
    infusions: Sequence[date],
    start: date,
) -> list[Finding]:
    """Every finding of ``safety``'s rules on one participant's data, rule by rule.

    ``start`` is the study-drug start (day 0): the ``lab_rise`` baseline is the last
    value on or before it. Labs are given in the order they were entered.
    """
    found: list[Finding] = []
    for rule in safety.rules:
        if rule.kind is RuleKind.LAB_GRADE:
            found += _grades(rule, labs)
        elif rule.kind is RuleKind.LAB_BELOW:
            found += _below(rule, labs)
        elif rule.kind is RuleKind.LAB_RISE:
            found += _rise(rule, labs, start)
        elif rule.kind is RuleKind.LAB_FALL_AFTER_INFUSION:
            found += _fall(rule, labs, infusions)
        else:
            found += _terms(rule, events)
    # A value that could not be judged and the same value judged once corrected are two
    # findings: one key for both would let the first item hide the rule firing.
    return [
        replace(f, key=f"{f.key}:cannot_evaluate") if isinstance(f, CannotEvaluate) else f
        for f in found
    ]


__all__ = ["AdverseEvent", "CannotEvaluate", "Finding", "Fired", "LabValue", "evaluate"]

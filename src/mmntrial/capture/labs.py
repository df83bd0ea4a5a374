"""Laboratory values with the lab's normal range, graded by CTCAE v5.0 against it.

One record per participant, sample date and test (the tests and units of
:data:`mmntrial.measures.labs.LAB_UNITS`: blood counts, liver and kidney values and
IgG). The unit is the test's:
typed or left empty, any other is refused, never converted. The value gets a
plausibility verdict (:func:`mmntrial.measures.plausibility.judge`): below 0 is refused,
outside the plausible band it is saved only once confirmed (``confirm.value``), the
message kept in ``note``.

The lab's lower and upper limits of normal (``lln``, ``uln``) are recorded with the
value, and every lab CTCAE v5.0 grades against them (neutrophils, white cells,
platelets, haemoglobin, ALT, AST, bilirubin, creatinine) is graded by
:func:`mmntrial.safety.grade_in_range`: the grade is computed, and a grade typed must
agree. When the limit the grade needs is not given, the value is not graded and
``ungraded`` says why (a typed grade is refused then: never a guess). IgG has no CTCAE
grade of its own: its grade (0 to 4) is entered or left empty, and a change keeps no
grade unless typed again. Saving a value evaluates the protocol's safety rules, which
may open action items (:mod:`mmntrial.capture.action_items`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmntrial.capture import action_items
from mmntrial.capture.assessments import Unconfirmed
from mmntrial.capture.records import CONFIRMED, Dates, Field, Kind, RecordForm
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import labs
from mmntrial.measures.labs import LAB_UNITS
from mmntrial.measures.plausibility import Verdict, judge
from mmntrial.safety import Ungradable, ctcae_v5, grade_in_range

MAX_LAB_GRADE = 4


def _limits(values: dict[str, Any]) -> tuple[float | None, float | None]:
    lln, uln = values["lln"], values["uln"]
    for name, limit in (("lln", lln), ("uln", uln)):
        if limit is not None and limit < 0:
            raise FieldError(name, f"{name}: got {limit:g}, expected a number at least 0")
    if lln is not None and uln is not None and lln >= uln:
        raise FieldError("lln", f"lln: got {lln:g}, expected below uln ({uln:g})")
    return lln, uln


def _grade(test: str, value: float, unit: str, values: dict[str, Any]) -> tuple[Any, Any]:
    """The grade to store and why there is none (None when graded or not gradable)."""
    typed = values["grade"]
    if test not in ctcae_v5().ranged:
        return typed, None
    lln, uln = values["lln"], values["uln"]
    result = grade_in_range(test, value, lln=lln, uln=uln, unit=unit)
    if isinstance(result, Ungradable):
        if typed is not None:
            raise FieldError(
                "grade",
                f"grade: got {typed}, expected it empty: {result.reason} (give the lab's "
                "normal range and the grade is computed)",
            )
        return None, result.reason
    if typed is not None and typed != result.grade:
        raise FieldError(
            "grade",
            f"grade: got {typed}, expected {result.grade}: CTCAE v5.0 grades {test} "
            f"{value:g} {unit} against the normal range given as {result.grade} (leave it "
            "empty: it is computed)",
        )
    return result.grade, None


def _rules(values: dict[str, Any], typed: Mapping[str, str], _dates: Dates) -> dict[str, Any]:
    test = values["test"]
    unit = LAB_UNITS[test]
    if values["unit"] not in (None, unit):
        raise FieldError(
            "unit", f"unit: got {values['unit']!r}, expected {unit!r} for {test} (or empty)"
        )
    _limits(values)
    verdict = judge(
        "value", test, values["value"], unit, confirmed=typed.get("confirm.value") in CONFIRMED
    )
    if verdict.verdict is Verdict.REFUSED or verdict.value is None:
        raise FieldError("value", verdict.message)
    if verdict.verdict is Verdict.NEEDS_CONFIRMATION:
        raise Unconfirmed([verdict])
    graded, why = _grade(test, verdict.value, unit, values)
    return {
        **values,
        "unit": unit,
        "value": verdict.value,
        "grade": graded,
        "note": verdict.message,
        "ungraded": why,
    }


FORM = RecordForm(
    name="labs",
    slug="labs",
    title="Laboratory values",
    table=labs,
    fields=(
        Field("sampled_on", "Sampled on", Kind.DATE),
        Field("test", "Test", Kind.CHOICE, choices=tuple(LAB_UNITS)),
        Field("value", "Value", Kind.NUMBER),
        Field("unit", "Unit", Kind.LABEL, required=False),
        Field("lln", "Lower limit of normal", Kind.NUMBER, required=False),
        Field("uln", "Upper limit of normal", Kind.NUMBER, required=False),
        Field("grade", "CTCAE grade", Kind.INTEGER, required=False, high=MAX_LAB_GRADE, kept=False),
    ),
    rules=_rules,
    derived=(("note", "Confirmed as unusual"), ("ungraded", "Not graded because")),
    unique=("test", "sampled_on"),
    saved=action_items.on_saved,
)

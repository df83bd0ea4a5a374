"""Laboratory values: neutrophils, white cells, ALT, AST and IgG, with their CTCAE grade.

One record per participant, sample date and test (the tests and units of
:data:`mmntrial.measures.labs.LAB_UNITS`, as docs/dataset.md's ``labs`` table has
them). The unit is the test's: typed or left empty, any other is refused, never
converted. The value gets a plausibility verdict
(:func:`mmntrial.measures.plausibility.judge`): below 0 is refused, outside the plausible
band it is saved only once confirmed (``confirm.value``), the message kept in ``note``.

The grade is computed where the rule is cheap and sourced: CTCAE v5.0 grades low
neutrophil and white cell counts by fixed edges (:func:`mmntrial.safety.grading.grade`,
``ctcae-v5.toml`` [S50]; 0 above the lower limit of normal), and a grade typed for them
must agree. ALT and AST are graded against the site's upper limit of normal and IgG
has no CTCAE grade of its own, so their grade (0 to 4) is entered, or left empty; a
change of such a value keeps no grade unless it is typed again (grade 5, death, is an
adverse event's, never a lab value's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmntrial.capture.assessments import Unconfirmed
from mmntrial.capture.records import CONFIRMED, Dates, Field, Kind, RecordForm
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import labs
from mmntrial.measures.labs import LAB_UNITS
from mmntrial.measures.plausibility import Verdict, judge
from mmntrial.safety.grading import grade
from mmntrial.safety.tables import ctcae_v5

MAX_LAB_GRADE = 4


def _rules(values: dict[str, Any], typed: Mapping[str, str], _dates: Dates) -> dict[str, Any]:
    test = values["test"]
    unit = LAB_UNITS[test]
    if values["unit"] not in (None, unit):
        raise FieldError(
            "unit", f"unit: got {values['unit']!r}, expected {unit!r} for {test} (or empty)"
        )
    verdict = judge(
        "value", test, values["value"], unit, confirmed=typed.get("confirm.value") in CONFIRMED
    )
    if verdict.verdict is Verdict.REFUSED or verdict.value is None:
        raise FieldError("value", verdict.message)
    if verdict.verdict is Verdict.NEEDS_CONFIRMATION:
        raise Unconfirmed([verdict])
    graded = values["grade"]
    if test in ctcae_v5().labs:
        computed = grade(test, verdict.value) or 0
        if graded is not None and graded != computed:
            raise FieldError(
                "grade",
                f"grade: got {graded}, expected {computed}: CTCAE v5.0 grades {test} "
                f"{verdict.value:g} {unit} as {computed} (leave it empty: it is computed)",
            )
        graded = computed
    return {
        **values,
        "unit": unit,
        "value": verdict.value,
        "grade": graded,
        "note": verdict.message,
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
        Field("grade", "CTCAE grade", Kind.INTEGER, required=False, high=MAX_LAB_GRADE, kept=False),
    ),
    rules=_rules,
    derived=(("note", "Confirmed as unusual"),),
    unique=("test", "sampled_on"),
)

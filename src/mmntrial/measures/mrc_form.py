"""The MRC form: grades as typed per side and muscle group, the sum as you type, what is missing.

The muscle groups are the protocol's (``measures.mrc_muscles``, as a
:class:`~mmntrial.measures.mrc.MuscleSet` from
:func:`~mmntrial.measures.mrc.protocol_muscle_set`), both sides; each grade is read as
:func:`~mmntrial.measures.mrc.parse_mrc_grade` reads it ("4-", "4", 4) under the
protocol's ``measures.mrc_quarter_steps``, and the sum follows ``measures.mrc_missing``
(:func:`~mmntrial.measures.mrc.mrc_sum`). Unlike those functions, the form does not stop
at the first bad grade: it returns a message per field, so a page can mark every one.
Field names are ``mrc.<side>.<muscle>``.

>>> from mmntrial.measures.mrc import MuscleSet
>>> arm = MuscleSet("arm2", ("elbow_flexion", "wrist_extension"))
>>> form = mrc_form({"left": {"elbow_flexion": "5", "wrist_extension": "4-"},
...                  "right": {"elbow_flexion": 5}}, arm)
>>> form.entered_sum, form.total, form.missing
(14.0, None, (('right', 'wrist_extension'),))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import Side
from mmntrial.measures.mrc import Grades, MissingRule, MuscleSet, mrc_sum, parse_mrc_grade

Entry = str | float | None
"""A grade as typed: text ("4-"), a number, or empty ("" or None) when not assessed."""


@dataclass(frozen=True)
class MrcForm:
    """The form's state: valid grades, what is missing, the problems, the sums.

    ``grades`` holds the valid grades by side then muscle; ``missing`` the (side,
    muscle) pairs with no valid grade, in form order; ``problems`` a message per field
    whose entry is refused; ``entered_sum`` the sum of the valid grades so far (what the
    page shows as you type); ``total`` the MRC sum by the protocol's missing rule, None
    while it is missing or any entry is refused; ``imputed`` the pairs whose grade the
    previous assessment supplied (``missing="impute_last"``).
    """

    grades: Mapping[str, Mapping[str, float]]
    missing: tuple[tuple[str, str], ...]
    problems: Mapping[str, str]
    entered_sum: float
    total: float | None
    imputed: tuple[tuple[str, str], ...]
    max_score: float


def _blank(entry: str | float) -> bool:
    return (isinstance(entry, str) and not entry.strip()) or (
        isinstance(entry, float) and math.isnan(entry)
    )


def _graded(grades: Grades | None, side: str, muscle: str) -> bool:
    value = grades.get(side, {}).get(muscle) if grades is not None else None
    return value is not None and not math.isnan(value)


def _missing_rule(missing: MissingRule | str) -> MissingRule:
    try:
        return MissingRule(missing)
    except ValueError:
        expected = " or ".join(repr(r.value) for r in MissingRule)
        raise MeasureError(f"mrc_missing: got {missing!r}, expected {expected}") from None


def mrc_form(
    entries: Mapping[str, Mapping[str, Entry]],
    muscle_set: MuscleSet,
    *,
    quarter_steps: bool = False,
    missing: MissingRule | str = MissingRule.MISSING,
    previous: Grades | None = None,
) -> MrcForm:
    """Read the MRC form ``entries`` (side, then muscle, then the grade as typed)."""
    problems: dict[str, str] = {}
    for side, by_muscle in entries.items():
        if side not in tuple(Side):
            problems[f"mrc.{side}"] = f"mrc.{side}: got side {side!r}, expected 'left' or 'right'"
            continue
        for muscle in by_muscle:
            if muscle not in muscle_set.muscles:
                problems[f"mrc.{side}.{muscle}"] = (
                    f"mrc.{side}.{muscle}: got muscle {muscle!r}, expected one of the "
                    f"{muscle_set.name!r} set: {', '.join(muscle_set.muscles)}"
                )
    grades: dict[str, dict[str, float]] = {side.value: {} for side in Side}
    absent: list[tuple[str, str]] = []
    for side in Side:
        typed = entries.get(side.value, {})
        for muscle in muscle_set.muscles:
            entry = typed.get(muscle)
            if entry is None or _blank(entry):
                absent.append((side.value, muscle))
                continue
            field = f"mrc.{side.value}.{muscle}"
            try:
                grades[side.value][muscle] = parse_mrc_grade(
                    entry,
                    f"{muscle} ({side.value})",
                    quarter_steps=quarter_steps,
                )
            except MeasureError as error:
                problems[field] = f"{field}: {error}"
                absent.append((side.value, muscle))
    rule = _missing_rule(missing)
    imputed: tuple[tuple[str, str], ...] = ()
    if rule is MissingRule.IMPUTE_LAST:
        imputed = tuple((s, m) for s, m in absent if _graded(previous, s, m))
    total = (
        None
        if problems
        else mrc_sum(
            grades, muscle_set, missing=rule, previous=previous, quarter_steps=quarter_steps
        )
    )
    return MrcForm(
        grades=MappingProxyType({s: MappingProxyType(g) for s, g in grades.items()}),
        missing=tuple(absent),
        problems=MappingProxyType(problems),
        entered_sum=float(sum(g for by_muscle in grades.values() for g in by_muscle.values())),
        total=total,
        imputed=imputed,
        max_score=muscle_set.max_score,
    )


__all__ = ["Entry", "MrcForm", "mrc_form"]

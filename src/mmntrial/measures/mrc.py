"""MRC grades per muscle and the MRC sum score over a named muscle set.

Grades
------
The Medical Research Council scale grades one muscle group from 0 (no contraction) to
5 (normal power). Some centres write 4-/4/4+ and the same modifiers on grades 1 to 4.
The protocol setting ``mrc_quarter_steps`` says how a modifier is recorded (DOMAIN.md
section 3):

=======  ======================  =================
written  quarter steps off       quarter steps on
=======  ======================  =================
``n``    n                       n
``n-``   n (modifier dropped)    n - 0.25
``n+``   n (modifier dropped)    n + 0.25
=======  ======================  =================

for n from 1 to 4, so "4-" is 4.0 or 3.75 and "1+" is 1.0 or 1.25. "0-", "0+", "5-"
and "5+" are rejected: 0 and 5 are the ends of the scale.

Sum score
---------
The sum over a :class:`MuscleSet` (the muscle groups scored on each side), both sides,
so the maximum is 2 x n muscles x 5. The missing-value rule is the protocol setting
``mrc_missing`` (:class:`MissingRule`). A missing sum is ``None`` from :func:`mrc_sum`
and NaN from :func:`mrc_sum_array`, whose grades are shaped (patients, sides, muscles)
with side 0 = left, side 1 = right and NaN for a missing grade.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import MEASURES, Side

MRC_MAX_GRADE = 5
QUARTER_STEP = 0.25
_SIDES = (Side.LEFT, Side.RIGHT)  # the order of the sides axis in arrays
_MODIFIABLE = range(1, 5)  # grades that may carry a "-" or "+"
_WHOLE_GRADES = frozenset(float(g) for g in range(MRC_MAX_GRADE + 1))
_QUARTER_GRADES = _WHOLE_GRADES | frozenset(
    g + d for g in _MODIFIABLE for d in (-QUARTER_STEP, QUARTER_STEP)
)
_EXPECTED_TEXT = "one of '0'..'5', or '1'..'4' followed by '-' or '+' (e.g. '4-')"


class MissingRule(StrEnum):
    """What a missing muscle grade does to the sum score (protocol ``mrc_missing``)."""

    MISSING = "missing"  # any missing muscle makes the sum missing
    IMPUTE_LAST = "impute_last"  # use the same muscle's previous grade, if there is one


def _expected_grades(quarter_steps: bool) -> str:
    if quarter_steps:
        return "a grade 0-5 in whole steps, or n-0.25/n+0.25 for n from 1 to 4"
    return "a whole grade from 0 to 5 (quarter steps are off)"


def parse_mrc_grade(value: str | float, muscle: str, *, quarter_steps: bool = False) -> float:
    """Read one MRC grade as written on the form ("4-", "4", "4+") or as a number.

    The modifier mapping is in the module docstring: "n-"/"n+" count as n with quarter
    steps off and as n -/+ 0.25 with quarter steps on.

    >>> parse_mrc_grade("4-", "elbow_flexion")
    4.0
    >>> parse_mrc_grade("4+", "elbow_flexion", quarter_steps=True)
    4.25
    >>> parse_mrc_grade("6", "elbow_flexion")
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: MRC grade for elbow_flexion: got '6', expected one of ...
    """
    if isinstance(value, str):
        text = value.strip()
        base, modifier = (text[:-1], text[-1]) if text[-1:] in ("-", "+") else (text, "")
        if base.isdigit() and len(base) == 1:
            grade = int(base)
            if not modifier and grade <= MRC_MAX_GRADE:
                return float(grade)
            if modifier and grade in _MODIFIABLE:
                if not quarter_steps:
                    return float(grade)
                return grade - QUARTER_STEP if modifier == "-" else grade + QUARTER_STEP
        raise MeasureError(f"MRC grade for {muscle}: got {value!r}, expected {_EXPECTED_TEXT}")
    return check_mrc_grade(value, muscle, quarter_steps=quarter_steps)


def check_mrc_grade(value: float, muscle: str, *, quarter_steps: bool = False) -> float:
    """Validate a numeric MRC grade and return it as float.

    >>> check_mrc_grade(3, "wrist_extension")
    3.0
    >>> check_mrc_grade(3.75, "wrist_extension")
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: MRC grade for wrist_extension: got 3.75, expected a whole ...
    """
    # bool is an int subclass; True is a checkbox, not grade 1
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise MeasureError(
            f"MRC grade for {muscle}: got {value!r}, expected {_expected_grades(quarter_steps)}"
        )
    allowed = _QUARTER_GRADES if quarter_steps else _WHOLE_GRADES
    if float(value) not in allowed:
        raise MeasureError(
            f"MRC grade for {muscle}: got {value!r}, expected {_expected_grades(quarter_steps)}"
        )
    return float(value)


@dataclass(frozen=True)
class MuscleSet:
    """A named set of muscle groups, each scored on both sides (protocol ``mrc_muscles``).

    >>> s = MuscleSet("arm3", ("shoulder_abduction", "elbow_flexion", "wrist_extension"))
    >>> s.max_score
    30.0
    """

    name: str
    muscles: tuple[str, ...]

    def __post_init__(self) -> None:
        # A list would make a frozen, hashable set mutable after validation.
        object.__setattr__(self, "muscles", tuple(self.muscles))
        if not self.muscles:
            raise MeasureError(f"muscle set {self.name!r}: got no muscles, expected at least one")
        blank = [m for m in self.muscles if not isinstance(m, str) or not m.strip()]
        if blank:
            raise MeasureError(
                f"muscle set {self.name!r}: got muscle names {blank!r}, expected non-empty text"
            )
        repeated = sorted({m for m in self.muscles if self.muscles.count(m) > 1})
        if repeated:
            raise MeasureError(
                f"muscle set {self.name!r}: got {', '.join(repeated)} more than once, "
                "expected each muscle group once (both sides are scored automatically)"
            )
        # Keep every possible sum inside the catalogue's mrc_sum range, so that a sum
        # always passes check_value downstream.
        ceiling = MEASURES["mrc_sum"].maximum
        if self.max_score > ceiling:
            raise MeasureError(
                f"muscle set {self.name!r}: got {len(self.muscles)} muscles per side "
                f"(max score {self.max_score:g}), expected at most {ceiling:g} points in total"
            )

    @property
    def max_score(self) -> float:
        """The highest possible sum: 2 sides x n muscles x 5."""
        return float(len(_SIDES) * len(self.muscles) * MRC_MAX_GRADE)


def protocol_muscle_set(name: str, mrc_muscles: Sequence[str]) -> MuscleSet:
    """The muscle set a protocol names in ``measures.mrc_muscles``.

    The list itself lives in the protocol file (with its source), never in code: the
    reference design scores 10 groups per side, other centres 18 or 20.

    >>> protocol_muscle_set("piepers-2007", ["elbow_flexion", "wrist_extension"]).max_score
    20.0
    """
    return MuscleSet(name, tuple(mrc_muscles))


Grades = Mapping[str, Mapping[str, float | None]]
"""Grades by side ("left"/"right") then muscle; None, NaN or an absent key is missing."""


def _checked_grades(grades: Grades, muscle_set: MuscleSet, quarter_steps: bool) -> list[float]:
    """Grades in (side, muscle) order, NaN for missing, after checking every key and value."""
    unknown_sides = [s for s in grades if s not in _SIDES]
    if unknown_sides:
        raise MeasureError(f"MRC grades: got side {unknown_sides[0]!r}, expected 'left' or 'right'")
    out: list[float] = []
    for side in _SIDES:
        by_muscle = grades.get(side, {})
        # A misspelt muscle would otherwise be ignored and read as missing.
        unknown = [m for m in by_muscle if m not in muscle_set.muscles]
        if unknown:
            raise MeasureError(
                f"MRC grades ({side}): got muscle {unknown[0]!r}, expected one of the "
                f"{muscle_set.name!r} set: {', '.join(muscle_set.muscles)}"
            )
        for muscle in muscle_set.muscles:
            grade = by_muscle.get(muscle)
            if grade is None or (isinstance(grade, float) and math.isnan(grade)):
                out.append(math.nan)
            else:
                out.append(
                    check_mrc_grade(grade, f"{muscle} ({side})", quarter_steps=quarter_steps)
                )
    return out


def mrc_sum(
    grades: Grades,
    muscle_set: MuscleSet,
    *,
    missing: MissingRule | str = MissingRule.MISSING,
    previous: Grades | None = None,
    quarter_steps: bool = False,
) -> float | None:
    """The bilateral MRC sum score over ``muscle_set``, or None when it is missing.

    With ``missing="missing"`` any missing grade makes the sum missing (``previous`` is
    then ignored). With ``missing="impute_last"`` a missing grade takes the same muscle's
    grade from ``previous`` (the last assessment), and the sum is missing only when that
    is missing too.

    >>> arm = MuscleSet("arm2", ("elbow_flexion", "wrist_extension"))
    >>> today = {"left": {"elbow_flexion": 5, "wrist_extension": 4},
    ...          "right": {"elbow_flexion": 5, "wrist_extension": None}}
    >>> mrc_sum(today, arm) is None
    True
    >>> last = {"left": {}, "right": {"wrist_extension": 3}}
    >>> mrc_sum(today, arm, missing="impute_last", previous=last)
    17.0
    """
    rule = _rule(missing)
    values = _checked_grades(grades, muscle_set, quarter_steps)
    if rule is MissingRule.IMPUTE_LAST and previous is not None:
        earlier = _checked_grades(previous, muscle_set, quarter_steps)
        values = [e if math.isnan(v) else v for v, e in zip(values, earlier, strict=True)]
    if any(math.isnan(v) for v in values):
        return None
    return float(sum(values))


def _rule(missing: MissingRule | str) -> MissingRule:
    try:
        return MissingRule(missing)
    except ValueError:
        expected = " or ".join(repr(r.value) for r in MissingRule)
        raise MeasureError(f"mrc_missing: got {missing!r}, expected {expected}") from None


def grades_array(exams: Sequence[Grades], muscle_set: MuscleSet) -> NDArray[np.float64]:
    """Stack one grade mapping per patient into a (patients, 2, muscles) array, NaN = missing.

    >>> grades_array([{"left": {"elbow_flexion": 4}}], MuscleSet("m", ("elbow_flexion",)))
    array([[[ 4.],
            [nan]]])
    """
    shape = (len(exams), len(_SIDES), len(muscle_set.muscles))
    # Quarter steps allowed here: this only arranges values; the sum checks the grid.
    flat = [_checked_grades(exam, muscle_set, quarter_steps=True) for exam in exams]
    return np.array(flat, dtype=np.float64).reshape(shape)


def _check_grade_array(
    grades: NDArray[np.float64], muscle_set: MuscleSet, quarter_steps: bool, what: str
) -> None:
    expected = (len(_SIDES), len(muscle_set.muscles))
    if grades.ndim != 3 or grades.shape[1:] != expected:
        raise MeasureError(
            f"{what}: got an array of shape {grades.shape}, expected (patients, "
            f"{expected[0]}, {expected[1]}) for the {muscle_set.name!r} set"
        )
    allowed = np.array(sorted(_QUARTER_GRADES if quarter_steps else _WHOLE_GRADES))
    bad = ~np.isnan(grades) & ~np.isin(grades, allowed)
    if bad.any():
        patient, side, muscle = (int(i) for i in np.argwhere(bad)[0])
        raise MeasureError(
            f"MRC grade for {muscle_set.muscles[muscle]} ({_SIDES[side]}) of patient "
            f"{patient}: got {grades[patient, side, muscle]!r}, "
            f"expected {_expected_grades(quarter_steps)}"
        )


def mrc_sum_array(
    grades: ArrayLike,
    muscle_set: MuscleSet,
    *,
    missing: MissingRule | str = MissingRule.MISSING,
    previous: ArrayLike | None = None,
    quarter_steps: bool = False,
) -> NDArray[np.float64]:
    """Vectorized :func:`mrc_sum`: grades (patients, 2, muscles) to sums (patients,).

    NaN marks a missing grade on the way in and a missing sum on the way out.

    >>> g = np.array([[[5, 4], [5, 5]], [[5, np.nan], [5, 5]]])
    >>> mrc_sum_array(g, MuscleSet("m", ("elbow_flexion", "wrist_extension")))
    array([19., nan])
    """
    rule = _rule(missing)
    values = np.asarray(grades, dtype=np.float64)
    _check_grade_array(values, muscle_set, quarter_steps, "MRC grades")
    if rule is MissingRule.IMPUTE_LAST and previous is not None:
        earlier = np.asarray(previous, dtype=np.float64)
        _check_grade_array(earlier, muscle_set, quarter_steps, "previous MRC grades")
        if earlier.shape != values.shape:
            raise MeasureError(
                f"previous MRC grades: got shape {earlier.shape}, expected {values.shape}"
            )
        values = np.where(np.isnan(values), earlier, values)
    # NaN propagates through the sum, which is exactly "any missing makes it missing".
    return np.asarray(values.sum(axis=(1, 2)), dtype=np.float64)


__all__ = [
    "MRC_MAX_GRADE",
    "Grades",
    "MissingRule",
    "MuscleSet",
    "check_mrc_grade",
    "grades_array",
    "mrc_sum",
    "mrc_sum_array",
    "parse_mrc_grade",
    "protocol_muscle_set",
]

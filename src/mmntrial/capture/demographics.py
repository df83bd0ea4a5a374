"""Age and sex of an enrolled patient, recorded at eligibility.

The dataset's ``subjects`` table (docs/dataset.md) needs each subject's age at
randomization and sex, which no other capture record holds. They are recorded once per
enrolled screening entry (table ``demographics``, revision ``0008``) with the
eligibility assessment (its page and API ask for them), and randomization refuses a
patient without them (:func:`required`); audited like every capture record,
a change needs a reason. :func:`checked_demographics` names the field, the value
received and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.eligibility import enrolled_entry
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import demographics

SEXES = ("F", "M")
#: The dataset's range for ``age_years``.
MIN_AGE, MAX_AGE = 0.0, 120.0


@dataclass(frozen=True)
class Demographics:
    """A checked age (years, at randomization) and sex."""

    age_years: float
    sex: str

    def values(self) -> dict[str, Any]:
        """The row's values."""
        return {"age_years": self.age_years, "sex": self.sex}


def checked_demographics(typed: Mapping[str, Any]) -> Demographics:
    """:class:`Demographics` from submitted values; a FieldError naming the first bad one.

    >>> checked_demographics({"age_years": "52.5", "sex": "F"})
    Demographics(age_years=52.5, sex='F')
    >>> checked_demographics({"age_years": "52", "sex": "x"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmntrial.capture.screening.FieldError: sex: got 'x', expected F or M
    """
    raw = typed.get("age_years")
    try:
        age = float(str(raw).strip()) if not isinstance(raw, bool) else math.nan
    except ValueError:
        age = math.nan
    if not MIN_AGE <= age <= MAX_AGE:  # NaN fails both comparisons
        raise FieldError(
            "age_years",
            f"age_years: got {raw!r}, expected the age at randomization in years, "
            f"{MIN_AGE:g} to {MAX_AGE:g}",
        )
    sex = str(typed.get("sex", "")).strip()
    if sex not in SEXES:
        raise FieldError("sex", f"sex: got {typed.get('sex')!r}, expected {' or '.join(SEXES)}")
    return Demographics(age, sex)


def record(
    conn: Connection, site: str, entry: int, given: Demographics, who: str, reason: str | None
) -> int:
    """Store age and sex of the enrolled entry ``entry`` of ``site`` (audited); a change
    of stored ones needs ``reason``."""
    enrolled_entry(conn, site, entry)
    saved = conn.execute(
        select(demographics.c.id).where(demographics.c.screening_entry_id == entry)
    ).scalar()
    if saved is None:
        values = {"screening_entry_id": entry, **given.values()}
        return audit.insert(conn, demographics, values, who)
    audit.update(conn, demographics, int(saved), given.values(), who, reason)
    return int(saved)


def stored(conn: Connection, entry: int) -> Demographics | None:
    """Age and sex of screening entry ``entry``, or None when not recorded."""
    row = conn.execute(
        select(demographics).where(demographics.c.screening_entry_id == entry)
    ).first()
    return Demographics(float(row.age_years), row.sex) if row is not None else None


def required(conn: Connection, entry: int) -> Demographics:
    """Age and sex of ``entry``; a :class:`FieldError` naming ``age_years`` without them.

    Randomization asks for them: the dataset export cannot describe a subject without
    (an assessment saved before the form asked for them has none).
    """
    found = stored(conn, entry)
    if found is None:
        raise FieldError(
            "age_years",
            f"age_years: got none for screening entry {entry}, expected the age and sex "
            "recorded with the eligibility assessment (the dataset export needs them): "
            "save the assessment again with them",
        )
    return found


def all_demographics(conn: Connection) -> dict[int, Demographics]:
    """Age and sex of every entry that has them, by screening entry id."""
    rows = conn.execute(select(demographics))
    return {int(r.screening_entry_id): Demographics(float(r.age_years), r.sex) for r in rows}

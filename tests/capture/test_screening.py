"""The screening log: what a screening must hold, and one screening id per site."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mmntrial.capture import screening
from mmntrial.capture.screening import FieldError, Outcome, checked_screening
from mmntrial.storage import Database

TODAY = date(2026, 12, 1)
EXCLUSIONS = {"pregnancy": "Pregnant ...", "neutropenia": "Neutrophils ..."}
ENROLLED = {
    "screening_id": "SCR-7",
    "screened_on": "2026-11-20",
    "outcome": "enrolled",
    "consent_version": "v2.1 2026-09",
    "consent_date": "2026-11-19",
}
EXCLUDED = {
    "screening_id": "SCR-8",
    "screened_on": "2026-11-20",
    "outcome": "excluded",
    "exclusion_code": "neutropenia",
}


def test_an_enrolment_keeps_consent_and_no_reason() -> None:
    entry = checked_screening(ENROLLED, EXCLUSIONS, TODAY)
    assert entry.outcome is Outcome.ENROLLED
    assert (entry.consent_version, entry.consent_date) == ("v2.1 2026-09", date(2026, 11, 19))
    assert entry.exclusion_code is None


def test_an_exclusion_keeps_its_coded_reason() -> None:
    entry = checked_screening(EXCLUDED, EXCLUSIONS, TODAY)
    assert (entry.outcome, entry.exclusion_code) == (Outcome.EXCLUDED, "neutropenia")


@pytest.mark.parametrize(
    ("base", "change", "field", "words"),
    [
        (ENROLLED, {"screening_id": "SCR\x1b[2J"}, "screening_id", "control character"),
        (ENROLLED, {"screening_id": ""}, "screening_id", "empty identifier"),
        (ENROLLED, {"screened_on": "2026-13-01"}, "screened_on", "a date YYYY-MM-DD"),
        (ENROLLED, {"screened_on": "2026-12-02"}, "screened_on", "to today (2026-12-01)"),
        (ENROLLED, {"screened_on": "1999-01-01"}, "screened_on", "from 2010-01-01"),
        (ENROLLED, {"outcome": "maybe"}, "outcome", "excluded or enrolled"),
        (ENROLLED, {"consent_version": ""}, "consent_version", "the consent form's version"),
        (ENROLLED, {"consent_date": None}, "consent_date", "a date YYYY-MM-DD"),
        (ENROLLED, {"consent_date": "2026-11-21"}, "consent_date", "on or before the screening"),
        (ENROLLED, {"exclusion_code": "pregnancy"}, "exclusion_code", "none for an enrolled"),
        (EXCLUDED, {"exclusion_code": "age"}, "exclusion_code", "pregnancy, neutropenia"),
        (EXCLUDED, {"consent_version": "v1"}, "consent_version", "none for an excluded"),
    ],
)
def test_a_bad_value_is_refused_naming_field_value_and_expectation(
    base: dict[str, Any], change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(FieldError) as caught:
        checked_screening({**base, **change}, EXCLUSIONS, TODAY)
    assert caught.value.field == field
    message = str(caught.value)
    assert message.startswith(f"{field}: got {change[field]!r}, expected ")
    assert words in message


def test_a_screening_id_is_used_once_per_site(study: str | Path) -> None:
    entry = checked_screening(EXCLUDED, EXCLUSIONS, TODAY)
    with Database.open(study) as db:
        with db.write() as conn:
            screening.record(conn, "AMC", entry, "nurse")
            screening.record(conn, "UMCU", entry, "nurse")  # another site's numbering
        taken = r"screening_id: got 'SCR-8', expected a screening"
        with pytest.raises(FieldError, match=taken), db.write() as conn:
            screening.record(conn, "AMC", entry, "nurse")
        with db.read() as conn:
            assert [r["screening_id"] for r in screening.site_log(conn, "AMC")] == ["SCR-8"]

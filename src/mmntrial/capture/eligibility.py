"""Eligibility of an enrolled patient: the protocol's exclusions and EFNS/PNS 2010.

An assessment records, for one enrolled screening entry, the answer to every exclusion
of the protocol's checklist (``[[eligibility.exclusions]]``), the EFNS/PNS 2010 clinical
and supportive criteria and the conduction studies per nerve segment. The diagnostic
category is computed by :func:`mmntrial.diagnosis.category.diagnose`, never typed: the
patient is eligible when the protocol admits the category (``efns_categories``) and no
exclusion applies.

:func:`checked_assessment` takes values shaped as the JSON API sends them (the form's
are converted by :func:`from_form`) and raises a :class:`FieldError` naming the field,
the value received and what was expected. An assessment is stored once per screening
entry; changing it later needs a reason, as every change of a capture record.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.accounts import site_id
from mmntrial.capture.screening import FieldError, Outcome
from mmntrial.capture.tables import eligibility, screening_log
from mmntrial.diagnosis.category import Diagnosis, diagnose
from mmntrial.diagnosis.clinical import ClinicalFindings, SupportiveFindings
from mmntrial.diagnosis.conduction import SegmentStudy
from mmntrial.errors import CaptureError, MeasureError
from mmntrial.protocol.model import Protocol

#: More motor segments than anyone studies at screening is a typing error.
MAX_SEGMENTS = 40
#: Empty segment rows the form offers.
FORM_SEGMENTS = 6

CLINICAL_FIELDS = tuple(f.name for f in fields(ClinicalFindings))
SUPPORTIVE_FIELDS = tuple(f.name for f in fields(SupportiveFindings))
SEGMENT_FIELDS = tuple(f.name for f in fields(SegmentStudy))
_CLINICAL_NUMBERS = ("affected_nerves", "weakness_months")
_SEGMENT_TEXT = ("nerve", "segment")
_SEGMENT_FLAGS = ("long_upper_limb_segment", "entrapment_site", "sensory_conduction_normal")


class NotFound(CaptureError):
    """A record named in a path that does not exist at that site (404 on the web)."""


@dataclass(frozen=True)
class Assessment:
    """A checked assessment: its findings, the diagnosis and the verdict."""

    assessed_on: date
    findings: dict[str, Any]
    exclusions: dict[str, bool]
    diagnosis: Diagnosis
    eligible: bool

    def values(self) -> dict[str, Any]:
        """The row's values (findings and exclusion answers as JSON text)."""
        return {
            "assessed_on": self.assessed_on.isoformat(),
            "findings_json": json.dumps(self.findings, sort_keys=True),
            "category": self.diagnosis.category.value,
            "exclusions_json": json.dumps(self.exclusions, sort_keys=True),
            "eligible": self.eligible,
        }


def _refuse(field: str, value: object, expected: str) -> FieldError:
    return FieldError(field, f"{field}: got {value!r}, expected {expected}")


def _flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _refuse(field, value, "true or false")
    return value


def _number(field: str, value: object, whole: bool = False) -> float:
    # The form sends text, the API numbers; a bool is neither.
    expected = "a whole number >= 0" if whole else "a number"
    parsed: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        parsed = float(value)
    elif isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            parsed = None
    if parsed is None or not math.isfinite(parsed) or (whole and not parsed.is_integer()):
        raise _refuse(field, value, expected)
    return parsed


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    if not isinstance(value, Mapping):
        raise _refuse(name, value, "an object of its criteria")
    return value


def _measure(field: str, build: Any) -> Any:
    try:
        return build()
    except MeasureError as error:
        text = str(error)
        raise FieldError(field, text if text.startswith(field) else f"{field}: {text}") from None


def _clinical(data: Mapping[str, Any]) -> dict[str, Any]:
    section = _section(data, "clinical")
    values: dict[str, Any] = {}
    for name in CLINICAL_FIELDS:
        field = f"clinical.{name}"
        if name in _CLINICAL_NUMBERS:
            number = _number(field, section.get(name), whole=name == "affected_nerves")
            values[name] = int(number) if name == "affected_nerves" else number
        else:
            values[name] = _flag(field, section.get(name))
    return values


def _segments(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = data.get("segments", [])
    if not isinstance(rows, Sequence) or isinstance(rows, str) or len(rows) > MAX_SEGMENTS:
        raise _refuse("segments", rows, f"a list of at most {MAX_SEGMENTS} nerve segments")
    studied = []
    for number, row in enumerate(rows):
        where = f"segments[{number}]"
        if not isinstance(row, Mapping):
            raise _refuse(where, row, "an object with the segment's values")
        values: dict[str, Any] = {}
        for name in SEGMENT_FIELDS:
            field = f"{where}.{name}"
            given = row.get(name)
            if name in _SEGMENT_TEXT:
                if not isinstance(given, str) or not given.strip() or len(given) > 100:
                    raise _refuse(field, given, "a name of 1 to 100 characters")
                values[name] = given.strip()
            elif name in _SEGMENT_FLAGS:
                values[name] = _flag(field, given)
            else:
                values[name] = _number(field, given)
        _measure(where, lambda values=values: SegmentStudy(**values))
        studied.append(values)
    return studied


def checked_assessment(
    data: Mapping[str, Any], protocol: Protocol, screened_on: date, today: date
) -> Assessment:
    """An :class:`Assessment` from submitted values; :class:`FieldError` for the first bad one.

    ``data`` holds ``assessed_on`` (from the screening date to today), ``exclusions``
    (every exclusion id of the protocol: true when it applies), ``clinical`` (the fields
    of :class:`~mmntrial.diagnosis.clinical.ClinicalFindings`), ``supportive`` (those of
    :class:`~mmntrial.diagnosis.clinical.SupportiveFindings`),
    ``sensory_conduction_normal`` and ``segments`` (those of
    :class:`~mmntrial.diagnosis.conduction.SegmentStudy`, one object per segment).
    """
    raw_date = data.get("assessed_on")
    expected = f"a date YYYY-MM-DD from the screening date ({screened_on}) to today ({today})"
    try:
        assessed_on = date.fromisoformat(raw_date.strip()) if isinstance(raw_date, str) else None
    except ValueError:
        assessed_on = None
    if assessed_on is None or not screened_on <= assessed_on <= today:
        raise _refuse("assessed_on", raw_date, expected)
    answers = _section(data, "exclusions")
    ids = [item.id for item in protocol.eligibility.exclusions]
    unknown = sorted(set(answers) - set(ids))
    if unknown:
        raise _refuse(f"exclusions.{unknown[0]}", answers[unknown[0]], "no such exclusion")
    exclusions = {i: _flag(f"exclusions.{i}", answers.get(i)) for i in ids}
    clinical = _clinical(data)
    section = _section(data, "supportive")
    supportive = {n: _flag(f"supportive.{n}", section.get(n)) for n in SUPPORTIVE_FIELDS}
    sensory = _flag("sensory_conduction_normal", data.get("sensory_conduction_normal"))
    segments = _segments(data)
    findings = {
        "clinical": clinical,
        "supportive": supportive,
        "sensory_conduction_normal": sensory,
        "segments": segments,
    }
    result = diagnosis_of(findings)
    admitted = result.admitted(protocol.eligibility.efns_categories)
    eligible = admitted and not any(exclusions.values())
    return Assessment(assessed_on, findings, exclusions, result, eligible)


def diagnosis_of(findings: Mapping[str, Any]) -> Diagnosis:
    """The EFNS/PNS 2010 diagnosis of checked (or stored) findings."""
    result: Diagnosis = _measure(
        "clinical",
        lambda: diagnose(
            ClinicalFindings(**findings["clinical"]),
            [SegmentStudy(**s) for s in findings["segments"]],
            SupportiveFindings(**findings["supportive"]),
            sensory_conduction_normal=findings["sensory_conduction_normal"],
        ),
    )
    return result


def from_form(form: Mapping[str, str], exclusion_ids: Sequence[str]) -> dict[str, Any]:
    """The values of the HTML form in the API's shape.

    An exclusion is a yes/no radio (unanswered stays unanswered, so it is refused, never
    taken as no); a criterion is a checkbox (ticked: present). Segment rows with an empty
    nerve are rows the site did not use.
    """
    answers: dict[str, Any] = {}
    for i in exclusion_ids:
        given = form.get(f"exclusions.{i}")
        answers[i] = {"yes": True, "no": False}.get(given or "", given)
    clinical: dict[str, Any] = {
        n: form.get(f"clinical.{n}", "") if n in _CLINICAL_NUMBERS else f"clinical.{n}" in form
        for n in CLINICAL_FIELDS
    }
    segments = []
    for number in range(FORM_SEGMENTS):
        prefix = f"segments.{number}."
        if not form.get(prefix + "nerve", "").strip():
            continue
        segments.append(
            {
                n: (prefix + n in form) if n in _SEGMENT_FLAGS else form.get(prefix + n, "")
                for n in SEGMENT_FIELDS
            }
        )
    return {
        "assessed_on": form.get("assessed_on", ""),
        "exclusions": answers,
        "clinical": clinical,
        "supportive": {n: f"supportive.{n}" in form for n in SUPPORTIVE_FIELDS},
        "sensory_conduction_normal": "sensory_conduction_normal" in form,
        "segments": segments,
    }


#: The largest row id a database stores (a signed 64-bit integer).
MAX_ROW_ID = 2**63 - 1


def enrolled_entry(conn: Connection, site: str, entry: int) -> dict[str, Any]:
    """The screening entry ``entry`` of ``site``; :class:`NotFound` unless it is enrolled."""
    row = None
    # An id from a URL can be any integer: one beyond a 64-bit row id names no entry (and
    # SQLite's driver raises OverflowError on it rather than find nothing).
    if 0 < entry <= MAX_ROW_ID:
        row = (
            conn.execute(
                select(screening_log).where(
                    screening_log.c.id == entry, screening_log.c.site_id == site_id(conn, site)
                )
            )
            .mappings()
            .first()
        )
    if row is None or row["outcome"] != Outcome.ENROLLED.value:
        raise NotFound(
            f"screening entry: got {entry!r}, expected an enrolled patient of the screening "
            f"log of site {site}"
        )
    return dict(row)


def stored(conn: Connection, entry: int) -> dict[str, Any] | None:
    """The stored assessment of screening entry ``entry``, or None."""
    row = (
        conn.execute(select(eligibility).where(eligibility.c.screening_entry_id == entry))
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def record(
    conn: Connection, entry: int, assessment: Assessment, who: str, reason: str | None
) -> int:
    """Store the assessment of ``entry`` (audited); a change of a stored one needs a reason."""
    earlier = stored(conn, entry)
    if earlier is None:
        values = {"screening_entry_id": entry, **assessment.values()}
        return audit.insert(conn, eligibility, values, who)
    audit.update(conn, eligibility, int(earlier["id"]), assessment.values(), who, reason)
    return int(earlier["id"])

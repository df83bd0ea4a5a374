"""Adverse events: the one record of an AE of a participant, from onset to outcome.

Each event gets the identifier ``AE-NNN`` (numbered per participant), the CTCAE term,
the onset date, the date it resolved (empty while it lasts), the CTCAE v5.0 grade (1 to
5), whether it is serious, what it is attributed to and the action taken with the study
drug (the values of docs/dataset.md's ``adverse_events``), and its outcome. A
resolution, a grade change or any other correction is a change of the same record
with a reason, audited: safety reports read this table and no other.

A serious event also records when the site became aware of it (``aware_at_utc``, a
date and time in UTC, or with its offset), which starts the 24-hour clock of its SAE
report (:mod:`mmntrial.capture.sae`); an event that is not serious has none. A serious
event without it is listed as missing its awareness: the clock cannot run on a guess.

What crosses fields: an event resolves on or after its onset; an outcome of recovery
has a resolution date and an event still going on has none; grade 5 is death related to
the event (CTCAE v5.0 [S50]), so it goes with the outcome ``fatal`` and only with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mmntrial.capture import action_items
from mmntrial.capture.records import Dates, Field, Kind, RecordForm
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import adverse_events
from mmntrial.dataset.schema import AE_ACTIONS, AE_RELATED

#: How an event ended, or that it has not (CDISC's outcome terms, in lower case).
OUTCOMES = (
    "recovered",
    "recovered_with_sequelae",
    "recovering",
    "not_recovered",
    "fatal",
    "unknown",
)
RESOLVED = ("recovered", "recovered_with_sequelae")
LASTING = ("recovering", "not_recovered")
FATAL_GRADE = 5


def aware_moment(text: str) -> datetime:
    """A stored or typed awareness moment as a UTC datetime (no offset typed: UTC)."""
    moment = datetime.fromisoformat(text.strip())
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _aware(values: dict[str, Any], dates: Dates) -> str | None:
    typed = values["aware_at_utc"]
    if typed is None:
        return None
    if not values["serious"]:
        raise FieldError(
            "aware_at_utc",
            f"aware_at_utc: got {typed!r} for an event that is not serious, expected none",
        )
    try:
        moment = aware_moment(typed)
    except ValueError:
        raise FieldError(
            "aware_at_utc",
            f"aware_at_utc: got {typed!r}, expected a date and time as YYYY-MM-DD HH:MM (UTC, "
            "or with its offset such as +01:00)",
        ) from None
    on = moment.date().isoformat()
    if not values["onset_on"] <= on <= dates.today.isoformat():
        raise FieldError(
            "aware_at_utc",
            f"aware_at_utc: got {typed!r}, expected a moment from the onset "
            f"({values['onset_on']}) to today ({dates.today.isoformat()}), UTC",
        )
    return moment.isoformat(timespec="minutes")


def _rules(values: dict[str, Any], _typed: Mapping[str, str], dates: Dates) -> dict[str, Any]:
    values = {**values, "aware_at_utc": _aware(values, dates)}
    onset, resolved, outcome = values["onset_on"], values["resolved_on"], values["outcome"]
    if resolved is not None and resolved < onset:
        raise FieldError(
            "resolved_on",
            f"resolved_on: got {resolved}, expected a date on or after the onset ({onset})",
        )
    if outcome in RESOLVED and resolved is None:
        raise FieldError(
            "resolved_on",
            f"resolved_on: got none, expected the date the event resolved (outcome {outcome})",
        )
    if outcome in LASTING and resolved is not None:
        raise FieldError(
            "outcome",
            f"outcome: got {outcome!r} for an event resolved on {resolved}, expected "
            f"{' or '.join(RESOLVED)}, or no resolution date",
        )
    if (values["grade"] == FATAL_GRADE) != (outcome == "fatal"):
        raise FieldError(
            "grade",
            f"grade: got {values['grade']} with outcome {outcome!r}, expected grade "
            f"{FATAL_GRADE} (death related to the event) with the outcome 'fatal' and only "
            "with it",
        )
    return values


FORM = RecordForm(
    name="adverse_events",
    slug="adverse-events",
    title="Adverse events",
    table=adverse_events,
    fields=(
        Field("term", "CTCAE term", Kind.LABEL),
        Field("onset_on", "Onset", Kind.DATE),
        Field("resolved_on", "Resolved on", Kind.DATE, required=False),
        Field("grade", "CTCAE grade", Kind.INTEGER, low=1, high=FATAL_GRADE),
        Field("serious", "Serious", Kind.YES_NO),
        Field(
            "aware_at_utc",
            "Site aware of the serious event at (UTC, YYYY-MM-DD HH:MM)",
            Kind.LABEL,
            required=False,
        ),
        Field("related_to", "Related to", Kind.CHOICE, choices=AE_RELATED),
        Field("action_taken", "Action with the study drug", Kind.CHOICE, choices=AE_ACTIONS),
        Field("outcome", "Outcome", Kind.CHOICE, choices=OUTCOMES),
    ),
    rules=_rules,
    derived=(("ae_id", "AE"),),
    numbered=("ae_id", "AE-{:03d}"),
    saved=action_items.on_saved,
)

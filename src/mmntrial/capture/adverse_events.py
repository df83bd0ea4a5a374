"""Adverse events: the one record of an AE of a participant, from onset to outcome.

Each event gets the identifier ``AE-NNN`` (numbered per participant), the CTCAE term,
the onset date, the date it resolved (empty while it lasts), the CTCAE v5.0 grade (1 to
5), whether it is serious, what it is attributed to and the action taken with the study
drug (the values of docs/dataset.md's ``adverse_events``), and its outcome. A
resolution, a grade change or any other correction is a change of the same record
with a reason, audited: safety reports read this table and no other.

What crosses fields: an event resolves on or after its onset; an outcome of recovery
has a resolution date and an event still going on has none; grade 5 is death related to
the event (CTCAE v5.0 [S50]), so it goes with the outcome ``fatal`` and only with it.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def _rules(values: dict[str, Any], _typed: Mapping[str, str], _dates: Dates) -> dict[str, Any]:
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
        Field("related_to", "Related to", Kind.CHOICE, choices=AE_RELATED),
        Field("action_taken", "Action with the study drug", Kind.CHOICE, choices=AE_ACTIONS),
        Field("outcome", "Outcome", Kind.CHOICE, choices=OUTCOMES),
    ),
    rules=_rules,
    derived=(("ae_id", "AE"),),
    numbered=("ae_id", "AE-{:03d}"),
    after=action_items.open_findings,
)

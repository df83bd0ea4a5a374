"""Disposition: how a participant left the study, when and why; none means ongoing.

At most one record per participant (docs/dataset.md's ``dispositions``, whose
``ongoing`` the export writes for a participant without one): the ``status``
(``completed``, ``withdrawn``, ``lost_to_follow_up``, ``died``), the last date on study
(``last_on``, from day 0 to today) and the ``reason``, required unless completed. A
correction is a change with a reason, audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmntrial.capture.records import Dates, Field, Kind, RecordForm
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import dispositions
from mmntrial.dataset.schema import DISPOSITION_STATUSES, ONGOING

#: A stored disposition ends the participant's follow-up; ongoing is no record at all.
STATUSES = tuple(s for s in DISPOSITION_STATUSES if s != ONGOING)
COMPLETED = "completed"


def _rules(values: dict[str, Any], _typed: Mapping[str, str], dates: Dates) -> dict[str, Any]:
    if values["last_on"] < dates.day0.isoformat():
        raise FieldError(
            "last_on",
            f"last_on: got {values['last_on']}, expected a date on or after day 0 "
            f"({dates.day0.isoformat()}), the randomization",
        )
    if values["status"] != COMPLETED and values["reason"] is None:
        raise FieldError(
            "reason",
            f"reason: got none, expected why the participant left the study (status "
            f"{values['status']!r}; required unless completed)",
        )
    return values


FORM = RecordForm(
    name="dispositions",
    slug="disposition",
    title="Disposition",
    table=dispositions,
    fields=(
        Field("status", "Status", Kind.CHOICE, choices=STATUSES),
        Field("last_on", "Last day on study", Kind.DATE),
        Field("reason", "Reason", Kind.NOTE, required=False),
    ),
    rules=_rules,
    one_each=True,
)

"""Concomitant medications: name, ATC code, start, end and the protocol's category.

One record per medication course (docs/dataset.md's ``conmeds``): the medication's
name, its WHO ATC code when the site knows it, the date started, the date stopped (empty
while it goes on) and its category under the protocol (``allowed``, ``prohibited``,
``warning``). A course ends on or after its start; stopping it, or any correction, is a
change with a reason, audited.

The category follows the prohibited and cautioned medications list
(:func:`mmntrial.safety.medications.check_medication`, by name and ATC code): a listed
prohibited medication is ``prohibited``, a cautioned one (corticosteroids, plasma
exchange) a ``warning``; what the list says is stored beside it (``list_note``) and
shown on the page and in the API's answer. A site may type a stricter category than the
list's (for a medication the list does not hold), never a laxer one: that is refused,
naming the match. A medication that is not ``allowed`` records a protocol deviation
(:mod:`mmntrial.capture.deviations`), once per record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmntrial.capture.deviations import record_deviation
from mmntrial.capture.records import Dates, Field, Kind, RecordForm, SavedRecord
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import conmeds
from mmntrial.dataset.schema import CONMED_CATEGORIES
from mmntrial.errors import SafetyError
from mmntrial.safety.medications import ALLOWED, CAUTIONED, PROHIBITED, check_medication

#: The conmed category of each category of the list (docs/dataset.md's terms).
CATEGORY_OF = {PROHIBITED: "prohibited", CAUTIONED: "warning", ALLOWED: "allowed"}
#: The categories from the laxest to the strictest.
STRICTNESS = ("allowed", "warning", "prohibited")
#: The deviation a medication of each category records.
DEVIATION_OF = {"prohibited": "prohibited_medication", "warning": "cautioned_medication"}


def _rules(values: dict[str, Any], _typed: Mapping[str, str], _dates: Dates) -> dict[str, Any]:
    started, ended = values["started_on"], values["ended_on"]
    if ended is not None and ended < started:
        raise FieldError(
            "ended_on", f"ended_on: got {ended}, expected a date on or after the start ({started})"
        )
    try:
        checked = check_medication(values["medication"], values["atc_code"])
    except SafetyError as error:
        raise FieldError("atc_code", str(error)) from None
    listed = CATEGORY_OF[checked.category]
    typed = values["category"] or listed
    if STRICTNESS.index(typed) < STRICTNESS.index(listed):
        raise FieldError(
            "category",
            f"category: got {typed!r} for {values['medication']!r}, expected {listed!r} or "
            f"stricter: {checked.note}",
        )
    atc = values["atc_code"]
    return {
        **values,
        "atc_code": atc.strip().upper() if atc else None,
        "category": typed,
        "list_note": checked.note,
    }


def _deviation(saved: SavedRecord) -> None:
    values = saved.values
    kind = DEVIATION_OF.get(values["category"])
    if kind is None:
        return
    why = values["list_note"] or f"recorded as {values['category']} by the site"
    record_deviation(
        saved.conn,
        saved.participant_id,
        kind,
        values["started_on"],
        ("conmeds", saved.record),
        f"{values['medication']} started: {why}",
        saved.who,
    )


FORM = RecordForm(
    name="conmeds",
    slug="conmeds",
    title="Concomitant medications",
    table=conmeds,
    fields=(
        Field("medication", "Medication", Kind.LABEL),
        Field("atc_code", "ATC code", Kind.LABEL, required=False),
        Field("started_on", "Started on", Kind.DATE),
        Field("ended_on", "Stopped on", Kind.DATE, required=False),
        Field("category", "Category", Kind.CHOICE, required=False, choices=CONMED_CATEGORIES),
    ),
    rules=_rules,
    derived=(("list_note", "Protocol's medication list"),),
    saved=_deviation,
)

"""A participant's records with their monitoring state, as the review page shows them.

For each record of :data:`mmntrial.capture.reviewed.REVIEWED`: its values, the queries
raised on its fields (beside the field they name), whether it is locked, and its source
data verification (and whether it still holds); then the visits' signatures (and
whether each still holds); and each field's label, so the page shows words where the
tables have column names. The page and its JSON twin read this one function; nothing
here names an arm.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from mmntrial.capture import (
    adverse_events,
    conmeds,
    dispositions,
    labs,
    locks,
    queries,
    signatures,
    verification,
)
from mmntrial.capture.allocation import participant
from mmntrial.capture.odm_forms import INFUSIONS, VISIT, OdmForm
from mmntrial.capture.records import RecordForm
from mmntrial.capture.reviewed import REVIEWED, Record, records_of
from mmntrial.measures.catalogue import MEASURES

#: Words for the columns that no form labels: the visit a record belongs to, an
#: assessment's parts, what the app adds to an infusion, and the engine panel's dose
#: decisions (its page lays them out in a table of its own).
UNLABELLED = {
    "visits": {"visit": "Visit"},
    "assessments": {
        "visit": "Visit",
        "measure": "Measure",
        "value": "Value",
        "detail_json": "Details (per muscle, per trial)",
        "side": "Hand",
    },
    "infusions": {"weight_note": "Unusual weight confirmed"},
    "dose_decisions": {
        "decided_for": "Infusion decided (date)",
        "action": "Engine's action",
        "engine_dose_g": "Engine's dose (g)",
        "protocol_dose_g": "Protocol dose (g)",
        "protocol_interval_days": "Protocol interval (days)",
        "ordered_dose_g": "Dose ordered (g)",
        "ordered_interval_days": "Interval ordered (days)",
        "outcome": "Outcome",
        "reason": "Reason for the override",
        "decided_by": "Decided by",
        "decided_at_utc": "Decided at (UTC)",
    },
}


def _of_form(form: RecordForm) -> dict[str, str]:
    return {**{f.name: f.label for f in form.fields}, **dict(form.derived)}


def _of_odm(form: OdmForm) -> dict[str, str]:
    return {i.name: i.label + (f" ({i.unit})" if i.unit else "") for i in form.items}


def field_labels() -> dict[str, dict[str, str]]:
    """Each reviewed table's fields in words, by column: from the record forms and the ODM
    items that label them already (one label per field wherever it shows), and
    :data:`UNLABELLED` for the rest."""
    labelled = {
        "visits": _of_odm(VISIT),
        "infusions": _of_odm(INFUSIONS),
        "adverse_events": _of_form(adverse_events.FORM),
        "labs": _of_form(labs.FORM),
        "conmeds": _of_form(conmeds.FORM),
        "dispositions": _of_form(dispositions.FORM),
    }
    return {t: {**UNLABELLED.get(t, {}), **labelled.get(t, {})} for t in REVIEWED}


def value_words(record: Record) -> dict[str, str]:
    """The values of ``record`` in words, by field, where its table keeps an id: an
    assessment's ``measure`` as the catalogue's label and unit (``mrc_sum`` reads "MRC
    sum score (points)"). A measure the catalogue does not know keeps its id: no words
    are guessed for it."""
    measure = record.values.get("measure") if record.table == "assessments" else None
    spec = MEASURES.get(str(measure))
    return {} if spec is None else {"measure": f"{spec.label} ({spec.unit})"}


def review(conn: Connection, site: str, subject: str) -> dict[str, Any]:
    """``subject``'s records, each with its queries by field, lock, verification and
    values in words (:func:`value_words`); the visits' signatures."""
    person = participant(conn, site, subject)
    found = records_of(conn, int(person["id"]))
    checked = verification.verified(conn, found)
    held = locks.locked(conn)
    raised: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for query in queries.listed(conn, site, subject):
        raised.setdefault((query["table"], query["record"]), []).append(query)
    shown = []
    for record in found:
        shown.append(
            {
                "table": record.table,
                "record": record.id,
                "name": record.name,
                "values": record.values,
                "words": value_words(record),
                "queries": raised.get(record.key, []),
                "lock": held.get(record.key),
                "verification": checked.get(record.key),
            }
        )
    signed = signatures.signed(conn, int(person["id"]))
    return {
        "subject": subject,
        "records": shown,
        "signatures": signed,
        "labels": field_labels(),
    }

"""Concomitant medications: name, start, end and the protocol's category.

One record per medication course (docs/dataset.md's ``conmeds``): the medication's
name, the date started, the date stopped (empty while it goes on) and its category
under the protocol (``allowed``, ``prohibited``, ``warning``). A course ends on or after
its start; stopping it, or any correction, is a change with a reason, audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmntrial.capture.records import Dates, Field, Kind, RecordForm
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import conmeds
from mmntrial.dataset.schema import CONMED_CATEGORIES


def _rules(values: dict[str, Any], _typed: Mapping[str, str], _dates: Dates) -> dict[str, Any]:
    started, ended = values["started_on"], values["ended_on"]
    if ended is not None and ended < started:
        raise FieldError(
            "ended_on", f"ended_on: got {ended}, expected a date on or after the start ({started})"
        )
    return values


FORM = RecordForm(
    name="conmeds",
    slug="conmeds",
    title="Concomitant medications",
    table=conmeds,
    fields=(
        Field("medication", "Medication", Kind.LABEL),
        Field("started_on", "Started on", Kind.DATE),
        Field("ended_on", "Stopped on", Kind.DATE, required=False),
        Field("category", "Category", Kind.CHOICE, choices=CONMED_CATEGORIES),
    ),
    rules=_rules,
)

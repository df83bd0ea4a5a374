"""What the study's CDISC ODM 1.3.2 file declares: its events, forms, items and code lists.

Each form of the ODM file is an :class:`OdmForm` with one item group (``IG.<KEY>``) of
:class:`OdmItem` s; the forms with a :class:`~mmntrial.capture.records.RecordForm`
(adverse events, labs, concomitant medications, disposition) take their items, data
types and code lists from it, so a field added there appears here without a second list.
The others (visit date, assessments, grip, infusions, demographics) are declared here
from the tables and the measure catalogue. Nothing here names an arm: the file is
blinded (:mod:`mmntrial.capture.odm_export`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mmntrial.capture import adverse_events, conmeds, dispositions, labs
from mmntrial.capture.demographics import SEXES
from mmntrial.capture.grip import GRIP_MEASURES, SIDES
from mmntrial.capture.infusions import ROUTES
from mmntrial.capture.records import Kind, RecordForm
from mmntrial.measures.catalogue import measure_spec
from mmntrial.protocol.model import Protocol

#: The ODM DataType of each kind of record field.
DATA_TYPES = {
    Kind.DATE: "date",
    Kind.LABEL: "text",
    Kind.NOTE: "text",
    Kind.CHOICE: "text",
    Kind.INTEGER: "integer",
    Kind.NUMBER: "float",
    Kind.YES_NO: "boolean",
}


@dataclass(frozen=True)
class OdmItem:
    """One item (``ItemDef``): its column, its question, its ODM DataType, the codes it
    takes (a ``CodeList``) and its unit (a ``MeasurementUnit``), if any."""

    name: str
    label: str
    data_type: str
    codes: tuple[str, ...] = ()
    unit: str | None = None


@dataclass(frozen=True)
class OdmForm:
    """A form (``FormDef``) with its one item group; ``repeating`` when a participant has
    any number of its records (an infusion log), keyed by ``key_item`` if given."""

    key: str
    name: str
    items: tuple[OdmItem, ...]
    repeating: bool = False
    key_item: str | None = None

    @property
    def oid(self) -> str:
        """The form's OID (``F.AE``)."""
        return f"F.{self.key}"

    @property
    def group_oid(self) -> str:
        """Its item group's OID (``IG.AE``)."""
        return f"IG.{self.key}"

    def item_oid(self, name: str) -> str:
        """An item's OID (``IT.AE.GRADE``): items are per form, never shared."""
        return f"IT.{self.key}.{name.upper()}"

    def code_list_oid(self, name: str) -> str:
        """The OID of an item's code list (``CL.AE.OUTCOME``)."""
        return f"CL.{self.key}.{name.upper()}"


def record_form(key: str, form: RecordForm, first: tuple[OdmItem, ...] = ()) -> OdmForm:
    """The ODM form of a record form: its fields as items, choices as code lists; each
    participant has any number (one for a ``one_each`` form)."""
    items = tuple(
        OdmItem(f.name, f.label, DATA_TYPES[f.kind], f.choices if f.kind is Kind.CHOICE else ())
        for f in form.fields
    )
    repeating = not form.one_each
    return OdmForm(
        key,
        form.title,
        first + items,
        repeating,
        first[0].name if first and repeating else None,
    )


VISIT = OdmForm("VISIT", "Visit", (OdmItem("visited_on", "Date of the visit", "date"),))

INFUSIONS = OdmForm(
    "INFUSIONS",
    "IVIg infusions",
    (
        OdmItem("given_on", "Date given", "date"),
        OdmItem("product", "Product", "text"),
        OdmItem("lot", "Lot", "text"),
        OdmItem("route", "Route", "text", ROUTES),
        OdmItem("dose_g", "Dose", "float", unit="g"),
        OdmItem("weight_kg", "Weight the dose was calculated on", "float", unit="kg"),
        OdmItem("interval_days", "Prescribed interval", "integer", unit="days"),
    ),
    repeating=True,
)

DEMOGRAPHICS = OdmForm(
    "DM",
    "Demographics",
    (
        OdmItem("randomized_on", "Date of randomization (day 0)", "date"),
        OdmItem("age_years", "Age", "float", unit="years"),
        OdmItem("sex", "Sex", "text", SEXES),
    ),
)

AE = record_form("AE", adverse_events.FORM, (OdmItem("ae_id", "AE identifier", "text"),))
LABS = record_form("LB", labs.FORM)
CONMEDS = record_form("CM", conmeds.FORM)
DISPOSITION = record_form("DS", dispositions.FORM)

#: The forms of the log event (records not tied to a visit), in the file's order.
LOG_FORMS = (INFUSIONS, AE, LABS, CONMEDS, DISPOSITION)


def _measure_item(measure: str) -> OdmItem:
    spec = measure_spec(measure)
    return OdmItem(measure, spec.label, "float", unit=spec.unit)


def visit_forms(protocol: Protocol, stored: Iterable[str] = ()) -> tuple[OdmForm, OdmForm, OdmForm]:
    """The forms of a visit: its date, the assessments (one item per measure the
    protocol's schedule takes, grip apart) and grip (one group per hand).

    ``stored`` are the measures the study holds values of: one the schedule does not
    list (grip read with the other instrument) gets its item too, so no value is left
    out for want of one.
    """
    listed = (m for visit in protocol.schedule.visits for m in visit.measures)
    measured = dict.fromkeys([*listed, *sorted(stored)])
    scalar = tuple(_measure_item(m) for m in measured if m not in GRIP_MEASURES)
    gripped = tuple(_measure_item(m) for m in measured if m in GRIP_MEASURES)
    assessments = OdmForm("ASSESSMENTS", "Assessments", scalar)
    side = OdmItem("side", "Hand", "text", SIDES)
    grip = OdmForm("GRIP", "Grip strength (best trial)", (side, *gripped), True, "side")
    return VISIT, assessments, grip

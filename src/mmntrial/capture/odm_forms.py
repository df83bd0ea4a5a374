"""What the study's CDISC ODM 1.3.2 file declares: its events, forms, items and code lists.

Each form of the ODM file is an :class:`OdmForm` with one item group (``IG.<KEY>``) of
:class:`OdmItem` s; the forms with a :class:`~mmntrial.capture.records.RecordForm`
(adverse events, labs, concomitant medications, disposition) take their items, data
types and code lists from it, so a field added there appears here without a second list.
The others (visit date, assessments, grip, infusions, demographics, dose decisions, the
screening log and the eligibility assessment) are declared here from the tables, the
measure catalogue and the protocol's exclusions. Nothing here names an arm or a kit: the
file is blinded (:mod:`mmntrial.capture.odm_export`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import get_type_hints

from mmntrial.capture import adverse_events, conmeds, dispositions, labs
from mmntrial.capture.decisions import ACCEPTED, DEVIATION
from mmntrial.capture.demographics import SEXES
from mmntrial.capture.eligibility import CLINICAL_FIELDS, SEGMENT_FIELDS, SUPPORTIVE_FIELDS
from mmntrial.capture.grip import GRIP_MEASURES, SIDES
from mmntrial.capture.infusions import ROUTES
from mmntrial.capture.records import Kind, RecordForm
from mmntrial.capture.screening import Outcome
from mmntrial.diagnosis.category import Category
from mmntrial.diagnosis.clinical import ClinicalFindings, SupportiveFindings
from mmntrial.diagnosis.conduction import SegmentStudy
from mmntrial.engine.states import Action
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

DOSE_DECISIONS = OdmForm(
    "DD",
    "Dose decisions on the engine panel",
    (
        OdmItem("decided_for", "Date of the infusion decided", "date"),
        OdmItem("action", "The engine's action", "text", tuple(a.label for a in Action)),
        OdmItem("engine_dose_g", "The engine's exact dose", "float", unit="g"),
        OdmItem("protocol_dose_g", "The protocol's dose", "float", unit="g"),
        OdmItem("protocol_interval_days", "The protocol's interval", "float", unit="days"),
        OdmItem("ordered_dose_g", "Dose ordered", "float", unit="g"),
        OdmItem("ordered_interval_days", "Interval ordered", "integer", unit="days"),
        # "deviation": an override of the panel's dose, a protocol deviation.
        OdmItem("outcome", "Accepted or overridden (deviation)", "text", (ACCEPTED, DEVIATION)),
        OdmItem("reason", "Reason of the override", "text"),
        OdmItem("decided_by", "Decided by", "text"),
        OdmItem("decided_at_utc", "Decided at (UTC)", "datetime"),
    ),
    repeating=True,
    key_item="decided_for",
)

AE = record_form("AE", adverse_events.FORM, (OdmItem("ae_id", "AE identifier", "text"),))
LABS = record_form("LB", labs.FORM)
CONMEDS = record_form("CM", conmeds.FORM)
DISPOSITION = record_form("DS", dispositions.FORM)

#: The forms of the log event (records not tied to a visit), in the file's order.
LOG_FORMS = (INFUSIONS, DOSE_DECISIONS, AE, LABS, CONMEDS, DISPOSITION)

# The ODM DataType of a field of the eligibility findings, by its Python type.
_FINDING_TYPES = {bool: "boolean", int: "integer", float: "float", str: "text"}
#: The prefix of an exclusion's item in the eligibility form (``exclusion_<id>``).
EXCLUSION = "exclusion_"


def _finding_items(kind: type, names: tuple[str, ...]) -> tuple[OdmItem, ...]:
    types = get_type_hints(kind)
    return tuple(
        OdmItem(name, name.replace("_", " "), _FINDING_TYPES[types[name]]) for name in names
    )


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


def screening_forms(protocol: Protocol) -> tuple[OdmForm, OdmForm, OdmForm]:
    """The forms of the screening event: the screening log entry, the eligibility
    assessment (its findings, each exclusion of ``protocol`` answered, the category the
    findings give, the verdict) and the conduction studies, one group per nerve segment."""
    exclusions = tuple(item.id for item in protocol.eligibility.exclusions)
    screening = OdmForm(
        "SCR",
        "Screening log",
        (
            OdmItem("screening_id", "Screening number at the site", "text"),
            OdmItem("screened_on", "Date of screening", "date"),
            OdmItem("outcome", "Outcome of screening", "text", tuple(o.value for o in Outcome)),
            OdmItem("exclusion_code", "Exclusion that applied", "text", exclusions),
            OdmItem("consent_version", "Version of the consent form signed", "text"),
            OdmItem("consent_date", "Date of consent", "date"),
        ),
    )
    # An exclusion is named by its id, not the protocol's question, which may name the
    # study drug (an arm's name): the file is blinded.
    answers = tuple(
        OdmItem(f"{EXCLUSION}{name}", f"exclusion {name} applies", "boolean") for name in exclusions
    )
    eligibility = OdmForm(
        "EL",
        "Eligibility (EFNS/PNS 2010 and the protocol's exclusions)",
        (
            OdmItem("assessed_on", "Date of the assessment", "date"),
            *_finding_items(ClinicalFindings, CLINICAL_FIELDS),
            *_finding_items(SupportiveFindings, SUPPORTIVE_FIELDS),
            OdmItem("sensory_conduction_normal", "sensory conduction normal", "boolean"),
            *answers,
            OdmItem("category", "EFNS/PNS 2010 category", "text", tuple(c.value for c in Category)),
            OdmItem("eligible", "Eligible", "boolean"),
        ),
    )
    segments = OdmForm(
        "ELSEG",
        "Motor conduction studies at screening",
        _finding_items(SegmentStudy, SEGMENT_FIELDS),
        repeating=True,
    )
    return screening, eligibility, segments

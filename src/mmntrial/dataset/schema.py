"""The trial dataset schema (version "1"), written once: tables, columns, dtypes, rules.

A dataset is the contract between the simulator, the capture app and the analysis: a
directory with one file per table (all Parquet or all CSV) plus ``dataset.json``. This
module holds the schema as data (:data:`TABLES`, :data:`META_FIELDS`), the in-memory
:class:`Dataset` (one pandas DataFrame per table plus :class:`DatasetMeta`) and its
validation (:func:`validate`, in :mod:`mmntrial.dataset.checks`). ``docs/dataset.md`` is
rendered from here by :func:`schema_markdown`::

    uv run python -m mmntrial.dataset.schema > docs/dataset.md

In memory, ``str`` columns are object columns of Python ``str`` (``None`` for null),
``int`` columns are ``int64`` (nullable ones ``Int64``, with ``pd.NA`` for null),
``float`` columns are ``float64`` (``NaN`` for null) and ``bool`` columns are ``bool``.
"""

from __future__ import annotations

import sys
from dataclasses import InitVar, dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from mmntrial.measures.catalogue import MEASURES
from mmntrial.measures.ivig import (
    MAX_DOSE_G_PER_KG,
    MAX_INTERVAL_DAYS,
    MAX_WEIGHT_KG,
    MIN_WEIGHT_KG,
)
from mmntrial.measures.labs import LAB_UNITS
from mmntrial.measures.limits import MAX_AGE_YEARS, MIN_AGE_YEARS, STUDY_DAY_LIMIT

if TYPE_CHECKING:
    from mmntrial.protocol.model import Protocol

# "2": labs gained the lab's normal range (lln, uln) and the safety rules' tests
# (platelets, haemoglobin, bilirubin, creatinine); a version 1 dataset is refused by name.
SCHEMA_VERSION = "2"
DAY_MARGIN_DAYS = 60  # days after the last visit still accepted (late follow-up, AEs)

DType = Literal["str", "int", "float", "bool"]

# The dataset holds every catalogue measure, in its catalogue unit (DOMAIN.md section 3):
# the catalogue owns names, units and sides, so a new measure is added there only.
MEASURE_UNITS: dict[str, str] = {name: spec.unit for name, spec in MEASURES.items()}
SIDED_MEASURES = frozenset(name for name, spec in MEASURES.items() if spec.bilateral)
SCREENING_OUTCOMES = ("randomized", "excluded", "declined")
EFNS_CATEGORIES = ("definite", "probable", "possible")
GM1_STATUSES = ("positive", "negative", "unknown")
INFUSION_ACTIONS = ("baseline", "reduce", "hold", "restore", "rescue")
AE_RELATED = ("study_drug", "ivig", "none")
AE_ACTIONS = ("none", "interrupted", "discontinued")
CONMED_CATEGORIES = ("allowed", "prohibited", "warning")
DISPOSITION_STATUSES = ("completed", "ongoing", "withdrawn", "lost_to_follow_up", "died")
# Dispositions that are no early exit: the end of follow-up, or still on study at the data
# cut-off of an interim look at live data ("ongoing", day = the last day on study so far).
STAYED_STATUSES = ("completed", "ongoing")
ONGOING = "ongoing"
_MEASURE_UNIT_SET = tuple(dict.fromkeys(MEASURE_UNITS.values()))
_LAB_UNIT_SET = tuple(dict.fromkeys(LAB_UNITS.values()))
EXTRA_VISITS = ("repeat", "unscheduled")  # visit names allowed besides the protocol's


@dataclass(frozen=True)
class Column:
    """One column: name (unit in the name), dtype, nullability, allowed values, meaning.

    ``minimum`` and ``maximum`` bound a number column (both included); they are the
    plausibility limits of the value's owner (:mod:`mmntrial.measures.ivig`,
    :mod:`mmntrial.measures.limits`), so that a weight of -70 kg or an age of -5 never
    reaches a report. A study day is always within ten years of day 0.
    """

    name: str
    dtype: DType
    description: str
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    unit: str | None = None
    is_day: bool = False  # a study day, checked against the protocol's day range
    minimum: float | None = None
    maximum: float | None = None
    identifier: bool = False  # typed by people: one printable line (identifiers module)

    def __post_init__(self) -> None:
        if self.is_day:
            object.__setattr__(self, "minimum", float(-STUDY_DAY_LIMIT))
            object.__setattr__(self, "maximum", float(STUDY_DAY_LIMIT))

    @property
    def range_text(self) -> str:
        """The bounds in words, ``''`` when there are none.

        >>> table_spec("subjects").column("age_years").range_text
        'from 0 to 120'
        """
        if self.minimum is None and self.maximum is None:
            return ""
        if self.maximum is None:
            return f"at least {self.minimum:g}"
        if self.minimum is None:
            return f"at most {self.maximum:g}"
        return f"from {self.minimum:g} to {self.maximum:g}"


@dataclass(frozen=True)
class Table:
    """One table of the dataset: its columns in file order, and what one row is."""

    name: str
    row: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in file order.

        >>> TABLES[0].column_names[:3]
        ('screening_id', 'site', 'screening_day')
        """
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError if there is none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _c(name: str, dtype: DType, description: str, **kw: Any) -> Column:
    return Column(name, dtype, description, **kw)


_SUBJECT = _c("subject_id", "str", "randomized subject; must be in subjects", identifier=True)
_WEIGHT = {"minimum": MIN_WEIGHT_KG, "maximum": MAX_WEIGHT_KG}
# The dose ceiling per row is 3 g/kg of that row's weight; this is its largest value.
_DOSE = {"minimum": 0.0, "maximum": MAX_DOSE_G_PER_KG * MAX_WEIGHT_KG}
_INTERVAL = {"minimum": 1, "maximum": MAX_INTERVAL_DAYS}

TABLES: tuple[Table, ...] = (
    Table(
        "screening",
        "one row per screened person",
        (
            _c("screening_id", "str", "screening number, unique", identifier=True),
            _c("site", "str", "site (centre) code", identifier=True),
            _c("screening_day", "int", "study day of screening (<= 0)", unit="day", is_day=True),
            _c("outcome", "str", "what became of the screened person", allowed=SCREENING_OUTCOMES),
            _c("reason", "str", "why; required when excluded or declined", nullable=True),
            _c(
                "subject_id",
                "str",
                "required when randomized, else null",
                nullable=True,
                identifier=True,
            ),
        ),
    ),
    Table(
        "subjects",
        "one row per randomized subject",
        (
            _c("subject_id", "str", "subject identifier, unique", identifier=True),
            _c("site", "str", "site (centre) code", identifier=True),
            _c("arm", "str", "an arm name of the protocol"),
            _c("kit_code", "str", "blinded kit / allocation code", identifier=True),
            _c(
                "age_years",
                "float",
                "age at randomization",
                unit="years",
                minimum=MIN_AGE_YEARS,
                maximum=MAX_AGE_YEARS,
            ),
            _c("sex", "str", "sex", allowed=("F", "M")),
            _c("weight_kg", "float", "body weight at randomization", unit="kg", **_WEIGHT),
            _c(
                "efns_category",
                "str",
                "EFNS/PNS 2010 diagnostic category",
                allowed=EFNS_CATEGORIES,
            ),
            _c("anti_gm1_status", "str", "anti-GM1 IgM at baseline", allowed=GM1_STATUSES),
            _c(
                "baseline_dose_g",
                "float",
                "IVIg dose per infusion before day 0, at most 3 g/kg",
                unit="g",
                **_DOSE,
            ),
            _c(
                "baseline_interval_days",
                "int",
                "IVIg interval before day 0",
                unit="days",
                **_INTERVAL,
            ),
            _c(
                "baseline_intensity_g_per_kg_week",
                "float",
                "mean intensity of the protocol's last pre-randomization infusions",
                unit="g/kg/week",
                minimum=0.0,
            ),
        ),
    ),
    Table(
        "infusions",
        "one row per IVIg/SCIG infusion, before and after day 0",
        (
            _SUBJECT,
            _c("day", "int", "study day of the infusion", unit="day", is_day=True),
            _c("dose_g", "float", "dose given, at most 3 g/kg of weight_kg", unit="g", **_DOSE),
            _c("weight_kg", "float", "weight the dose was calculated on", unit="kg", **_WEIGHT),
            _c(
                "interval_days",
                "int",
                "prescribed days until the next infusion",
                unit="days",
                **_INTERVAL,
            ),
            _c("product", "str", "product name"),
            _c("route", "str", "IV (IVIg) or SC (SCIG)", allowed=("IV", "SC")),
            _c(
                "action",
                "str",
                "the engine's action label for day >= 0",
                nullable=True,
                allowed=INFUSION_ACTIONS,
            ),
            _c("level", "int", "taper level index (0 = baseline)", nullable=True, minimum=0),
        ),
    ),
    Table(
        "assessments",
        "one row per measured value",
        (
            _SUBJECT,
            _c("visit", "str", "a visit name of the protocol, 'repeat' or 'unscheduled'"),
            _c("day", "int", "study day of the assessment", unit="day", is_day=True),
            _c("measure", "str", "a catalogue measure", allowed=tuple(MEASURE_UNITS)),
            _c(
                "side",
                "str",
                "left/right for grip_kpa and grip_jamar_kg only, else null",
                nullable=True,
                allowed=("left", "right"),
            ),
            _c("value", "float", "the measured value, in the unit column's unit, on its scale"),
            _c("unit", "str", "the catalogue unit of the measure", allowed=_MEASURE_UNIT_SET),
        ),
    ),
    Table(
        "deteriorations",
        "one row per confirmed deterioration episode",
        (
            _SUBJECT,
            _c("day_detected", "int", "day the drop was first seen", unit="day", is_day=True),
            _c("day_confirmed", "int", "day the drop was confirmed", unit="day", is_day=True),
            _c("criteria", "str", "comma-separated fired criteria, e.g. 'grip_kpa:left,mrc_sum'"),
            _c("severe", "bool", "a rescue criterion fired"),
            _c("level_before", "int", "taper level before the episode", minimum=0),
            _c("level_after", "int", "taper level after the episode", minimum=0),
            _c(
                "at_baseline",
                "bool",
                "confirmed at the full baseline dose: the disease, not a taper failure",
            ),
        ),
    ),
    Table(
        "adverse_events",
        "one row per adverse event",
        (
            _SUBJECT,
            _c("ae_id", "str", "adverse event identifier", identifier=True),
            _c("term", "str", "event term"),
            _c("day_onset", "int", "study day of onset", unit="day", is_day=True),
            _c("day_resolved", "int", "study day resolved", nullable=True, unit="day", is_day=True),
            _c("grade", "int", "CTCAE v5 grade, 1 to 5", allowed=("1", "2", "3", "4", "5")),
            _c("serious", "bool", "serious adverse event"),
            _c("related_to", "str", "attributed cause", allowed=AE_RELATED),
            _c("action_taken", "str", "action with the study drug", allowed=AE_ACTIONS),
        ),
    ),
    Table(
        "labs",
        "one row per laboratory value",
        (
            _SUBJECT,
            _c("day", "int", "study day of the sample", unit="day", is_day=True),
            _c("test", "str", "laboratory test", allowed=tuple(LAB_UNITS)),
            _c("value", "float", "the result, in the unit column's unit", minimum=0.0),
            _c(
                "unit",
                "str",
                "the test's one unit (the table below)",
                allowed=_LAB_UNIT_SET,
            ),
            _c(
                "lln",
                "float",
                "the lab's lower limit of normal, in the unit column's unit",
                nullable=True,
                minimum=0.0,
            ),
            _c(
                "uln",
                "float",
                "the lab's upper limit of normal, in the unit column's unit",
                nullable=True,
                minimum=0.0,
            ),
            _c("grade", "int", "CTCAE v5 grade", nullable=True, minimum=0, maximum=5),
        ),
    ),
    Table(
        "conmeds",
        "one row per concomitant medication",
        (
            _SUBJECT,
            _c("medication", "str", "medication name"),
            _c("start_day", "int", "study day started", unit="day", is_day=True),
            _c("end_day", "int", "study day stopped", nullable=True, unit="day", is_day=True),
            _c(
                "category",
                "str",
                "protocol category of the medication",
                allowed=CONMED_CATEGORIES,
            ),
        ),
    ),
    Table(
        "dispositions",
        "one row per randomized subject",
        (
            _SUBJECT,
            _c(
                "status",
                "str",
                "how the subject left the study, or ongoing: still in it at the data cut-off",
                allowed=DISPOSITION_STATUSES,
            ),
            _c("day", "int", "last day on study (so far, when ongoing)", unit="day", is_day=True),
            _c("reason", "str", "required unless completed or ongoing", nullable=True),
        ),
    ),
)

TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)
SOURCES = ("simulated", "captured")

# dataset.json: field, type, description.
META_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("schema_version", "str", f'schema version, "{SCHEMA_VERSION}"'),
    ("protocol", "str", "the protocol name"),
    ("source", "str", "simulated | captured"),
    ("created_utc", "str", "ISO-8601 creation time (UTC)"),
    ("software_version", "str", "mmntrial version that wrote it"),
    ("seed", "int (null)", "simulation seed, null for captured data"),
    ("notes", "str", "free text"),
    (
        "protocol_sha256",
        "str (optional)",
        "content hash of the protocol the data were collected or simulated under: "
        "`mmntrial.simulate.provenance.protocol_hash` (SHA-256 of the protocol as parsed, "
        "so comments and key order do not count); `analyze` refuses a protocol with "
        "another hash, and checks only the name when this is absent",
    ),
    (
        "provenance",
        "object (optional)",
        "how a simulated dataset was made (protocol and population with their hashes, "
        "seed, trial, n per arm, effect, version; docs/simulation.md); "
        "`mmntrial reproduce DIR` re-simulates it",
    ),
)
OPTIONAL_META_FIELDS = frozenset({"protocol_sha256", "provenance"})
"""Fields of ``dataset.json`` that may be absent (datasets written before they existed);
absent, they are not written either."""


def table_spec(name: str) -> Table:
    """The schema of the table called ``name``.

    >>> table_spec("dispositions").row
    'one row per randomized subject'
    """
    for table in TABLES:
        if table.name == name:
            return table
    raise KeyError(f"no table {name!r}; tables are {', '.join(TABLE_NAMES)}")


@dataclass(frozen=True)
class DatasetMeta:
    """The fields of ``dataset.json``.

    >>> DatasetMeta(protocol="piepers-2007", source="simulated",
    ...             created_utc="2025-01-01T00:00:00Z", software_version="0.1", seed=7).seed
    7
    """

    protocol: str
    source: str
    created_utc: str
    software_version: str
    seed: int | None = None
    notes: str = ""
    schema_version: str = SCHEMA_VERSION
    protocol_sha256: str | None = None
    provenance: dict[str, Any] | None = None

    def to_json_dict(self) -> dict[str, object]:
        """The metadata as the JSON object written to ``dataset.json`` (an optional
        field left at None is left out)."""
        return {
            name: getattr(self, name)
            for name, _, _ in META_FIELDS
            if not (name in OPTIONAL_META_FIELDS and getattr(self, name) is None)
        }


@dataclass(frozen=True, eq=False)
class Dataset:
    """A whole trial dataset: one DataFrame per table, plus metadata; validated on creation.

    Construction raises :class:`~mmntrial.errors.DatasetError` listing every problem.
    The checks that need the protocol (arm names, visit names, day range) use
    ``protocol`` if given, else the built-in protocol named in ``meta.protocol``; a
    dataset of a protocol that is neither is refused (pass the Protocol). The frames are
    not copied: treat them as read-only. :meth:`from_frames` first converts compatible
    dtypes (int to float, whole floats to int, ...) and is the easy way to build one.
    """

    meta: DatasetMeta
    screening: pd.DataFrame
    subjects: pd.DataFrame
    infusions: pd.DataFrame
    assessments: pd.DataFrame
    deteriorations: pd.DataFrame
    adverse_events: pd.DataFrame
    labs: pd.DataFrame
    conmeds: pd.DataFrame
    dispositions: pd.DataFrame
    protocol: InitVar[Protocol | None] = None

    def __post_init__(self, protocol: Protocol | None) -> None:
        from mmntrial.dataset.checks import validate  # checks imports this module

        validate(self, protocol)

    def table(self, name: str) -> pd.DataFrame:
        """The DataFrame of the table called ``name``."""
        table_spec(name)
        frame: pd.DataFrame = getattr(self, name)
        return frame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name, in schema order."""
        return {name: self.table(name) for name in TABLE_NAMES}

    @classmethod
    def from_frames(
        cls,
        meta: DatasetMeta,
        frames: dict[str, pd.DataFrame],
        protocol: Protocol | None = None,
    ) -> Dataset:
        """A Dataset from frames whose dtypes may be loose; converts, then validates.

        A missing table becomes an empty one. Values that cannot be converted are left
        as they are, so validation reports them with their row.
        """
        from mmntrial.dataset.convert import coerce_table

        converted = {
            name: coerce_table(name, frames.get(name, empty_table(name))) for name in TABLE_NAMES
        }
        unknown = sorted(set(frames) - set(TABLE_NAMES))
        if unknown:
            from mmntrial.errors import DatasetError

            raise DatasetError(
                f"dataset: got unknown table(s) {', '.join(unknown)}; expected only "
                f"{', '.join(TABLE_NAMES)}"
            )
        return cls(meta=meta, protocol=protocol, **converted)


def pandas_dtype(column: Column) -> str:
    """The pandas dtype a column is held in.

    >>> pandas_dtype(table_spec("infusions").column("level"))
    'Int64'
    """
    if column.dtype == "int":
        return "Int64" if column.nullable else "int64"
    return {"str": "object", "float": "float64", "bool": "bool"}[column.dtype]


def empty_table(name: str) -> pd.DataFrame:
    """An empty DataFrame with the table's columns and dtypes.

    >>> list(empty_table("dispositions").columns)
    ['subject_id', 'status', 'day', 'reason']
    """
    spec = table_spec(name)
    return pd.DataFrame({c.name: pd.Series([], dtype=pandas_dtype(c)) for c in spec.columns})


__all__ = [
    "DAY_MARGIN_DAYS",
    "DISPOSITION_STATUSES",
    "LAB_UNITS",
    "MEASURE_UNITS",
    "META_FIELDS",
    "ONGOING",
    "OPTIONAL_META_FIELDS",
    "SCHEMA_VERSION",
    "SIDED_MEASURES",
    "STAYED_STATUSES",
    "TABLES",
    "TABLE_NAMES",
    "Column",
    "Dataset",
    "DatasetMeta",
    "Table",
    "empty_table",
    "pandas_dtype",
    "schema_markdown",
    "table_spec",
    "validate",
]


def validate(dataset: Dataset, protocol: Protocol | None = None) -> None:
    """Raise DatasetError listing every problem of ``dataset`` (see docs/dataset.md).

    Re-exported from :mod:`mmntrial.dataset.checks`.
    """
    from mmntrial.dataset.checks import validate as _validate

    _validate(dataset, protocol)


def schema_markdown() -> str:
    """The schema as Markdown: the text of ``docs/dataset.md``.

    >>> schema_markdown().splitlines()[0]
    '# The trial dataset (schema version 2)'
    """
    from mmntrial.dataset.markdown import render

    return render()


if __name__ == "__main__":
    sys.stdout.write(schema_markdown())

"""Render the dataset schema as Markdown: the source of ``docs/dataset.md``."""

from __future__ import annotations

from mmntrial.dataset.schema import (
    DAY_MARGIN_DAYS,
    LAB_UNITS,
    MEASURE_UNITS,
    META_FIELDS,
    SCHEMA_VERSION,
    SIDED_MEASURES,
    TABLES,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    """The schema as Markdown (``schema.schema_markdown`` calls this).

    >>> "## subjects" in render()
    True
    """
    lines = [
        f"# The trial dataset (schema version {SCHEMA_VERSION})",
        "",
        "<!-- Generated from src/mmntrial/dataset/schema.py; do not edit. Regenerate with:",
        "     uv run python -m mmntrial.dataset.schema > docs/dataset.md -->",
        "",
        "A dataset is the contract between the simulator, the capture app and the analysis:",
        "a directory holding one file per table, all Parquet (`<table>.parquet`) or all CSV",
        "(`<table>.csv`), plus `dataset.json` (metadata). Days are integer study days",
        "(day 0 = randomization). Column names carry units.",
        "",
        "## dataset.json",
        "",
        "| field | type | description |",
        "|---|---|---|",
    ]
    lines += [f"| `{n}` | {t} | {_cell(d)} |" for n, t, d in META_FIELDS]
    for table in TABLES:
        lines += [
            "",
            f"## {table.name}",
            "",
            f"{table.row[0].upper()}{table.row[1:]}.",
            "",
            "| column | type | null | allowed values | unit | description |",
            "|---|---|---|---|---|---|",
        ]
        for col in table.columns:
            allowed = ", ".join(f"`{a}`" for a in col.allowed) if col.allowed else ""
            if col.range_text:
                allowed = col.range_text
            if col.identifier:
                allowed = "one printable line, no control characters"
            lines.append(
                f"| `{col.name}` | {col.dtype} | {'yes' if col.nullable else 'no'} | "
                f"{allowed} | {col.unit or ''} | {_cell(col.description)} |"
            )
    lines += [
        "",
        "## Measures and units",
        "",
        "| measure | unit | per side |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{m}` | {u} | {'yes' if m in SIDED_MEASURES else 'no'} |"
        for m, u in MEASURE_UNITS.items()
    ]
    lines += ["", "| lab test | unit |", "|---|---|"]
    lines += [f"| `{t}` | {u} |" for t, u in LAB_UNITS.items()]
    lines += [
        "",
        "## Back through the engine",
        "",
        "`mmntrial.dataset.histories.dataset_histories(dataset)` turns each subject's infusions,",
        "assessments and disposition (a subject neither `completed` nor `ongoing` is withdrawn",
        "on its day) into the history `mmntrial.engine.replay.replay` reads: the protocol",
        "engine judges a trial's own",
        "records with the code that decided a simulated trial's doses. A test replays simulated",
        "datasets of every built-in protocol and checks that the engine recommends exactly the",
        "doses given and that its primary endpoint agrees with the analysis'.",
        "",
        "## Validation on load",
        "",
        "Each of these is an error (`mmntrial.errors.DatasetError`) naming the table, the",
        "row (0-based; for CSV also the file line) and the problem. All problems are",
        "reported at once; the listing stops after 20 and says how many more there are.",
        "",
        "- a missing or extra column, or a missing or extra table file;",
        "- a wrong dtype, or a null in a column that is not nullable;",
        '- a value outside its allowed set or range (the table\'s "allowed values"); an',
        "  infinity; a dose above 3 g/kg of the row's weight; a measured value off its",
        "  measure's scale (the catalogue's range); an identifier (subject, site, screening,",
        "  kit, adverse event) that is not one printable line of at most 64 characters;",
        "- two infusions of one subject on one day, or two values of one measure (and",
        "  side) of one subject on one day: the later row is named with the first;",
        "- a unit that does not match the measure (assessments) or the test (labs);",
        "- a lab's `lln` at or above its `uln` (labs);",
        "- `side` missing for a sided measure, or given for another measure;",
        "- `reason` missing when a screening outcome is excluded/declined, or a",
        "  disposition is neither completed nor ongoing; `subject_id` missing when",
        "  randomized, or given",
        "  when not; `screening_day` after day 0;",
        "- a duplicate `subject_id` in subjects or dispositions, or `screening_id` in",
        "  screening;",
        "- a `subject_id` in any table that is not in subjects, a subject without a",
        "  disposition, a subject without a randomized screening row;",
        "- an arm that is not an arm of the protocol, a visit that is not a visit of the",
        "  protocol (or `repeat`, `unscheduled`);",
        f"- a study day outside [min screening day, last visit day + {DAY_MARGIN_DAYS}],",
        "  and always one more than ten years (3653 days) from day 0;",
        f'- `dataset.json`: a schema version other than "{SCHEMA_VERSION}", an unknown',
        "  source, a `created_utc` that is not ISO-8601, a missing or extra field.",
        "",
    ]
    return "\n".join(lines)


__all__ = ["render"]

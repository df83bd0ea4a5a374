"""Read patient histories from a CSV file: one row per infusion, measured value or withdrawal.

Columns (a header row is required; column order is free; extra columns are refused)::

    subject        patient identifier
    day            study day (integer; day 0 = randomization, infusions before it = baseline)
    kind           infusion | assessment | withdrawal
    measure        assessment: a catalogue measure (mrc_sum, grip_kpa, gnds_upper ...)
    side           assessment of a two-sided measure (grip): left | right; else empty
    value          infusion: dose in grams; assessment: the measured value
    unit           infusion: g; assessment: the measure's unit (points, kPa, grade ...)
    interval_days  infusion: prescribed days until the next infusion
    weight_kg      infusion: body weight the dose was calculated on
    product        infusion: product name (e.g. Kiovig)
    route          infusion: IV | SC
    note           withdrawal: the reason; otherwise free text

Every problem is reported with its line number and column, and all problems in the file
are reported at once. Refused besides values out of range: a row with more fields than
the header (nothing is cut silently), a subject that is not one printable line
(:func:`mmntrial.identifiers.checked_identifier`), a day more than ten years from day 0
(:mod:`mmntrial.measures.limits`), a number that is not finite, and two infusions of one
subject on one day (both lines named: the engine cannot choose between two doses).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

from mmntrial.errors import HistoryError, MeasureError
from mmntrial.identifiers import identifier_problem
from mmntrial.inputs import limit_text, read_bounded
from mmntrial.measures.catalogue import check_value, measure_spec, series_key
from mmntrial.measures.history import Assessment, PatientHistory
from mmntrial.measures.ivig import Infusion
from mmntrial.measures.limits import study_day_problem

COLUMNS = (
    "subject",
    "day",
    "kind",
    "measure",
    "side",
    "value",
    "unit",
    "interval_days",
    "weight_kg",
    "product",
    "route",
    "note",
)
KINDS = ("infusion", "assessment", "withdrawal")
MAX_HISTORY_BYTES = 64 * 1024 * 1024
"""The largest history file read: 64 MiB, about half a million rows."""
MAX_PROBLEMS_SHOWN = 20


class _Rows:
    """Collects problems so that a file's mistakes are reported together."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, line: int, column: str, message: str) -> None:
        self.problems.append(f"line {line}, column {column}: {message}")

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        more = len(self.problems) - len(shown)
        tail = f"\n  ... and {more} more" if more else ""
        raise HistoryError(
            f"history {self.source}: {len(self.problems)} problem(s)\n  "
            + "\n  ".join(shown)
            + tail
        )


def _integer(rows: _Rows, line: int, column: str, text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        rows.problem(line, column, f"got {text!r}, expected a whole number")
        return None


def _day(rows: _Rows, line: int, text: str) -> int | None:
    day = _integer(rows, line, "day", text)
    problem = None if day is None else study_day_problem(day)
    if problem is not None:
        rows.problem(line, "day", f"got {text!r}, {problem}")
        return None
    return day


def _number(rows: _Rows, line: int, column: str, text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        rows.problem(line, column, f"got {text!r}, expected a finite number")
        return None
    return number


def read_histories(path: str | Path) -> list[PatientHistory]:
    """Read every patient's history from a CSV file, subjects in order of first appearance."""
    file = Path(path)
    source = str(file)
    try:
        content = read_bounded(file, MAX_HISTORY_BYTES)
        if content is None:
            raise HistoryError(f"history {source}: expected {limit_text(MAX_HISTORY_BYTES)}")
        text = content.decode("utf-8-sig")
    except FileNotFoundError:
        raise HistoryError(f"history {source}: no such file") from None
    except UnicodeDecodeError as error:
        raise HistoryError(
            f"history {source}: got byte {error.object[error.start]:#04x} at offset "
            f"{error.start}, expected UTF-8 text (save the file as UTF-8)"
        ) from None
    except OSError as error:
        raise HistoryError(f"history {source}: cannot be read ({error})") from None
    return parse_histories(text.splitlines(), source)


def parse_histories(lines: list[str], source: str = "<text>") -> list[PatientHistory]:
    """Parse history CSV lines (see the module docstring for the columns)."""
    reader = csv.DictReader(lines)
    header = tuple(reader.fieldnames or ())
    missing = [c for c in ("subject", "day", "kind") if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        raise HistoryError(
            f"history {source}: header got {list(header)}, expected the columns "
            f"{', '.join(COLUMNS)} (subject, day and kind required)"
            + (f"; missing {missing}" if missing else "")
            + (f"; unknown {unknown}" if unknown else "")
        )
    rows = _Rows(source)
    infusions: dict[str, list[Infusion]] = defaultdict(list)
    infusion_lines: dict[tuple[str, int], int] = {}
    values: dict[str, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    withdrawals: dict[str, tuple[int, str]] = {}
    order: list[str] = []
    for row in reader:
        line = reader.line_num  # the file's line, blank lines and quoted newlines counted
        extra = row.get(None)  # where DictReader puts the fields beyond the header
        if extra:
            rows.problem(
                line,
                str(len(header) + 1),
                f"got {len(extra)} field(s) beyond the header's {len(header)} ({extra!r}), "
                "expected one field per header column",
            )
            continue
        cell = {c: (row.get(c) or "").strip() for c in COLUMNS}
        subject, kind = cell["subject"], cell["kind"]
        problem = identifier_problem(subject)
        if problem is not None:
            rows.problem(
                line, "subject", f"got {subject!r}, expected a subject identifier ({problem})"
            )
            continue
        if subject not in order:
            order.append(subject)
        day = _day(rows, line, cell["day"])
        if kind not in KINDS:
            rows.problem(line, "kind", f"got {kind!r}, expected one of {', '.join(KINDS)}")
            continue
        if day is None:
            continue
        if kind == "infusion":
            first = infusion_lines.setdefault((subject, day), line)
            if first != line:
                rows.problem(
                    line,
                    "day",
                    f"subject {subject} has a second infusion on day {day} (the first is on "
                    f"line {first}), expected one infusion per day",
                )
                continue
            _read_infusion(rows, line, cell, day, infusions[subject])
        elif kind == "assessment":
            _read_value(rows, line, cell, values[subject][day])
        elif subject in withdrawals:
            rows.problem(line, "kind", f"subject {subject} withdraws twice")
        else:
            withdrawals[subject] = (day, cell["note"])
    rows.raise_if_any()
    if not order:
        raise HistoryError(f"history {source}: no rows; expected at least one patient")
    return [
        PatientHistory(
            subject=subject,
            infusions=tuple(sorted(infusions[subject], key=lambda i: i.day)),
            assessments=tuple(
                Assessment(day, measured) for day, measured in sorted(values[subject].items())
            ),
            withdrawal_day=withdrawals[subject][0] if subject in withdrawals else None,
            withdrawal_reason=withdrawals[subject][1] if subject in withdrawals else "",
        )
        for subject in order
    ]


def _read_infusion(
    rows: _Rows, line: int, cell: dict[str, str], day: int, into: list[Infusion]
) -> None:
    if cell["unit"] not in ("g", ""):
        rows.problem(line, "unit", f"got {cell['unit']!r}, expected 'g' for an infusion dose")
        return
    dose = _number(rows, line, "value", cell["value"])
    interval = _integer(rows, line, "interval_days", cell["interval_days"])
    weight = _number(rows, line, "weight_kg", cell["weight_kg"])
    if dose is None or interval is None or weight is None:
        return
    try:
        into.append(Infusion(day, dose, weight, interval, cell["product"], cell["route"]))  # type: ignore[arg-type]
    except MeasureError as error:
        rows.problem(line, "infusion", str(error))


def _read_value(rows: _Rows, line: int, cell: dict[str, str], into: dict[str, float]) -> None:
    measure, side = cell["measure"], cell["side"]
    try:
        spec = measure_spec(measure)
    except MeasureError as error:
        rows.problem(line, "measure", str(error))
        return
    if spec.bilateral and side not in ("left", "right"):
        rows.problem(line, "side", f"got {side!r}, expected left or right for {measure}")
        return
    if not spec.bilateral and side:
        rows.problem(line, "side", f"got {side!r}, expected empty: {measure} has no sides")
        return
    number = _number(rows, line, "value", cell["value"])
    if number is None:
        return
    try:
        checked = check_value(measure, number, cell["unit"])
    except MeasureError as error:
        rows.problem(line, "value", str(error))
        return
    key = series_key(measure, side or None)
    if key in into:
        rows.problem(line, "measure", f"{key} recorded twice on the same day")
        return
    into[key] = checked


__all__ = ["COLUMNS", "KINDS", "MAX_HISTORY_BYTES", "parse_histories", "read_histories"]

"""Table 1: baseline characteristics by arm, described, never tested.

CONSORT advises against significance tests of baseline differences in a randomized
trial, so the table only describes: means (SD) for roughly symmetric values, medians
(IQR) for doses and scales, counts (%) for categories. Strength and function at
baseline are the last value on or before day 0 (grip averaged over both hands).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from mmntrial.analysis.result import PERCENT

# (column, label, allowed levels) of the categorical rows, in schema order.
_CATEGORIES = (
    ("sex", "Sex", ("F", "M")),
    ("efns_category", "EFNS/PNS diagnostic category", ("definite", "probable", "possible")),
    ("anti_gm1_status", "Anti-GM1 IgM", ("positive", "negative", "unknown")),
)
_LEVEL_NAMES = {"F": "female", "M": "male"}
# Baseline measures shown when the dataset has them: measure, label, summary kind.
_MEASURES = (
    ("mrc_sum", "MRC sum score, points", "mean"),
    ("grip_kpa", "Grip, mean of both hands, kPa", "mean"),
    ("gnds_upper", "GNDS upper limb, grade", "median"),
)
TOTAL = "Total"


def _mean_sd(values: pd.Series) -> str:
    values = values.dropna().astype(float)
    if values.empty:
        return "–"
    sd = float(values.std()) if len(values) > 1 else float("nan")
    sd_text = "–" if np.isnan(sd) else f"{sd:.1f}"
    return f"{float(values.mean()):.1f} ({sd_text})"


def _median_iqr(values: pd.Series, digits: int = 2) -> str:
    values = values.dropna().astype(float)
    if values.empty:
        return "–"
    q1, q2, q3 = (float(values.quantile(q)) for q in (0.25, 0.5, 0.75))
    return f"{q2:.{digits}f} ({q1:.{digits}f} to {q3:.{digits}f})"


def _count(values: pd.Series, level: str) -> str:
    n = int((values.astype(str) == level).sum())
    percent = 100.0 * n / len(values) if len(values) else 0.0
    return f"{n} ({PERCENT.format(percent)})"


def _share(column: str, level: str) -> Callable[[pd.DataFrame], str]:
    """The cell of one category: n (%) of the group's subjects at ``level``."""

    def cell(group: pd.DataFrame) -> str:
        return _count(group[column], level)

    return cell


def _measure_cell(values: pd.Series, kind: str) -> Callable[[pd.DataFrame], str]:
    """The cell of a baseline measure (indexed by subject) for a group of subjects."""

    def cell(group: pd.DataFrame) -> str:
        chosen = values.loc[group["subject_id"]]
        return _mean_sd(chosen) if kind == "mean" else _median_iqr(chosen)

    return cell


def baseline_values(subjects: pd.DataFrame, assessments: pd.DataFrame) -> pd.DataFrame:
    """One row per subject: each baseline measure (last value on or before day 0).

    >>> subjects = pd.DataFrame({"subject_id": ["a"]})
    >>> values = pd.DataFrame({"subject_id": ["a", "a", "a"], "day": [-3, 0, 0],
    ...     "measure": ["mrc_sum", "grip_kpa", "grip_kpa"], "value": [70.0, 50.0, 54.0]})
    >>> baseline_values(subjects, values).loc["a"].to_dict()
    {'mrc_sum': 70.0, 'grip_kpa': 52.0}
    """
    before = assessments[assessments["day"] <= 0]
    # Both hands of one visit share a day: average them, then keep each measure's last day.
    per_day = before.groupby(["subject_id", "measure", "day"], sort=True)["value"].mean()
    last = per_day.groupby(level=["subject_id", "measure"]).last().unstack("measure")
    wanted = [m for m, _, _ in _MEASURES if m in last.columns]
    return last.reindex(index=subjects["subject_id"], columns=wanted)


def baseline_table(
    subjects: pd.DataFrame,
    assessments: pd.DataFrame,
    *,
    arms: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Table 1 as text cells: one row per characteristic, one column per arm and the total.

    Columns are ``characteristic``, ``level`` (0 for a heading or a one-line row, 1 for
    a category under its heading), one per arm (its label) and ``Total``.

    >>> subjects = pd.DataFrame({"subject_id": ["a", "b"], "arm": ["x", "y"],
    ...     "site": ["AMC", "AMC"], "age_years": [50.0, 60.0], "sex": ["F", "M"],
    ...     "weight_kg": [70.0, 80.0], "efns_category": ["definite", "probable"],
    ...     "anti_gm1_status": ["positive", "unknown"], "baseline_dose_g": [35.0, 40.0],
    ...     "baseline_interval_days": [28, 21],
    ...     "baseline_intensity_g_per_kg_week": [0.125, 0.167]})
    >>> empty = pd.DataFrame(columns=["subject_id", "day", "measure", "value"])
    >>> table = baseline_table(subjects, empty, arms=["x", "y"])
    >>> table.set_index("characteristic").loc["Age, years, mean (SD)", ["x", "y", "Total"]].tolist()
    ['50.0 (–)', '60.0 (–)', '55.0 (7.1)']
    """
    measures = baseline_values(subjects, assessments)
    groups: list[tuple[str, pd.DataFrame]] = [
        (labels.get(arm, arm) if labels else arm, subjects[subjects["arm"].astype(str) == arm])
        for arm in arms
    ]
    groups.append((TOTAL, subjects))
    rows: list[dict[str, object]] = []

    def add(label: str, level: int, cell: Callable[[pd.DataFrame], str]) -> None:
        row: dict[str, object] = {"characteristic": label, "level": level}
        row.update({name: cell(group) for name, group in groups})
        rows.append(row)

    def heading(label: str) -> None:
        rows.append({"characteristic": label, "level": 0, **{name: "" for name, _ in groups}})

    add("Subjects, n", 0, lambda g: str(len(g)))
    add("Age, years, mean (SD)", 0, lambda g: _mean_sd(g["age_years"]))
    add("Weight, kg, mean (SD)", 0, lambda g: _mean_sd(g["weight_kg"]))
    for column, title, levels in _CATEGORIES:
        heading(f"{title}, n (%)")
        for value in levels:
            add(_LEVEL_NAMES.get(value, value), 1, _share(column, value))
    heading("Site, n (%)")
    for site in sorted(subjects["site"].astype(str).unique()):
        add(site, 1, _share("site", site))
    # Grams whole, as everywhere in the report (mmntrial.analysis.result.GRAMS).
    add("IVIg dose, g, median (IQR)", 0, lambda g: _median_iqr(g["baseline_dose_g"], 0))
    add(
        "IVIg interval, days, median (IQR)",
        0,
        lambda g: _median_iqr(g["baseline_interval_days"], 0),
    )
    add(
        "IVIg dose intensity, g/kg/week, median (IQR)",
        0,
        lambda g: _median_iqr(g["baseline_intensity_g_per_kg_week"], 3),
    )
    for measure, label, kind in _MEASURES:
        if measure not in measures.columns:
            continue
        suffix = "mean (SD)" if kind == "mean" else "median (IQR)"
        add(f"{label}, {suffix}", 0, _measure_cell(measures[measure], kind))
    return pd.DataFrame(rows)


__all__ = ["TOTAL", "baseline_table", "baseline_values"]

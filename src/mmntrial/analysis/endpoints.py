"""Per-subject endpoints derived from a trial :class:`~mmntrial.dataset.schema.Dataset`.

One function per endpoint; each docstring states its rule. Every function returns a
DataFrame keyed by ``subject_id`` with the subject's ``arm``, one row per subject (or,
for series, per subject and window or side), in the order of the subjects table. The
statistics are in :mod:`mmntrial.analysis.plan`; these functions only derive values.

Days are study days (day 0 = randomization). Intensities are g/kg/week (DOMAIN.md s2):
``dose_g / weight_kg / (interval_days / 7)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mmntrial.analysis.changes import (
    anti_gm1_change,
    change_at_day,
    monthly_values,
    more_affected_hand,
)
from mmntrial.dataset.histories import infusions_by_subject
from mmntrial.dataset.schema import ONGOING, STAYED_STATUSES, Dataset
from mmntrial.engine.endpoints import reaches_primary
from mmntrial.errors import AnalysisError, DatasetError, MeasureError
from mmntrial.measures.ivig import Infusion, baseline_intensity, window_intensity
from mmntrial.measures.ivig_arrays import percent_reduction_array
from mmntrial.protocol.model import Protocol, WithdrawalRule
from mmntrial.units import DAYS_PER_YEAR

WINDOW_DAYS = 28


def subjects_with_arms(dataset: Dataset) -> pd.DataFrame:
    """``subject_id``, ``arm``, last day on study and disposition status, per subject.

    >>> from tests.dataset.factory import make_dataset
    >>> t = subjects_with_arms(make_dataset())
    >>> t.loc[2, "subject_id"], t.loc[2, "status"], int(t.loc[2, "last_day"])
    ('S03', 'withdrawn', 180)
    """
    disp = dataset.dispositions.set_index("subject_id")
    frame = dataset.subjects[["subject_id", "arm"]].copy()
    frame["status"] = frame["subject_id"].map(disp["status"])
    frame["last_day"] = frame["subject_id"].map(disp["day"]).astype("int64")
    return frame.reset_index(drop=True)


def _infusions_by_subject(
    dataset: Dataset, *, regimens_only: bool = False
) -> dict[str, list[Infusion]]:
    """:func:`~mmntrial.dataset.histories.infusions_by_subject`; a bad infusion is an
    AnalysisError, so that the plan reports the analysis it stops as not performed."""
    try:
        return infusions_by_subject(dataset, regimens_only=regimens_only)
    except DatasetError as error:
        raise AnalysisError(str(error)) from None


def baseline_intensities(dataset: Dataset, protocol: Protocol) -> pd.DataFrame:
    """Rule: baseline intensity = mean intensity of the last ``protocol.baseline.n_infusions``
    infusions before day 0 (an infusion on day 0 is on study).

    A subject with too few pre-randomization infusions gets NaN and a ``baseline_note``.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> t = baseline_intensities(make_dataset(), load_protocol("piepers-2007"))
    >>> t["baseline_intensity_g_per_kg_week"].tolist()
    [0.5, 0.5, 0.5, 0.25, 0.5, 0.5]
    """
    frame = subjects_with_arms(dataset)[["subject_id", "arm"]]
    infusions = _infusions_by_subject(dataset)
    values, notes = [], []
    for sid in frame["subject_id"]:
        try:
            values.append(baseline_intensity(infusions[sid], protocol.baseline.n_infusions))
            notes.append("")
        except MeasureError as error:
            values.append(math.nan)
            notes.append(str(error))
    return frame.assign(baseline_intensity_g_per_kg_week=values, baseline_note=notes)


def dose_intensity_over_time(
    dataset: Dataset, protocol: Protocol, window_days: int = WINDOW_DAYS
) -> pd.DataFrame:
    """Rule: intensity per window ``[k * window_days, (k + 1) * window_days)`` from day 0,
    by :func:`~mmntrial.measures.ivig.window_intensity` (each dose spread over its own
    interval), for every whole window inside the subject's time on study (window end
    <= last day on study + 1) and the protocol's follow-up (end <= last visit day + 1).
    ``percent_of_baseline`` is the window intensity over the baseline intensity x 100.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> t = dose_intensity_over_time(make_dataset(), load_protocol("piepers-2007"))
    >>> t[t.subject_id == "S01"]["percent_of_baseline"].tolist()[3:8]
    [100.0, 75.0, 50.0, 25.0, 50.0]
    """
    if window_days < 1:
        raise AnalysisError(f"window_days: got {window_days!r}, expected a whole number >= 1")
    base = baseline_intensities(dataset, protocol)
    subjects = subjects_with_arms(dataset).merge(base, on=["subject_id", "arm"])
    infusions = _infusions_by_subject(dataset)
    rows = []
    columns = ["subject_id", "arm", "last_day", "baseline_intensity_g_per_kg_week"]
    records: list[list[Any]] = subjects[columns].to_numpy(dtype=object).tolist()
    for sid, arm, last_day, baseline in records:
        end_limit = min(int(last_day), protocol.schedule.last_day) + 1
        start = 0
        while start + window_days <= end_limit:
            value = window_intensity(infusions[sid], start, start + window_days)
            rows.append((sid, arm, start, start + window_days, value, 100 * value / baseline))
            start += window_days
    columns = [
        "subject_id",
        "arm",
        "window_start_day",
        "window_end_day",
        "intensity_g_per_kg_week",
        "percent_of_baseline",
    ]
    return pd.DataFrame(rows, columns=columns)


def _regimen_on(infusions: list[Infusion], day: int) -> Infusion | None:
    before = [i for i in infusions if i.day <= day]
    return before[-1] if before else None


def intensity_at_day(dataset: Dataset, protocol: Protocol, day: int | None = None) -> pd.DataFrame:
    """Rule: the intensity in force at ``day`` (default: the primary endpoint day) is that
    of the last infusion on or before the day, ``dose_g / weight_kg / (interval_days/7)``,
    leaving out rescue doses (``action`` = ``rescue``: one-off, they set no regimen);
    ``percent_reduction = 100 x (1 - intensity / baseline intensity)``, rounded as
    :func:`mmntrial.measures.ivig.percent_reduction` rounds it (so that the same regimen
    is the same value, a tie in a rank test).

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> t = intensity_at_day(make_dataset(), load_protocol("piepers-2007"))
    >>> t["percent_reduction"].tolist()
    [50.0, 25.0, 75.0, 50.0, 0.0, 75.0]
    """
    at = protocol.endpoints.primary.day if day is None else int(day)
    return _in_force(dataset, protocol, [at] * len(dataset.subjects)).assign(day=at)


def _in_force(dataset: Dataset, protocol: Protocol, days: list[int]) -> pd.DataFrame:
    """Regimen in force on each subject's own day (one day per subject, in table order)."""
    base = baseline_intensities(dataset, protocol)
    infusions = _infusions_by_subject(dataset, regimens_only=True)
    regimen_days, intensities = [], []
    for sid, at in zip(base["subject_id"], days, strict=True):
        regimen = _regimen_on(infusions[sid], at)
        regimen_days.append(regimen.day if regimen else pd.NA)
        intensities.append(regimen.intensity_g_per_kg_week if regimen else math.nan)
    frame = base.assign(
        regimen_day=pd.array(regimen_days, dtype="Int64"),
        intensity_g_per_kg_week=intensities,
    )
    intensity = frame["intensity_g_per_kg_week"].to_numpy(dtype=np.float64)
    baseline = frame["baseline_intensity_g_per_kg_week"].to_numpy(dtype=np.float64, na_value=np.nan)
    known = np.isfinite(baseline) & (baseline > 0)  # no baseline: no reduction to state
    reduction = np.full(len(frame), np.nan)
    reduction[known] = percent_reduction_array(intensity[known], baseline[known])
    return frame.assign(percent_reduction=reduction)


def primary_endpoint(
    dataset: Dataset, protocol: Protocol, withdrawal: WithdrawalRule | None = None
) -> pd.DataFrame:
    """Rule: reached = percent reduction of the intensity in force at the primary day >=
    ``protocol.endpoints.primary.reduction_percent``. A subject who left the study before
    that day (status not ``completed`` and last day < the primary day) is judged by the
    withdrawal rule (default: the protocol's): ``failure`` = not reached;
    ``last_regimen`` = judged on the regimen in force on the last day on study. A subject
    without a baseline intensity has not reached it (see ``baseline_note``).

    A subject still in the trial at the data cut-off (status ``ongoing``) whose last day
    on study is before the primary day is not yet evaluable (``evaluable`` False): neither
    reached nor failed, with no regimen judged (``percent_reduction`` NaN), and left out
    of the primary test; from the primary day on, an ongoing subject is observed like a
    completed one.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> t = primary_endpoint(make_dataset(), load_protocol("piepers-2007"))
    >>> t["reached"].tolist()
    [True, False, False, True, False, True]
    """
    primary = protocol.endpoints.primary
    rule = primary.withdrawal if withdrawal is None else WithdrawalRule(withdrawal)
    subjects = subjects_with_arms(dataset)
    at_day = intensity_at_day(dataset, protocol)
    before_day = subjects["last_day"] < primary.day
    left_early = ~subjects["status"].isin(STAYED_STATUSES) & before_day
    not_yet = (subjects["status"] == ONGOING) & before_day
    frame = at_day.assign(
        status=subjects["status"].to_numpy(),
        last_day=subjects["last_day"].to_numpy(),
        withdrawn_before_day=left_early.to_numpy(),
        evaluable=(~not_yet).to_numpy(),
        withdrawal_rule=rule.value,
    )
    # The regimen "in force" on a day the subject has not reached yet is no observation.
    frame.loc[not_yet.to_numpy(), "regimen_day"] = pd.NA
    frame.loc[not_yet.to_numpy(), ["intensity_g_per_kg_week", "percent_reduction"]] = math.nan
    if rule is WithdrawalRule.LAST_REGIMEN and left_early.any():
        at_exit = _in_force(dataset, protocol, [int(d) for d in subjects["last_day"]])
        for column in ("regimen_day", "intensity_g_per_kg_week", "percent_reduction"):
            frame.loc[left_early, column] = at_exit.loc[left_early, column]
    reached = reaches_primary(
        primary,
        frame["percent_reduction"].to_numpy(dtype=np.float64, na_value=np.nan),
        frame["withdrawn_before_day"].to_numpy(dtype=bool),
        rule,
    )
    return frame.assign(reached=reached)


def time_to_deterioration(dataset: Dataset, protocol: Protocol) -> pd.DataFrame:
    """Rule: the event day is ``day_detected`` of the subject's first confirmed
    deterioration episode below the baseline dose (the day the drop was first seen;
    confirmation proves it real; an episode at the full baseline dose is the disease,
    not a taper failure); a subject without one is censored at the last day on study
    (disposition day).

    ``protocol`` is taken for a uniform signature; the rule needs only the dataset.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> t = time_to_deterioration(make_dataset(), load_protocol("piepers-2007"))
    >>> t[["time_days", "event"]].values.tolist()
    [[182, True], [152, True], [180, False], [365, False], [122, True], [213, True]]
    """
    del protocol
    subjects = subjects_with_arms(dataset)
    # An episode at the full baseline dose is the disease, not a taper failure.
    failures = dataset.deteriorations[~dataset.deteriorations["at_baseline"].astype(bool)]
    episodes = failures.sort_values(["subject_id", "day_detected"], kind="stable")
    first = episodes.drop_duplicates("subject_id").set_index("subject_id")
    detected = subjects["subject_id"].map(first["day_detected"])
    confirmed = subjects["subject_id"].map(first["day_confirmed"])
    event = detected.notna()
    time = np.where(event, detected.fillna(0), subjects["last_day"]).astype("int64")
    return subjects[["subject_id", "arm"]].assign(
        time_days=time,
        event=event.to_numpy(dtype=bool),
        day_confirmed=confirmed.astype("Int64"),
        last_day=subjects["last_day"],
    )


def ivig_grams_per_year(dataset: Dataset, protocol: Protocol) -> pd.DataFrame:
    """Rule: grams of immunoglobulin given from day 0 to the last day on study (both
    included) divided by the time on study in years (last day / 365.25). A subject with
    no time on study (last day 0) gets NaN.

    ``protocol`` is taken for a uniform signature; the rule needs only the dataset.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> t = ivig_grams_per_year(make_dataset(), load_protocol("piepers-2007"))
    >>> float(t.loc[0, "grams_on_study"]), int(t.loc[0, "days_on_study"])
    (1260.0, 365)
    """
    del protocol
    subjects = subjects_with_arms(dataset)
    infusions = dataset.infusions.merge(subjects[["subject_id", "last_day"]], on="subject_id")
    on_study = infusions[(infusions["day"] >= 0) & (infusions["day"] <= infusions["last_day"])]
    grams = subjects["subject_id"].map(on_study.groupby("subject_id")["dose_g"].sum()).fillna(0.0)
    days = subjects["last_day"]
    years = days.where(days > 0).astype("float64") / DAYS_PER_YEAR
    return subjects[["subject_id", "arm"]].assign(
        grams_on_study=grams.astype("float64"),
        days_on_study=days,
        grams_per_year=grams / years,
    )


__all__ = [
    "WINDOW_DAYS",
    "anti_gm1_change",
    "baseline_intensities",
    "change_at_day",
    "dose_intensity_over_time",
    "intensity_at_day",
    "ivig_grams_per_year",
    "monthly_values",
    "more_affected_hand",
    "primary_endpoint",
    "subjects_with_arms",
    "time_to_deterioration",
]

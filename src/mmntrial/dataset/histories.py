"""A trial dataset's subjects as the engine reads them: infusions, assessments, withdrawal.

This is how a finished (or running) trial's own records go back through the protocol
engine, :func:`mmntrial.engine.replay.replay`: the same code that decided the doses of a
simulated trial judges the real one. A subject who left before the end (disposition not
``completed``) is withdrawn on the disposition day.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from mmntrial.dataset.schema import STAYED_STATUSES, Dataset
from mmntrial.errors import DatasetError, MeasureError
from mmntrial.measures.catalogue import series_key
from mmntrial.measures.history import Assessment, PatientHistory
from mmntrial.measures.ivig import Infusion


def infusions_by_subject(
    dataset: Dataset, *, regimens_only: bool = False
) -> dict[str, list[Infusion]]:
    """Each subject's infusions in day order, every subject of the subjects table a key.

    ``regimens_only`` leaves out rescue doses (``action`` = ``rescue``), which are one-off
    and set no regimen (the endpoint rule of :mod:`mmntrial.engine.endpoints`).
    """
    result: dict[str, list[Infusion]] = {str(sid): [] for sid in dataset.subjects["subject_id"]}
    table = dataset.infusions.sort_values(["subject_id", "day"], kind="stable")
    if regimens_only:
        table = table[table["action"] != "rescue"]
    columns = ["subject_id", "day", "dose_g", "weight_kg", "interval_days", "product", "route"]
    records: list[list[Any]] = table[columns].to_numpy(dtype=object).tolist()
    for sid, day, dose_g, weight_kg, interval_days, product, route in records:
        try:
            infusion = Infusion(
                int(day), float(dose_g), float(weight_kg), int(interval_days), product, route
            )
        except MeasureError as error:
            raise DatasetError(f"infusions: subject {sid} day {day}: {error}") from None
        result[str(sid)].append(infusion)
    return result


def dataset_histories(dataset: Dataset) -> list[PatientHistory]:
    """One history per subject, in the order of the subjects table.

    >>> from tests.dataset.factory import make_dataset
    >>> histories = dataset_histories(make_dataset())
    >>> first = histories[0]
    >>> first.subject, len(first.baseline_infusions), first.assessments[0].values["grip_kpa:left"]
    ('S01', 3, 60.0)
    >>> [h.withdrawal_day for h in histories]
    [None, None, 180, None, None, None]
    """
    infusions = infusions_by_subject(dataset)
    values: dict[str, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    table = dataset.assessments[["subject_id", "day", "measure", "side", "value"]]
    for sid, day, measure, side, value in table.to_numpy(dtype=object).tolist():
        side_name = side if isinstance(side, str) and side else None
        values[str(sid)][int(day)][series_key(str(measure), side_name)] = float(value)
    # An ongoing subject has not left: the history just ends at the data cut-off.
    left = dataset.dispositions[~dataset.dispositions["status"].isin(STAYED_STATUSES)]
    withdrawn = dict(zip(left["subject_id"], left["day"], strict=True))
    reasons = dict(zip(left["subject_id"], left["reason"], strict=True))
    histories = []
    for sid in dataset.subjects["subject_id"].astype(str):
        measured = values.get(sid, {})
        reason = reasons.get(sid)
        histories.append(
            PatientHistory(
                subject=sid,
                infusions=tuple(infusions[sid]),
                assessments=tuple(Assessment(day, measured[day]) for day in sorted(measured)),
                withdrawal_day=int(withdrawn[sid]) if sid in withdrawn else None,
                withdrawal_reason="" if reason is None or pd.isna(reason) else str(reason),
            )
        )
    return histories


__all__ = ["dataset_histories", "infusions_by_subject"]

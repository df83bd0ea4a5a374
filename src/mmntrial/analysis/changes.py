"""Changes in clinical measures from day 0, and the monthly series the mixed models use.

The value "at" a study day is the assessment nearest that day within the window of the
protocol visit scheduled on it (ties: the earlier day; two values on the same day: the
first recorded). Any assessment counts (scheduled, repeat or unscheduled): it is a real
measurement taken in the window. Grip is analysed per hand and for the *more affected
hand*: the hand with the lower value at day 0 (a tie: the left hand, a fixed choice so
that the result never depends on row order).
"""

from __future__ import annotations

import pandas as pd

from mmntrial.dataset.schema import SIDED_MEASURES, Dataset
from mmntrial.errors import AnalysisError
from mmntrial.protocol.model import Protocol
from mmntrial.units import DAYS_PER_MONTH

MORE_AFFECTED = "more_affected"


def _window_days(protocol: Protocol, day: int) -> int:
    for visit in protocol.schedule.visits:
        if visit.day == day:
            return visit.window_days
    days = ", ".join(str(v.day) for v in protocol.schedule.visits)
    raise AnalysisError(
        f"at_day: got {day}, expected the day of a visit of {protocol.name} ({days})"
    )


def _subjects(dataset: Dataset) -> pd.DataFrame:
    return dataset.subjects[["subject_id", "arm"]].reset_index(drop=True)


def value_near(dataset: Dataset, protocol: Protocol, measure: str, day: int) -> pd.DataFrame:
    """The value of ``measure`` nearest ``day`` within its visit window, per subject and side.

    Columns ``subject_id``, ``side`` (``None`` for a measure not taken per side), ``day``,
    ``value``; a subject without a value in the window has no row.
    """
    window = _window_days(protocol, day)
    rows = dataset.assessments[dataset.assessments["measure"] == measure]
    rows = rows.assign(distance=(rows["day"] - day).abs(), order=range(len(rows)))
    rows = rows[rows["distance"] <= window]
    rows = rows.assign(side=rows["side"].fillna(""))
    nearest = rows.sort_values(["subject_id", "side", "distance", "day", "order"])
    nearest = nearest.drop_duplicates(["subject_id", "side"])
    nearest = nearest.assign(side=nearest["side"].replace("", None))
    return nearest[["subject_id", "side", "day", "value"]].reset_index(drop=True)


def more_affected_hand(
    dataset: Dataset, protocol: Protocol, measure: str = "grip_kpa"
) -> pd.DataFrame:
    """Rule: the more affected hand is the one with the lower day-0 value of ``measure``
    (a tie: left; one hand measured: that hand; none: ``None``).

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> more_affected_hand(make_dataset(), load_protocol("piepers-2007"))["hand"].tolist()
    ['right', 'left', 'left', 'left', 'right', 'left']
    """
    if measure not in SIDED_MEASURES:
        raise AnalysisError(
            f"measure: got {measure!r}, expected a measure taken per hand "
            f"({', '.join(sorted(SIDED_MEASURES))})"
        )
    base = value_near(dataset, protocol, measure, 0)
    wide = base.pivot_table(index="subject_id", columns="side", values="value", aggfunc="first")
    left = _subjects(dataset)["subject_id"].map(wide.get("left", pd.Series(dtype=float)))
    right = _subjects(dataset)["subject_id"].map(wide.get("right", pd.Series(dtype=float)))
    hand = pd.Series(None, index=left.index, dtype=object)
    hand[left.notna()] = "left"
    hand[right.notna() & (left.isna() | (right < left))] = "right"
    return _subjects(dataset).assign(hand=hand)


def change_at_day(dataset: Dataset, protocol: Protocol, measure: str, at_day: int) -> pd.DataFrame:
    """Rule: change = value nearest ``at_day`` (within that visit's window) minus value at
    day 0 (within the day-0 visit's window). For grip: one row per hand (``side`` left and
    right) and one for the more affected hand (``side`` ``more_affected``, ``hand`` says
    which). A subject lacking either value has NaN change.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> t = change_at_day(make_dataset(), load_protocol("piepers-2007"), "mrc_sum", 91)
    >>> t["change"].tolist()
    [1.0, 0.0, 1.0, -1.0, 1.0, 0.0]
    """
    subjects = _subjects(dataset)
    before = value_near(dataset, protocol, measure, 0)
    after = value_near(dataset, protocol, measure, at_day)
    sides: list[str | None] = ["left", "right"] if measure in SIDED_MEASURES else [None]
    frames = []
    for side in sides:
        frame = subjects.assign(side=side, hand=side)
        frames.append(_join(frame, before, after, side))
    if measure in SIDED_MEASURES:
        hand = more_affected_hand(dataset, protocol, measure)["hand"]
        left, right = frames
        affected = left.assign(side=MORE_AFFECTED, hand=hand.to_numpy())
        use_right = (hand == "right").to_numpy()
        for column in ("baseline_day", "baseline_value", "followup_day", "followup_value"):
            affected[column] = left[column].where(~use_right, right[column])
            affected.loc[hand.isna().to_numpy(), column] = None
        frames.append(affected)
    result = pd.concat(frames, ignore_index=True)
    result["measure"] = measure
    result["at_day"] = at_day
    result["change"] = result["followup_value"] - result["baseline_value"]
    columns = ["subject_id", "arm", "measure", "side", "hand", "at_day", "baseline_day",
               "baseline_value", "followup_day", "followup_value", "change"]  # fmt: skip
    return result[columns]


def _join(
    frame: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame, side: str | None
) -> pd.DataFrame:
    def pick(values: pd.DataFrame) -> pd.DataFrame:
        chosen = values[values["side"].isna()] if side is None else values[values["side"] == side]
        return chosen.set_index("subject_id")

    b, a = pick(before), pick(after)
    return frame.assign(
        baseline_day=frame["subject_id"].map(b["day"]).astype("Int64"),
        baseline_value=frame["subject_id"].map(b["value"]).astype("float64"),
        followup_day=frame["subject_id"].map(a["day"]).astype("Int64"),
        followup_value=frame["subject_id"].map(a["value"]).astype("float64"),
    )


def anti_gm1_change(
    dataset: Dataset, protocol: Protocol, at_day: int | None = None
) -> pd.DataFrame:
    """Rule: change in log2 anti-GM1 IgM titre (log2 dilution steps; -1 = titre halved)
    from day 0 to ``at_day``: by default the day of the protocol's anti-GM1 secondary
    endpoint, else the last visit (month 12 in piepers-2007). As :func:`change_at_day`.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> anti_gm1_change(make_dataset(), load_protocol("piepers-2007"))["change"].tolist()
    [-1.0, 0.0, nan, 1.0, -1.0, 0.0]
    """
    if at_day is None:
        days = [
            e.at_day
            for e in protocol.endpoints.secondary
            if e.measure == "anti_gm1_log2" and e.at_day is not None
        ]
        at_day = days[0] if days else protocol.schedule.last_day
    return change_at_day(dataset, protocol, "anti_gm1_log2", at_day)


def monthly_values(dataset: Dataset, protocol: Protocol, measure: str) -> pd.DataFrame:
    """Rule: every value of ``measure`` taken at a scheduled protocol visit (repeat and
    unscheduled visits left out, so that confirmation visits do not weigh twice), with
    ``month = day / (365.25 / 12)``. For grip: the more affected hand only.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> t = monthly_values(make_dataset(), load_protocol("piepers-2007"), "mrc_sum")
    >>> len(t), float(t["month"].max()) == 365 / (365.25 / 12)
    (71, True)
    """
    scheduled = {v.name for v in protocol.schedule.visits}
    rows = dataset.assessments
    rows = rows[(rows["measure"] == measure) & rows["visit"].isin(scheduled)]
    if measure in SIDED_MEASURES:
        hands = more_affected_hand(dataset, protocol, measure).set_index("subject_id")["hand"]
        rows = rows[rows["side"] == rows["subject_id"].map(hands)]
    rows = rows.merge(_subjects(dataset), on="subject_id")
    rows = rows.assign(month=rows["day"] / DAYS_PER_MONTH)
    return rows[["subject_id", "arm", "visit", "day", "month", "value"]].reset_index(drop=True)


__all__ = [
    "MORE_AFFECTED",
    "anti_gm1_change",
    "change_at_day",
    "monthly_values",
    "more_affected_hand",
    "value_near",
]

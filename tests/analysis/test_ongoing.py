"""An interim look at live data: an ongoing subject before the primary endpoint day is not
yet evaluable (neither reached nor failed, left out of the primary test); from the day on
it counts as observed.

The factory trial (tests/dataset/factory.py): primary endpoint reached by mmf 1/3 (S01),
placebo 2/3 (S04, S06); S03 (mmf) withdrawn on day 180 counts as a failure. With S03
ongoing on day 180 instead, mmf is 1/2 with S03 left out.
"""

from __future__ import annotations

import math

from mmntrial.analysis.consort import consort_counts
from mmntrial.analysis.endpoints import primary_endpoint
from mmntrial.analysis.plan import run_plan
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.loader import load_protocol
from tests.dataset.factory import make_frames

PROTOCOL = load_protocol("piepers-2007")


def _with(subject: str, status: str, reason: str | None) -> Dataset:
    meta, frames = make_frames()
    dispositions = frames["dispositions"]
    row = dispositions["subject_id"] == subject
    dispositions.loc[row, "status"] = status
    dispositions.loc[row, "reason"] = reason
    return Dataset.from_frames(meta, frames, protocol=PROTOCOL)


def test_ongoing_before_the_day_is_neither_reached_nor_failed() -> None:
    table = primary_endpoint(_with("S03", "ongoing", None), PROTOCOL).set_index("subject_id")
    s03 = table.loc["S03"]
    assert not s03["evaluable"]
    assert not s03["withdrawn_before_day"]
    assert math.isnan(s03["percent_reduction"])
    assert table.drop(index="S03")["evaluable"].all()
    withdrawn = primary_endpoint(_with("S03", "withdrawn", "x"), PROTOCOL).set_index("subject_id")
    assert withdrawn.loc["S03", "evaluable"]
    assert withdrawn.loc["S03", "withdrawn_before_day"]


def test_the_primary_test_leaves_out_the_not_yet_evaluable_and_says_so() -> None:
    ongoing = run_plan(_with("S03", "ongoing", None), PROTOCOL).primary
    assert dict(ongoing.n_per_arm) == {"mmf": 2, "placebo": 3}
    assert ongoing.estimate == 1 / 2 - 2 / 3
    assert (
        "ongoing before day 365, not yet evaluable (neither reached nor failed, left out of "
        "this test): mmf 1, placebo 0"
    ) in ongoing.notes
    failure = run_plan(_with("S03", "withdrawn", "moved away"), PROTOCOL).primary
    assert dict(failure.n_per_arm) == {"mmf": 3, "placebo": 3}
    assert failure.estimate == 1 / 3 - 2 / 3
    assert not any("not yet evaluable" in note for note in failure.notes)


def test_ongoing_from_the_day_on_counts_as_observed() -> None:
    # S01 reached the endpoint by day 365; ongoing on day 365 (a later cut-off of an
    # extension) it is judged exactly as when completed.
    ongoing = primary_endpoint(_with("S01", "ongoing", None), PROTOCOL).set_index("subject_id")
    completed = primary_endpoint(_with("S01", "completed", None), PROTOCOL).set_index("subject_id")
    assert ongoing.loc["S01", "evaluable"]
    assert ongoing.loc["S01", "reached"]
    assert ongoing.loc["S01", "percent_reduction"] == completed.loc["S01", "percent_reduction"]
    assert dict(run_plan(_with("S01", "ongoing", None), PROTOCOL).primary.n_per_arm) == {
        "mmf": 3,
        "placebo": 3,
    }


def test_consort_counts_ongoing_subjects_apart_from_those_who_left() -> None:
    counts = consort_counts(_with("S03", "ongoing", None), PROTOCOL)
    assert dict(counts.ongoing) == {"mmf": 1, "placebo": 0}
    assert dict(counts.withdrawn["mmf"]) == {}
    assert dict(counts.analysed) == {"mmf": 2, "placebo": 3}
    assert "mmf: allocated 3, completed 2, ongoing 1, left early 0, analysed 2" in counts.summary()
    assert dict(consort_counts(_with("S01", "ongoing", None), PROTOCOL).analysed) == {
        "mmf": 3,
        "placebo": 3,
    }

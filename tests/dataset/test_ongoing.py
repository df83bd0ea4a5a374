"""The "ongoing" disposition: a subject still in the trial at the data cut-off."""

from __future__ import annotations

import pytest

from mmntrial.dataset.histories import dataset_histories
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import DatasetError
from mmntrial.protocol.loader import load_protocol
from tests.dataset.factory import make_frames


def _with_disposition(subject: str, status: str, reason: str | None) -> Dataset:
    meta, frames = make_frames()
    dispositions = frames["dispositions"]
    row = dispositions["subject_id"] == subject
    dispositions.loc[row, "status"] = status
    dispositions.loc[row, "reason"] = reason
    return Dataset.from_frames(meta, frames, protocol=load_protocol("piepers-2007"))


def test_an_ongoing_subject_needs_no_reason_and_is_not_withdrawn() -> None:
    # S03 left on day 180 in the factory; here it is still in the trial, cut off on day 180.
    dataset = _with_disposition("S03", "ongoing", None)
    histories = {h.subject: h for h in dataset_histories(dataset)}
    assert histories["S03"].withdrawal_day is None
    withdrawn = {
        h.subject: h for h in dataset_histories(_with_disposition("S03", "withdrawn", "x"))
    }
    assert withdrawn["S03"].withdrawal_day == 180


def test_leaving_early_still_needs_a_reason() -> None:
    with pytest.raises(
        DatasetError, match="got null, expected a reason unless completed or ongoing"
    ):
        _with_disposition("S03", "withdrawn", None)


def test_an_unknown_status_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(DatasetError, match="ongoing"):
        _with_disposition("S03", "active", None)

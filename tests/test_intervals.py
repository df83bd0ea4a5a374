"""Intervals of proportions: one owner, below the analysis and the simulator."""

from __future__ import annotations

import pytest

from mmntrial import intervals
from mmntrial.analysis import binary
from mmntrial.errors import AnalysisError


def test_the_analysis_uses_the_base_layer_interval() -> None:
    assert binary.wilson_interval is intervals.wilson_interval
    assert intervals.__all__ == ["check_count", "check_level", "wilson_interval"]


@pytest.mark.parametrize(("successes", "n"), [(0, 10), (3, 10), (10, 10), (1, 1)])
def test_the_interval_holds_the_proportion_inside_zero_one(successes: int, n: int) -> None:
    low, high = intervals.wilson_interval(successes, n)
    assert 0.0 <= low <= successes / n <= high <= 1.0


def test_an_impossible_count_names_what_was_received() -> None:
    with pytest.raises(AnalysisError, match=r"rejections: got 4 successes out of 3"):
        intervals.check_count("rejections", 4, 3)

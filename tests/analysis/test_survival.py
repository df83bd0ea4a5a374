"""Kaplan-Meier by arm and the log-rank test, on the Freireich 6-MP trial."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats

from mmntrial.analysis import AnalysisError, kaplan_meier, log_rank

Reference = Callable[[str], dict[str, Any]]


def _freireich(
    reference: Reference,
) -> tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray]:
    data = reference("freireich_6mp_leukaemia.json")
    weeks = np.array(data["six_mp"]["weeks"] + data["placebo"]["weeks"], dtype=float)
    relapse = np.array(data["six_mp"]["relapse"] + data["placebo"]["relapse"], dtype=bool)
    arms = np.array(["6-MP"] * 21 + ["placebo"] * 21)
    return data, weeks, relapse, arms


def _log_rank_by_hand(
    weeks: np.ndarray, relapse: np.ndarray, in_first: np.ndarray
) -> tuple[float, float, float]:
    """Observed, expected and hypergeometric variance for the first group, time by time."""
    observed = expected = variance = 0.0
    for t in np.unique(weeks[relapse]):
        at_risk = weeks >= t
        n, n1 = at_risk.sum(), (at_risk & in_first).sum()
        d = (relapse & (weeks == t)).sum()
        d1 = (relapse & (weeks == t) & in_first).sum()
        observed += d1
        expected += d * n1 / n
        if n > 1:
            variance += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return observed, expected, variance


def test_log_rank_against_reference(reference: Reference) -> None:
    data, weeks, relapse, arms = _freireich(reference)
    result = log_rank(weeks, relapse, arms, treatment="6-MP", control="placebo")
    expected = data["log_rank"]
    chi_square = float(result.notes[0].split()[2])
    assert chi_square == pytest.approx(expected["chi_square"], abs=expected["chi_square_tolerance"])
    assert result.p_value == pytest.approx(
        expected["p_value"], rel=expected["p_relative_tolerance"]
    )
    observed, expect, variance = _log_rank_by_hand(weeks, relapse, arms == "6-MP")
    published = data["observed_expected"]
    assert [observed, expect] == pytest.approx(published["six_mp"], abs=published["tolerance"])
    # 30 relapses in all: the placebo arm has the rest of the observed and expected.
    others = [30 - observed, 30 - expect]
    assert others == pytest.approx(published["placebo"], abs=published["tolerance"])
    by_hand = (observed - expect) ** 2 / variance
    assert by_hand == pytest.approx(expected["chi_square"], abs=expected["chi_square_tolerance"])
    assert result.p_value == pytest.approx(float(stats.chi2.sf(by_hand, 1)), rel=1e-9)


def test_cox_hazard_ratio_against_reference(reference: Reference) -> None:
    data, weeks, relapse, arms = _freireich(reference)
    result = log_rank(weeks, relapse, arms, treatment="6-MP", control="placebo")
    cox = data["cox_efron"]
    assert math.log(result.estimate) == pytest.approx(cox["coefficient"], abs=cox["tolerance"])
    z = float(stats.norm.ppf(0.975))
    se = (math.log(result.ci_high) - math.log(result.ci_low)) / (2 * z)
    assert se == pytest.approx(cox["se"], abs=cox["tolerance"])
    assert result.estimate_label == "hazard ratio (Cox, Efron ties), 6-MP vs placebo"


def test_kaplan_meier_against_reference(reference: Reference) -> None:
    data, weeks, relapse, arms = _freireich(reference)
    curves = kaplan_meier(weeks, relapse, arms, arms=["6-MP", "placebo"])
    km = data["kaplan_meier_six_mp"]
    six_mp = curves["6-MP"]
    for week, at_risk, survival in zip(km["weeks"], km["at_risk"], km["survival"], strict=True):
        row = int(np.flatnonzero(six_mp.times == week)[0])
        assert six_mp.survival[row] == pytest.approx(survival, abs=km["tolerance"])
        assert six_mp.at_risk[row] == at_risk
    assert six_mp.median == data["median_weeks"]["six_mp"]
    assert curves["placebo"].median == data["median_weeks"]["placebo"]
    assert (six_mp.n, six_mp.events) == (21, 9)


def test_kaplan_meier_band_against_reference(reference: Reference) -> None:
    # The log(-log) band, from the Greenwood variance written out here: exp(-exp(c +- z s))
    # with c = log(-log S) and s = sqrt(sum d / (n (n - d))) / |log S|.
    data, weeks, relapse, arms = _freireich(reference)
    six_mp = kaplan_meier(weeks, relapse, arms, arms=["6-MP", "placebo"])["6-MP"]
    km = data["kaplan_meier_six_mp"]
    z = float(stats.norm.ppf(0.975))
    greenwood = 0.0
    deaths = [3, 1, 1, 1, 1, 1, 1]
    for week, n, d, survival, se in zip(
        km["weeks"], km["at_risk"], deaths, km["survival"], km["greenwood_se"], strict=True
    ):
        greenwood += d / (n * (n - d))
        assert survival * math.sqrt(greenwood) == pytest.approx(se, abs=km["tolerance"])
        exact_survival = six_mp.survival[int(np.flatnonzero(six_mp.times == week)[0])]
        spread = z * math.sqrt(greenwood) / abs(math.log(exact_survival))
        centre = math.log(-math.log(exact_survival))
        row = int(np.flatnonzero(six_mp.times == week)[0])
        assert six_mp.ci_low[row] == pytest.approx(math.exp(-math.exp(centre + spread)), rel=1e-9)
        assert six_mp.ci_high[row] == pytest.approx(math.exp(-math.exp(centre - spread)), rel=1e-9)


def test_median_interval_is_where_the_band_crosses_one_half(reference: Reference) -> None:
    _, weeks, relapse, arms = _freireich(reference)
    for curve in kaplan_meier(weeks, relapse, arms, arms=["6-MP", "placebo"]).values():
        low, high = curve.median_ci
        below_low = curve.times[curve.ci_low <= 0.5]
        below_high = curve.times[curve.ci_high <= 0.5]
        assert low == (below_low[0] if len(below_low) else math.inf)
        assert high == (below_high[0] if len(below_high) else math.inf)
        assert low <= curve.median <= high


def test_no_event_in_one_arm_leaves_the_hazard_ratio_not_estimable() -> None:
    result = log_rank(
        [5, 8, 12, 3, 4, 6],
        [False, False, False, True, True, True],
        ["MMF"] * 3 + ["placebo"] * 3,
        treatment="MMF",
        control="placebo",
    )
    assert math.isnan(result.estimate)
    assert "not estimable" in result.notes[-1]
    assert 0 < result.p_value < 0.1
    assert "NA (95% CI NA to NA" in result.summary()


def test_curve_frame_has_one_row_per_time(reference: Reference) -> None:
    _, weeks, relapse, arms = _freireich(reference)
    frame = kaplan_meier(weeks, relapse, arms, arms=["6-MP", "placebo"])["placebo"].to_frame()
    assert list(frame.columns) == ["time", "survival", "ci_low", "ci_high", "at_risk"]
    assert frame["time"].iloc[0] == 0.0
    assert frame["survival"].iloc[-1] == 0.0


def test_no_events_at_all_is_refused() -> None:
    with pytest.raises(AnalysisError, match="got no event among 4 subjects"):
        log_rank([1, 2, 3, 4], [0, 0, 0, 0], ["a", "a", "b", "b"], treatment="a", control="b")


def test_negative_duration_is_refused() -> None:
    with pytest.raises(AnalysisError, match="durations: got -2, expected times >= 0"):
        kaplan_meier([1, -2, 3], [1, 1, 0], ["a", "b", "b"], arms=["a", "b"])


def test_event_flags_must_match_durations() -> None:
    with pytest.raises(
        AnalysisError, match=r"events: got 2 flags, expected one per duration \(3\)"
    ):
        kaplan_meier([1, 2, 3], [1, 1], ["a", "b", "b"], arms=["a", "b"])


def test_fewer_than_two_arms_is_refused() -> None:
    with pytest.raises(AnalysisError, match="expected at least two distinct arm labels"):
        kaplan_meier([1, 2, 3], [1, 1, 0], ["a", "a", "a"], arms=["a"])

"""The result object: text, DataFrame and HTML from the same numbers."""

from __future__ import annotations

import dataclasses
import math

import pytest

import mmntrial.analysis
from mmntrial.analysis import AnalysisError, TestResult, compare_proportions_counts


def _result(**changes: object) -> TestResult:
    fields: dict[str, object] = {
        "name": "Primary <endpoint> & more",
        "test": "Fisher's exact test (two-sided)",
        "estimate": 0.2,
        "estimate_label": "risk difference, MMF - placebo",
        "ci_low": 0.0524,
        "ci_high": 0.3339,
        "ci_level": 0.95,
        "p_value": 0.01252,
        "n_per_arm": {"MMF": 70, "placebo": 80},
        "interval_method": "Newcombe hybrid score",
        "notes": ("responders: <b>56</b>/70",),
    }
    fields.update(changes)
    return TestResult(**fields)  # type: ignore[arg-type]


def test_summary_holds_estimate_interval_p_and_arms() -> None:
    text = _result().summary()
    assert "risk difference, MMF - placebo 0.200" in text
    assert "95% CI 0.052 to 0.334, Newcombe hybrid score" in text
    assert "p = 0.0125" in text
    assert "n MMF 70, placebo 80" in text
    assert "note: responders: <b>56</b>/70" in text


def test_small_p_is_printed_as_a_bound() -> None:
    assert "p < 0.0001" in _result(p_value=3e-7).summary()


def test_frame_holds_the_same_numbers() -> None:
    row = _result().to_frame().iloc[0]
    assert row["estimate"] == 0.2
    assert (row["ci_low"], row["ci_high"], row["p_value"]) == (0.0524, 0.3339, 0.01252)
    assert (row["n[MMF]"], row["n[placebo]"]) == (70, 80)
    assert row["notes"] == "responders: <b>56</b>/70"


def test_html_escapes_every_text() -> None:
    page = _result().to_html()
    assert "<endpoint>" not in page
    assert "<b>" not in page
    assert "Primary &lt;endpoint&gt; &amp; more" in page
    assert "responders: &lt;b&gt;56&lt;/b&gt;/70" in page
    assert "Fisher&#x27;s exact test" in page
    assert "0.200" in page
    assert "0.0125" in page


def test_result_is_frozen_and_owns_its_arm_counts() -> None:
    counts = {"MMF": 70, "placebo": 80}
    result = _result(n_per_arm=counts)
    counts["MMF"] = 1
    assert result.n_per_arm["MMF"] == 70
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.estimate = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.n_per_arm["MMF"] = 3  # type: ignore[index]


def test_missing_numbers_render_as_na() -> None:
    text = _result(estimate=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=math.nan).summary()
    assert "MMF - placebo NA (95% CI NA to NA" in text
    assert "p = NA" in text


@pytest.mark.parametrize(("field", "value"), [("ci_level", 1.5), ("p_value", 1.2)])
def test_impossible_values_are_refused(field: str, value: float) -> None:
    with pytest.raises(AnalysisError, match=f"{field}: got {value}"):
        _result(**{field: value})


def test_a_real_result_renders_its_own_numbers() -> None:
    result = compare_proportions_counts(56, 70, 48, 80, treatment="MMF", control="placebo")
    assert f"{result.ci_low:.3f} to {result.ci_high:.3f}" in result.summary()
    assert result.to_frame().loc[0, "p_value"] == result.p_value


def test_public_api_is_pinned() -> None:
    assert sorted(mmntrial.analysis.__all__) == [
        "AnalysisError",
        "KaplanMeierCurve",
        "ModelFitError",
        "SafetySummary",
        "ShiftEstimate",
        "TestResult",
        "ancova",
        "compare_proportions",
        "compare_proportions_counts",
        "compare_ranks",
        "hodges_lehmann_location",
        "hodges_lehmann_shift",
        "kaplan_meier",
        "log2_titre_change",
        "log_rank",
        "mixed_model",
        "newcombe_interval",
        "safety_summary",
        "signed_rank",
        "wilson_interval",
    ]
    for name in mmntrial.analysis.__all__:
        assert hasattr(mmntrial.analysis, name)

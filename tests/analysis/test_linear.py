"""ANCOVA and the random-intercept mixed model, against direct least squares."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import stats

from mmntrial.analysis import AnalysisError, ModelFitError, ancova, mixed_model


def _trial(
    rng: np.random.Generator, n_per_arm: int, effect: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.str_]]:
    baseline = rng.normal(60, 8, 2 * n_per_arm)
    arms = np.array(["MMF"] * n_per_arm + ["placebo"] * n_per_arm)
    followup = 10 + 0.8 * baseline + effect * (arms == "MMF") + rng.normal(0, 3, 2 * n_per_arm)
    return followup, baseline, arms


def test_ancova_against_reference() -> None:
    # Reference: ordinary least squares written out with numpy, t interval from scipy.
    rng = np.random.default_rng(11)
    followup, baseline, arms = _trial(rng, 12, effect=2.0)
    result = ancova(followup, baseline, arms, treatment="MMF", control="placebo", level=0.9)
    design = np.column_stack([np.ones(24), arms == "MMF", baseline]).astype(float)
    change = followup - baseline
    beta, *_ = np.linalg.lstsq(design, change, rcond=None)
    residual = change - design @ beta
    df = 24 - 3
    variance = residual @ residual / df * np.linalg.inv(design.T @ design)
    se = float(np.sqrt(variance[1, 1]))
    t = float(stats.t.ppf(0.95, df))
    assert result.estimate == pytest.approx(beta[1], rel=1e-10)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (beta[1] - t * se, beta[1] + t * se), rel=1e-10
    )
    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(beta[1] / se), df), rel=1e-8)
    assert dict(result.n_per_arm) == {"MMF": 12, "placebo": 12}


def test_ancova_effect_on_change_equals_effect_on_followup() -> None:
    rng = np.random.default_rng(5)
    followup, baseline, arms = _trial(rng, 15, effect=1.0)
    design = np.column_stack([np.ones(30), arms == "MMF", baseline]).astype(float)
    beta_followup, *_ = np.linalg.lstsq(design, followup, rcond=None)
    result = ancova(followup, baseline, arms, treatment="MMF", control="placebo")
    assert result.estimate == pytest.approx(beta_followup[1], rel=1e-10)


def test_ancova_recovers_a_known_effect() -> None:
    rng = np.random.default_rng(2024)
    followup, baseline, arms = _trial(rng, 2000, effect=5.0)
    result = ancova(followup, baseline, arms, treatment="MMF", control="placebo")
    assert result.ci_low < 5.0 < result.ci_high
    assert result.estimate == pytest.approx(5.0, abs=0.3)
    assert result.p_value < 1e-10


def test_ancova_refuses_a_constant_baseline() -> None:
    with pytest.raises(ModelFitError, match="singular"):
        ancova(
            [1.0, 2.0, 3.0, 4.0, 5.0],
            [3.0] * 5,
            ["a", "a", "b", "b", "b"],
            treatment="a",
            control="b",
        )


def test_ancova_refuses_too_few_subjects() -> None:
    with pytest.raises(AnalysisError, match="got 3 subjects, expected at least 4"):
        ancova([1.0, 2.0, 3.0], [1.0, 2.5, 2.0], ["a", "b", "b"], treatment="a", control="b")


def test_ancova_refuses_missing_baseline() -> None:
    with pytest.raises(AnalysisError, match=r"baseline: got 1 missing"):
        ancova(
            [1.0, 2.0, 3.0, 4.0],
            [1.0, None, 2.0, 3.0],
            ["a", "a", "b", "b"],
            treatment="a",
            control="b",
        )


def test_ancova_refuses_unequal_lengths() -> None:
    with pytest.raises(AnalysisError, match="different lengths"):
        ancova(
            [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0], ["a", "a", "b", "b"], treatment="a", control="b"
        )


def _monthly(
    rng: np.random.Generator,
    n_per_arm: int,
    months: int,
    slope_difference: float,
    subject_sd: float = 4.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.str_]]:
    n = 2 * n_per_arm
    subjects = np.repeat(np.arange(n), months + 1)
    month = np.tile(np.arange(months + 1, dtype=float), n)
    arms = np.where(subjects < n_per_arm, "MMF", "placebo")
    slope = -0.8 + slope_difference * (arms == "MMF")
    value = (
        90
        + rng.normal(0, subject_sd, n)[subjects]
        + slope * month
        + rng.normal(0, 1.5, len(subjects))
    )
    return value, month, subjects, arms


def test_mixed_model_against_reference() -> None:
    # With every subject seen at the same months, the REML fixed effects equal ordinary
    # least squares, and the arm x month interaction is a within-subject contrast whose
    # standard error is that of a model with one fixed intercept per subject. Both
    # references are computed with numpy here.
    rng = np.random.default_rng(31)
    value, month, subjects, arms = _monthly(rng, 10, 6, slope_difference=0.5)
    result = mixed_model(value, month, subjects, arms, treatment="MMF", control="placebo")
    treated = (arms == "MMF").astype(float)
    pooled = np.column_stack([np.ones(len(value)), treated, month, treated * month])
    beta, *_ = np.linalg.lstsq(pooled, value, rcond=None)
    dummies = (subjects[:, None] == np.arange(20)[None, :]).astype(float)
    within = np.column_stack([dummies, month, treated * month])
    gamma, *_ = np.linalg.lstsq(within, value, rcond=None)
    residual = value - within @ gamma
    df = len(value) - within.shape[1]
    covariance = residual @ residual / df * np.linalg.inv(within.T @ within)
    se = float(np.sqrt(covariance[-1, -1]))
    assert result.estimate == pytest.approx(beta[3], rel=1e-6)
    assert result.estimate == pytest.approx(gamma[-1], rel=1e-6)
    z = float(stats.norm.ppf(0.975))
    assert result.ci_high - result.ci_low == pytest.approx(2 * z * se, rel=1e-4)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(gamma[-1] / se)), rel=1e-3)
    assert dict(result.n_per_arm) == {"MMF": 10, "placebo": 10}


def test_mixed_model_recovers_a_known_slope_difference() -> None:
    rng = np.random.default_rng(77)
    value, month, subjects, arms = _monthly(rng, 150, 12, slope_difference=0.6)
    keep = rng.random(len(value)) > 0.15  # missed visits: the model uses what is there
    result = mixed_model(
        value[keep], month[keep], subjects[keep], arms[keep], treatment="MMF", control="placebo"
    )
    assert result.ci_low < 0.6 < result.ci_high
    assert result.estimate == pytest.approx(0.6, abs=0.05)
    assert "random-intercept SD" in result.notes[1]


def test_mixed_model_without_interaction_reports_the_arm_difference() -> None:
    rng = np.random.default_rng(8)
    value, month, subjects, arms = _monthly(rng, 200, 3, slope_difference=0.0)
    value = value + 3.0 * (arms == "MMF")
    result = mixed_model(
        value, month, subjects, arms, treatment="MMF", control="placebo", interaction=False
    )
    assert result.estimate_label == "difference in mean level, MMF - placebo"
    assert result.ci_low < 3.0 < result.ci_high


def test_mixed_model_notes_a_variance_on_the_boundary() -> None:
    # Noise centred within each subject leaves no between-subject variation: REML puts
    # the random-intercept variance at zero and statsmodels warns; the warning becomes a
    # note instead of escaping.
    rng = np.random.default_rng(7)
    subjects = np.repeat(np.arange(20), 4)
    month = np.tile(np.arange(4, dtype=float), 20)
    arms = np.where(subjects < 10, "MMF", "placebo")
    noise = rng.normal(0, 1, (20, 4))
    noise -= noise.mean(axis=1, keepdims=True)
    value = 90 - 0.5 * month * (arms == "placebo") + noise.ravel()
    result = mixed_model(value, month, subjects, arms, treatment="MMF", control="placebo")
    assert any(note.startswith("fit warning:") for note in result.notes)
    assert "random-intercept SD 0.0" in result.notes[1]


def test_mixed_model_refuses_a_subject_in_two_arms() -> None:
    with pytest.raises(AnalysisError, match="subject 1 got arms 'a' and 'b'"):
        mixed_model(
            [1.0, 2.0, 3.0, 4.0],
            [0.0, 1.0, 0.0, 1.0],
            [1, 1, 2, 2],
            ["a", "b", "b", "b"],
            treatment="a",
            control="b",
        )


def test_mixed_model_refuses_one_subject_per_arm() -> None:
    with pytest.raises(AnalysisError, match="arm 'a' has 1 subject"):
        mixed_model(
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            [0.0, 1.0] * 3,
            [1, 1, 2, 2, 3, 3],
            ["a", "a", "b", "b", "b", "b"],
            treatment="a",
            control="b",
        )


def test_mixed_model_refuses_a_single_month() -> None:
    with pytest.raises(AnalysisError, match="month: got a single month 3"):
        mixed_model(
            [1.0, 2.0, 3.0, 4.0],
            [3.0] * 4,
            [1, 2, 3, 4],
            ["a", "a", "b", "b"],
            treatment="a",
            control="b",
        )

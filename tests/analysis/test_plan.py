"""The analysis plan on the factory dataset, and on degenerate data."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

from mmntrial.analysis.consort import consort_counts
from mmntrial.analysis.plan import PlanResults, run_plan
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import AnalysisError
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol
from tests.dataset.factory import make_dataset, make_frames

TESTS = {
    "mrc_sum_change_month3": "ANCOVA on baseline (t-test)",
    "grip_change_month3": "ANCOVA on baseline (t-test)",
    "gnds_upper_change_month3": "ANCOVA on baseline (t-test)",
    "anti_gm1_change_month12": "Mann-Whitney U",
    "time_to_deterioration": "log-rank test",
    "ivig_grams_per_year": "Mann-Whitney U",
}


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol("piepers-2007")


@pytest.fixture(scope="module")
def results(protocol: Protocol) -> PlanResults:
    return run_plan(make_dataset(), protocol)


def test_direction_is_study_drug_versus_control(results: PlanResults) -> None:
    assert (results.treatment, results.control) == ("mmf", "placebo")
    assert "mmf (study drug: mycophenolate mofetil) versus placebo (control)" in results.direction
    for _, result in results.results():
        assert list(result.n_per_arm) == ["mmf", "placebo"]
        assert "mmf - placebo" in result.estimate_label or "mmf vs placebo" in result.estimate_label


def test_primary(results: PlanResults) -> None:
    primary = results.primary
    # Responders mmf 1/3 (S01), placebo 2/3 (S04, S06): difference -1/3; Fisher p = 1.
    assert primary.test == "Fisher's exact test (two-sided)"
    assert primary.interval_method == "Newcombe hybrid score"
    assert primary.estimate == pytest.approx(-1 / 3)
    assert primary.p_value == pytest.approx(1.0)
    assert dict(primary.n_per_arm) == {"mmf": 3, "placebo": 3}
    assert "withdrawal before day 365 (failure rule): mmf 1, placebo 0" in primary.notes


def test_percent_reduction(results: PlanResults) -> None:
    r = results.percent_reduction
    # mmf 50, 75, 0; placebo 25, 50, 75: the 9 pairwise differences have median 0.
    assert r.test.startswith("Mann-Whitney U")
    assert r.estimate_label == "Hodges-Lehmann shift, mmf - placebo"
    assert r.estimate == 0.0
    assert dict(r.n_per_arm) == {"mmf": 3, "placebo": 3}


def test_secondary_follow_the_protocol(results: PlanResults, protocol: Protocol) -> None:
    names = [r.name for r in results.secondary]
    assert names == [e.name for e in protocol.endpoints.secondary]
    for result in results.secondary:
        assert result.test.startswith(TESTS[result.name]), result.name
        assert not result.test.endswith("(not performed)")
    by_name = {r.name: r for r in results.secondary}
    # Anti-GM1: S03 has no month-12 value, so mmf has 2.
    assert dict(by_name["anti_gm1_change_month12"].n_per_arm) == {"mmf": 2, "placebo": 3}
    assert any("Wilcoxon rank-sum" in n for n in by_name["anti_gm1_change_month12"].notes)
    # Anti-GM1 changes mmf -1, -1; placebo 0, 1, 0: every pairwise difference is
    # -1 or -2, median -1.
    assert by_name["anti_gm1_change_month12"].estimate == -1.0
    for name in ("mrc_sum_change_month3", "grip_change_month3", "time_to_deterioration"):
        assert dict(by_name[name].n_per_arm) == {"mmf": 3, "placebo": 3}


def test_grip_ancova_uses_the_more_affected_hand(results: PlanResults) -> None:
    grip = next(r for r in results.secondary if r.name == "grip_change_month3")
    assert "more affected hand: the hand with the lower day-0 value" in grip.notes
    table = results.endpoints.set_index("subject_id")
    assert table["grip_change_month3"].tolist() == [3.0, -1.0, -1.0, 1.0, 3.0, 3.0]
    assert table["grip_change_month3_left"].tolist() == [2.0, -1.0, -1.0, 1.0, 0.0, 3.0]


def test_mixed_models(results: PlanResults) -> None:
    names = [r.name for r in results.mixed_models]
    assert names == ["mrc_sum_monthly", "grip_kpa_more_affected_monthly"]
    for result in results.mixed_models:
        assert result.test == "linear mixed model, random intercept (Wald z-test)"
        assert dict(result.n_per_arm) == {"mmf": 3, "placebo": 3}
        assert math.isfinite(result.estimate)


def test_km_safety_consort_and_endpoints(results: PlanResults) -> None:
    assert list(results.km) == ["mmf", "placebo"]
    assert (results.km["mmf"].events, results.km["placebo"].events) == (2, 2)
    assert results.safety is not None
    assert len(results.safety.serious_listing) == 1  # S06 pneumonia
    consort = results.consort
    assert (consort.assessed, consort.randomized) == (8, 6)
    assert dict(consort.excluded) == {
        "declined to participate: travel burden": 1,
        "not eligible: neutropenia": 1,
    }
    assert dict(consort.completed) == {"mmf": 2, "placebo": 3}
    assert dict(consort.withdrawn["mmf"]) == {"withdrawn: adverse event (leukopenia)": 1}
    assert dict(consort.withdrawn["placebo"]) == {}
    assert dict(consort.analysed) == {"mmf": 3, "placebo": 3}
    assert results.endpoints["subject_id"].tolist() == ["S01", "S02", "S03", "S04", "S05", "S06"]
    assert results.endpoints["reached"].tolist() == [True, False, False, True, False, True]
    assert results.dose_intensity["window_end_day"].max() == 364


def test_to_frame_has_one_row_per_result(results: PlanResults) -> None:
    frame = results.to_frame()
    assert len(frame) == 2 + 6 + 3 + 2
    assert frame["section"].tolist()[:3] == ["primary", "supportive", "secondary"]
    assert frame["section"].tolist()[-5:-2] == ["sensitivity"] * 3
    secondary = frame[frame["section"] == "secondary"]
    assert (secondary["adjusted_p"].dropna() >= secondary["p_value"].dropna()).all()
    assert set(frame["treatment"]) == {"mmf"}
    assert set(frame["control"]) == {"placebo"}
    assert (frame["n[mmf]"] >= 2).all()


def test_no_deteriorations_gives_notes_not_errors(protocol: Protocol) -> None:
    results = run_plan(make_dataset(deteriorations=False), protocol)
    survival = next(r for r in results.secondary if r.name == "time_to_deterioration")
    assert survival.test == "log-rank test (not performed)"
    assert math.isnan(survival.p_value)
    assert math.isnan(survival.estimate)
    assert "not performed: no confirmed deterioration in either arm" in survival.notes
    assert dict(survival.n_per_arm) == {"mmf": 3, "placebo": 3}
    assert results.km["mmf"].events == 0
    assert math.isinf(results.km["mmf"].median)
    assert not results.to_frame().empty


def _constant_mrc(protocol: Protocol) -> Dataset:
    meta, frames = make_frames()
    rows = frames["assessments"]["measure"] == "mrc_sum"
    frames["assessments"].loc[rows, "value"] = 90.0
    return Dataset.from_frames(meta, frames, protocol=protocol)


def test_all_equal_values_give_notes_not_errors(protocol: Protocol) -> None:
    results = run_plan(_constant_mrc(protocol), protocol)
    mrc = next(r for r in results.secondary if r.name == "mrc_sum_change_month3")
    assert mrc.test == "ANCOVA on baseline (not performed)"
    assert "not performed: every subject's change is 0" in mrc.notes
    monthly = results.mixed_models[0]
    assert monthly.test == "linear mixed model (not performed)"
    assert "not performed: every value equals 90: no variation" in monthly.notes
    # Grip still varies: its model runs.
    assert results.mixed_models[1].test.startswith("linear mixed model, random intercept")


def test_one_subject_per_arm_gives_notes(protocol: Protocol) -> None:
    meta, frames = make_frames()
    keep = {"S01", "S02"}
    for name, frame in frames.items():
        if "subject_id" in frame and name != "screening":
            frames[name] = frame[frame["subject_id"].isin(keep)].reset_index(drop=True)
    screening = frames["screening"]
    gone = screening["subject_id"].notna() & ~screening["subject_id"].isin(keep)
    frames["screening"] = screening[~gone].reset_index(drop=True)
    results = run_plan(Dataset.from_frames(meta, frames, protocol=protocol), protocol)
    assert results.primary.test == "Fisher's exact test (two-sided)"
    for result in (*results.secondary[:3], *results.mixed_models):
        assert result.test.endswith("(not performed)"), result.name
        assert dict(result.n_per_arm) == {"mmf": 1, "placebo": 1}


def test_empty_arm_gives_notes(protocol: Protocol) -> None:
    meta, frames = make_frames()
    frames["subjects"]["arm"] = "mmf"
    results = run_plan(Dataset.from_frames(meta, frames, protocol=protocol), protocol)
    assert results.primary.test == "Fisher's exact test (not performed)"
    assert dict(results.primary.n_per_arm) == {"mmf": 6, "placebo": 0}
    assert results.km == {}
    assert any(n.startswith("Kaplan-Meier curves not computed") for n in results.notes)
    assert results.safety is None


def test_plan_refuses_a_dataset_of_another_protocol(protocol: Protocol) -> None:
    with pytest.raises(AnalysisError, match="expected 'other'"):
        run_plan(make_dataset(), replace(protocol, name="other"))


def test_consort_counts_lost_and_died(protocol: Protocol) -> None:
    meta, frames = make_frames()
    disp = frames["dispositions"]
    disp.loc[1, ["status", "day", "reason"]] = ["lost_to_follow_up", 200, "moved abroad"]
    disp.loc[3, ["status", "day", "reason"]] = ["died", 250, "myocardial infarction"]
    counts = consort_counts(Dataset.from_frames(meta, frames, protocol=protocol), protocol)
    assert dict(counts.withdrawn["placebo"]) == {
        "died: myocardial infarction": 1,
        "lost_to_follow_up: moved abroad": 1,
    }
    assert counts.withdrawn_total("placebo") == 2
    assert dict(counts.completed) == {"mmf": 2, "placebo": 1}
    assert isinstance(counts.summary(), str)
    assert "placebo: allocated 3" in counts.summary()


def test_results_are_frozen(results: PlanResults) -> None:
    with pytest.raises(AttributeError):
        results.primary = results.percent_reduction  # type: ignore[misc]
    assert isinstance(results.endpoints, pd.DataFrame)

"""The typed summary of a design: attributes, and the JSON and table forms callers print."""

from __future__ import annotations

import dataclasses

import pytest

from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.sweep import make_plan, run_sweep
from mmntrial.simulate.trials import ArmSummary, DesignSummary, run_trials

PROTOCOL = load_protocol("piepers-2007")
POP = load_population("mmn-default")
FIGURES = [
    "proportion_reaching_primary",
    "mean_reduction_pct",
    "median_reduction_pct",
    "ivig_g_per_patient_year",
    "ivig_saved_g_per_patient_year",
    "deteriorations_per_patient",
    "full_dose_episodes_per_patient",
    "weeks_deteriorated_per_patient",
    "dropouts_per_trial",
]


@pytest.fixture(scope="module")
def summary() -> DesignSummary:
    results = run_trials(PROTOCOL, POP, n_trials=6, effect=0.5, seed=4, chunk_trials=3)
    return results.summary()


def test_the_summary_is_frozen_and_names_its_arms_by_role(summary: DesignSummary) -> None:
    assert (summary.drug.arm, summary.control.arm) == ("mmf", "placebo")
    assert [a.arm for a in summary.arms] == ["mmf", "placebo"]
    assert summary.measure == "power"
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.rejection_rate = 1.0  # type: ignore[misc]


def test_to_dict_nests_each_arm_under_its_name(summary: DesignSummary) -> None:
    data = summary.to_dict()
    assert list(data) == [
        "n_trials",
        "effect",
        "seed",
        "measure",
        "rejection_rate",
        "rejection_rate_ci95",
        "rejection_favouring_drug_rate",
        "mmf",
        "placebo",
    ]
    assert list(data["mmf"]) == FIGURES
    assert data["placebo"]["dropouts_per_trial"] == summary.control.dropouts_per_trial


def test_to_row_is_the_flat_row_of_the_simulate_json(summary: DesignSummary) -> None:
    row = summary.to_row()
    head = ["n_trials", "measure", "rejection_rate", "rejection_rate_low", "rejection_rate_high"]
    roles = [f"{role}_{figure}" for role in ("drug", "control") for figure in FIGURES]
    assert list(row) == head + roles
    assert (row["rejection_rate_low"], row["rejection_rate_high"]) == summary.rejection_rate_ci95
    assert row["control_mean_reduction_pct"] == summary.control.mean_reduction_pct
    assert all(type(v) is float for k, v in row.items() if k.startswith(("drug_", "control_")))


def test_an_arm_summary_lists_its_figures_in_order() -> None:
    assert [f.name for f in dataclasses.fields(ArmSummary)] == ["arm", *FIGURES]


def test_the_sweep_table_is_points_settings_then_summaries() -> None:
    plan = make_plan(
        protocol=PROTOCOL, population=POP, axes={"effect": [0.0, 0.5]}, trials=3, seed=2
    )
    result = run_sweep(plan)
    frame = result.to_frame()
    assert list(frame.columns[:2]) == ["point", "effect"]
    assert list(frame.columns[2:]) == list(result.summaries[0].to_row())
    assert frame.to_dict(orient="records") == result.rows()
    assert frame["rejection_rate"].tolist() == [s.rejection_rate for s in result.summaries]
    assert [s.measure for s in result.summaries] == ["type I error", "power"]

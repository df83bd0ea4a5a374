"""Pin the public API of the endpoint and plan modules (STYLE.md 12)."""

from __future__ import annotations

from mmntrial.analysis import consort, endpoints, estimand, multiplicity, plan


def test_plan_exports() -> None:
    assert sorted(plan.__all__) == [
        "MIXED_MODEL_MEASURES",
        "MULTIPLICITY_TEXT",
        "PRIMARY_TEST_TEXT",
        "PlanResults",
        "endpoint_table",
        "plan_statement",
        "primary_conclusion",
        "run_plan",
    ]
    assert sorted(consort.__all__) == ["ConsortCounts", "consort_counts"]


def test_sap_exports() -> None:
    assert sorted(multiplicity.__all__) == [
        "Adjusted",
        "NOT_PERFORMED",
        "NOT_SIGNIFICANT",
        "NOT_TESTED",
        "NO_CLAIM",
        "SIGNIFICANT",
        "adjust",
        "hierarchy_adjusted",
        "holm_adjusted",
    ]
    assert sorted(estimand.__all__) == [
        "BEST_CASE",
        "COMPLETE_CASE",
        "SensitivityRow",
        "WORST_CASE",
        "estimand_text",
        "sensitivity",
    ]


def test_endpoint_exports() -> None:
    assert set(endpoints.__all__) >= {
        "anti_gm1_change",
        "baseline_intensities",
        "change_at_day",
        "dose_intensity_over_time",
        "intensity_at_day",
        "ivig_grams_per_year",
        "monthly_values",
        "primary_endpoint",
        "time_to_deterioration",
    }
    for name in endpoints.__all__:
        assert hasattr(endpoints, name), name

"""The public API of each measures module, pinned: a change here is a deliberate change."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "catalogue": {
        "MEASURES",
        "MeasureSpec",
        "Side",
        "Worse",
        "check_value",
        "convert_value",
        "measure_spec",
        "series_key",
    },
    "mrc": {
        "MRC_MAX_GRADE",
        "Grades",
        "MissingRule",
        "MuscleSet",
        "check_mrc_grade",
        "grades_array",
        "mrc_sum",
        "mrc_sum_array",
        "parse_mrc_grade",
        "protocol_muscle_set",
    },
    "grip": {
        "MAX_TRIALS",
        "GripAssessment",
        "GripInstrument",
        "GripReading",
        "best_grip_array",
        "more_affected_array",
    },
    "disability": {
        "CENTILE_MEASURES",
        "GRADE_MEASURES",
        "check_centile",
        "check_disability",
        "check_grade",
    },
    "ivig": {
        "MAX_DOSE_G_PER_KG",
        "MAX_INTERVAL_DAYS",
        "MAX_WEIGHT_KG",
        "MIN_WEIGHT_KG",
        "REDUCTION_DECIMALS",
        "Infusion",
        "Route",
        "baseline_intensity",
        "check_dose_g",
        "check_interval_days",
        "check_n_infusions",
        "check_weight_kg",
        "check_window",
        "dose_intensity",
        "grams_at_intensity",
        "infusion_intensity",
        "percent_reduction",
        "window_intensity",
    },
    "ivig_arrays": {
        "InfusionArrays",
        "baseline_intensity_array",
        "intensity_array",
        "percent_reduction_array",
        "window_intensity_array",
    },
    "antibodies": {"AntiGm1Titre", "parse_titre", "titre_change_log2"},
    "plausibility": {
        "OTHER_FIELDS",
        "RANGES_FILE",
        "Plausibility",
        "PlausibleRange",
        "Verdict",
        "judge",
        "parse_ranges",
        "plausible_ranges",
    },
    "mrc_form": {"Entry", "MrcForm", "mrc_form"},
    "grip_form": {"GripForm", "grip_form"},
    "history": {"Assessment", "PatientHistory", "repeated_days"},
    "vials": {
        "MAX_TOLERANCE_PERCENT",
        "MAX_VIAL_G",
        "Dispensed",
        "Rounding",
        "SiteVials",
        "dispense",
    },
    "limits": {
        "MAX_AGE_YEARS",
        "MIN_AGE_YEARS",
        "STUDY_DAY_LIMIT",
        "age_problem",
        "study_day_problem",
    },
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_all_is_pinned_and_every_name_exists(module_name: str) -> None:
    module = importlib.import_module(f"mmntrial.measures.{module_name}")
    assert set(module.__all__) == PUBLIC[module_name]
    assert len(module.__all__) == len(set(module.__all__))
    for name in module.__all__:
        assert hasattr(module, name), name


def test_package_docstring_lists_every_module() -> None:
    package = importlib.import_module("mmntrial.measures")
    assert package.__doc__ is not None
    for module_name in PUBLIC:
        assert f"mmntrial.measures.{module_name}`" in package.__doc__

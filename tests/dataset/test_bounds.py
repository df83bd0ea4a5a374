"""A dataset refuses conflicting rows and nonsense values, naming table, row and column."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mmntrial.dataset.schema import Dataset
from mmntrial.errors import DatasetError
from tests.dataset.factory import make_frames


def _error(frames: dict[str, pd.DataFrame]) -> str:
    meta, _ = make_frames()
    with pytest.raises(DatasetError) as caught:
        Dataset.from_frames(meta, frames)
    return str(caught.value)


def test_a_repeated_on_study_infusion_is_refused_naming_both_rows() -> None:
    # Duplicated rows moved IVIg grams per year from 189.5 to 218.3 before.
    _, frames = make_frames()
    infusions = frames["infusions"]
    on_study = infusions[infusions["day"] >= 0].head(3)
    frames["infusions"] = pd.concat([infusions, on_study], ignore_index=True)
    message = _error(frames)
    first = int(on_study.index[0])
    again = len(infusions)
    day = on_study["day"].iloc[0]
    assert (
        f"infusions row {again} (0-based): day: got an infusion again for subject_id 'S01', "
        f"day {day} (first at infusions row {first} (0-based)), expected one per subject_id, day"
    ) in message
    assert "3 problems" in message


def test_two_infusions_with_different_doses_on_one_day_are_refused() -> None:
    _, frames = make_frames()
    extra = frames["infusions"].iloc[[0]].assign(dose_g=120.0)
    frames["infusions"] = pd.concat([frames["infusions"], extra], ignore_index=True)
    assert "got an infusion again for subject_id 'S01'" in _error(frames)


def test_a_repeated_value_of_one_measure_on_one_day_is_refused() -> None:
    _, frames = make_frames()
    extra = frames["assessments"].iloc[[0]].assign(value=1.0)
    frames["assessments"] = pd.concat([frames["assessments"], extra], ignore_index=True)
    assert "side: got a value again for subject_id 'S01'" in _error(frames)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("weight_kg", -70.0, "weight_kg: got -70.0, expected a finite number from 20 to 300"),
        ("weight_kg", math.inf, "weight_kg: got inf, expected a finite number from 20 to 300"),
        ("age_years", -5.0, "age_years: got -5.0, expected a finite number from 0 to 120"),
        ("baseline_dose_g", 1e308, "baseline_dose_g: got 1e+308, expected a finite number"),
        ("subject_id", "S01\n", "subject_id: got 'S01\\n', expected one printable line"),
        ("site", "\x1b[31mA", "site: got '\\x1b[31mA', expected one printable line"),
    ],
)
def test_nonsense_in_subjects_is_refused(column: str, value: object, expected: str) -> None:
    _, frames = make_frames()
    frames["subjects"].loc[0, column] = value
    assert f"subjects row 0 (0-based): {expected}" in _error(frames)


def test_days_ten_years_away_doses_above_3_g_per_kg_and_values_off_scale_are_refused() -> None:
    _, frames = make_frames()
    frames["labs"].loc[0, "day"] = 100_000_000_000
    frames["infusions"].loc[0, "dose_g"] = 400.0  # S01 weighs 70 kg: at most 210 g
    frames["assessments"].loc[0, "value"] = 1e9
    message = _error(frames)
    assert "labs row 0 (0-based): day: got 100000000000, expected a finite number from" in message
    assert "infusions row 0 (0-based): dose_g: got 400.0, expected at most 3 g/kg" in message
    assert "assessments row 0 (0-based): value: got 1000000000.0, expected a" in message

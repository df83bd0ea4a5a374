"""Endpoint values on the factory dataset equal values computed by hand.

The factory (tests/dataset/factory.py) gives every subject infusions every 28 days from
day -84; intensity = dose_g / weight_kg / 4 weeks. Its docstring tabulates the truth.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from mmntrial.analysis import endpoints as ep
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol, WithdrawalRule
from tests.dataset.factory import make_dataset, make_frames

IDS = ["S01", "S02", "S03", "S04", "S05", "S06"]
ARMS = ["mmf", "placebo", "mmf", "placebo", "mmf", "placebo"]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return make_dataset()


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol("piepers-2007")


def with_infusion(protocol: Protocol, **row: object) -> Dataset:
    """The factory dataset with one more infusion (the columns not given copy row 0's)."""
    meta, frames = make_frames()
    extra = frames["infusions"].iloc[[0]].assign(**row)
    frames["infusions"] = pd.concat([frames["infusions"], extra], ignore_index=True)
    return Dataset.from_frames(meta, frames, protocol=protocol)


def test_keyed_by_subject_with_arm(dataset: Dataset, protocol: Protocol) -> None:
    for frame in (
        ep.baseline_intensities(dataset, protocol),
        ep.intensity_at_day(dataset, protocol),
        ep.primary_endpoint(dataset, protocol),
        ep.time_to_deterioration(dataset, protocol),
        ep.ivig_grams_per_year(dataset, protocol),
        ep.anti_gm1_change(dataset, protocol),
    ):
        assert frame["subject_id"].tolist() == IDS
        assert frame["arm"].tolist() == ARMS


def test_baseline_intensity(dataset: Dataset, protocol: Protocol) -> None:
    # Last 3 infusions before day 0 (days -84, -56, -28), all the same regimen:
    # S01 140/70/4 = 0.5; S02 160/80/4 = 0.5; S03 120/60/4 = 0.5; S04 70/70/4 = 0.25;
    # S05 150/75/4 = 0.5; S06 100/50/4 = 0.5.
    table = ep.baseline_intensities(dataset, protocol)
    assert table["baseline_intensity_g_per_kg_week"].tolist() == [0.5, 0.5, 0.5, 0.25, 0.5, 0.5]


def test_baseline_with_too_few_infusions_is_nan_with_a_note(protocol: Protocol) -> None:
    meta, frames = make_frames()
    infusions = frames["infusions"]
    frames["infusions"] = infusions[~((infusions.subject_id == "S02") & (infusions.day == -84))]
    dataset = Dataset.from_frames(meta, frames, protocol=protocol)
    table = ep.baseline_intensities(dataset, protocol)
    assert pd.isna(table.loc[1, "baseline_intensity_g_per_kg_week"])
    assert "found 2 infusions before day 0" in table.loc[1, "baseline_note"]
    assert not ep.primary_endpoint(dataset, protocol).loc[1, "reached"]


def test_dose_intensity_over_time(dataset: Dataset, protocol: Protocol) -> None:
    table = ep.dose_intensity_over_time(dataset, protocol)
    # Windows [0,28) ... [336,364): 13 whole windows by day 365. S03 left on day 180:
    # windows ending <= 181, i.e. up to [140,168): 6 windows.
    counts = table.groupby("subject_id").size()
    assert counts.to_dict() == {"S01": 13, "S02": 13, "S03": 6, "S04": 13, "S05": 13, "S06": 13}
    # S01: 100% to day 112, then 75, 50, 25% (one infusion each), restored to 50%.
    s01 = table[table.subject_id == "S01"]["percent_of_baseline"].tolist()
    assert s01 == [100.0] * 4 + [75.0, 50.0, 25.0] + [50.0] * 6
    # S04 from day 168: 70 g every 56 days = 70/70/8 = 0.125 g/kg/week in every window.
    s04 = table[table.subject_id == "S04"]
    assert s04["intensity_g_per_kg_week"].tolist()[6:] == [0.125] * 7
    # S06 [196,224): the 0 g infusion; its intensity is 0.
    s06 = table[(table.subject_id == "S06") & (table.window_start_day == 196)]
    assert s06["intensity_g_per_kg_week"].tolist() == [0.0]


def test_intensity_and_percent_reduction_at_the_primary_day(
    dataset: Dataset, protocol: Protocol
) -> None:
    table = ep.intensity_at_day(dataset, protocol)
    # Last infusion on or before day 365: day 364 (every 28 days from 0), S04 day 336
    # (every 56 days from 168), S03 day 168 (left on day 180).
    assert table["regimen_day"].tolist() == [364, 364, 168, 336, 364, 364]
    # S01 70 g/70 kg/4 = 0.25; S02 120/80/4 = 0.375; S03 30/60/4 = 0.125;
    # S04 70/70/8 = 0.125; S05 150/75/4 = 0.5; S06 25/50/4 = 0.125.
    assert table["intensity_g_per_kg_week"].tolist() == [0.25, 0.375, 0.125, 0.125, 0.5, 0.125]
    # 100 x (1 - intensity / baseline).
    assert table["percent_reduction"].tolist() == [50.0, 25.0, 75.0, 50.0, 0.0, 75.0]


def test_intensity_at_an_earlier_day(dataset: Dataset, protocol: Protocol) -> None:
    # Day 150: the infusion of day 140 is in force (S04: 35 g at 50%, S05: restored 100%).
    table = ep.intensity_at_day(dataset, protocol, 150)
    assert table["percent_reduction"].tolist() == [50.0, 50.0, 50.0, 50.0, 0.0, 50.0]


def test_primary_endpoint_failure_rule(dataset: Dataset, protocol: Protocol) -> None:
    table = ep.primary_endpoint(dataset, protocol)
    assert protocol.endpoints.primary.withdrawal is WithdrawalRule.FAILURE
    # >= 50%: S01 (50, exactly the threshold), S04 (50), S06 (75). S03 reduced 75% but
    # withdrew on day 180, before day 365: not reached under "failure".
    assert table["withdrawn_before_day"].tolist() == [False, False, True, False, False, False]
    assert table["reached"].tolist() == [True, False, False, True, False, True]


def test_primary_endpoint_last_regimen_rule(dataset: Dataset, protocol: Protocol) -> None:
    table = ep.primary_endpoint(dataset, protocol, WithdrawalRule.LAST_REGIMEN)
    # S03 is judged on the regimen in force on day 180: day 168, 25% = 75% reduction.
    assert table.loc[2, ["regimen_day", "percent_reduction", "reached"]].tolist() == [
        168,
        75.0,
        True,
    ]
    assert table["reached"].tolist() == [True, False, True, True, False, True]


def test_last_regimen_is_the_one_at_withdrawal_not_later(protocol: Protocol) -> None:
    # Give S03 a further infusion after leaving (day 196, 0 g): the rule must not use it.
    dataset = with_infusion(
        protocol, subject_id="S03", day=196, dose_g=0.0, weight_kg=60.0, action="reduce", level=4
    )
    rule = replace(
        protocol,
        endpoints=replace(
            protocol.endpoints,
            primary=replace(protocol.endpoints.primary, withdrawal=WithdrawalRule.LAST_REGIMEN),
        ),
    )
    table = ep.primary_endpoint(dataset, rule)
    assert table.loc[2, ["regimen_day", "percent_reduction"]].tolist() == [168, 75.0]


def test_a_rescue_dose_sets_no_regimen_but_counts_as_given(protocol: Protocol) -> None:
    # S01 gets a one-off 2 g/kg rescue (140 g) on day 350: the regimen in force on day 365
    # is still the day-364 one (50% reduction), and the rescue's grams count as given.
    dataset = with_infusion(
        protocol, subject_id="S01", day=350, dose_g=140.0, weight_kg=70.0, action="rescue", level=2
    )
    at_day = ep.intensity_at_day(dataset, protocol, 355)
    assert at_day.loc[0, ["regimen_day", "percent_reduction"]].tolist() == [336, 50.0]
    assert ep.primary_endpoint(dataset, protocol).loc[0, "reached"]
    assert ep.ivig_grams_per_year(dataset, protocol).loc[0, "grams_on_study"] == 1260.0 + 140.0


def test_time_to_first_confirmed_deterioration(dataset: Dataset, protocol: Protocol) -> None:
    table = ep.time_to_deterioration(dataset, protocol)
    # Events at day_detected of the first episode; S03 censored at 180 (withdrawn),
    # S04 at 365 (completed, no episode).
    assert table["time_days"].tolist() == [182, 152, 180, 365, 122, 213]
    assert table["event"].tolist() == [True, True, False, False, True, True]
    assert table["day_confirmed"].tolist()[:2] == [189, 160]


def test_first_episode_counts(protocol: Protocol) -> None:
    meta, frames = make_frames()
    second = frames["deteriorations"].iloc[[0]].assign(day_detected=300, day_confirmed=305)
    earlier = frames["deteriorations"].iloc[[0]].assign(day_detected=100, day_confirmed=110)
    frames["deteriorations"] = pd.concat([second, frames["deteriorations"], earlier])
    dataset = Dataset.from_frames(meta, frames, protocol=protocol)
    assert ep.time_to_deterioration(dataset, protocol).loc[0, "time_days"] == 100


def test_change_in_mrc_sum_at_month_3(dataset: Dataset, protocol: Protocol) -> None:
    table = ep.change_at_day(dataset, protocol, "mrc_sum", 91)
    # M3 window is 91 +/- 7. S02 has values on day 88 (87) and day 93 (90): day 93 is
    # nearer. S05's M3 is on day 96. Changes: 89-88, 90-90, 81-80, 84-85, 93-92, 78-78.
    assert table["followup_day"].tolist() == [91, 93, 91, 91, 96, 91]
    assert table["change"].tolist() == [1.0, 0.0, 1.0, -1.0, 1.0, 0.0]


def test_change_in_grip_per_hand_and_more_affected(dataset: Dataset, protocol: Protocol) -> None:
    table = ep.change_at_day(dataset, protocol, "grip_kpa", 91).set_index(["side", "subject_id"])
    # Left: 62-60, 49-50, 54-55, 41-40, 66-66, 38-35.
    assert table.loc["left", "change"].tolist() == [2.0, -1.0, -1.0, 1.0, 0.0, 3.0]
    # Right: 48-45, 72-70, 57-55, 50-52, 61-58, 47-47.
    assert table.loc["right", "change"].tolist() == [3.0, 2.0, 2.0, -2.0, 3.0, 0.0]
    # More affected = lower day-0 grip: S01 R (45<60), S02 L (50<70), S03 tie 55=55 -> L,
    # S04 L (40<52), S05 R (58<66), S06 L (35<47).
    affected = table.loc["more_affected"]
    assert affected["hand"].tolist() == ["right", "left", "left", "left", "right", "left"]
    assert affected["change"].tolist() == [3.0, -1.0, -1.0, 1.0, 3.0, 3.0]


def test_change_outside_every_window_is_nan(dataset: Dataset, protocol: Protocol) -> None:
    # Anti-GM1 at day 365 (window 7): S03 withdrew on day 180 and has none.
    table = ep.anti_gm1_change(dataset, protocol)
    # Changes: 7-8, 6-6, missing, 8-7, 4-5, 10-10 log2 steps.
    assert table["change"].fillna(99.0).tolist() == [-1.0, 0.0, 99.0, 1.0, -1.0, 0.0]
    assert table["at_day"].tolist() == [365] * 6


def test_change_at_a_day_without_a_visit(dataset: Dataset, protocol: Protocol) -> None:
    with pytest.raises(ValueError, match="at_day: got 100, expected the day of a visit"):
        ep.change_at_day(dataset, protocol, "mrc_sum", 100)


def test_ivig_grams_per_year(dataset: Dataset, protocol: Protocol) -> None:
    table = ep.ivig_grams_per_year(dataset, protocol)
    # S01, 14 infusions days 0..364: 4 x 140 (to 84) + 105 + 70 + 35 + 7 x 70 (196..364)
    # = 560 + 210 + 490 = 1260 g over 365 days.
    # S03, days 0..168: 4 x 120 + 90 + 60 + 30 = 660 g over 180 days.
    # S04: 4 x 70 + 52.5 + 35 + 4 x 70 (168, 224, 280, 336) = 647.5 g.
    assert table["grams_on_study"].tolist()[:4] == [1260.0, 1800.0, 660.0, 647.5]
    assert table["days_on_study"].tolist() == [365, 365, 180, 365, 365, 365]
    assert table.loc[0, "grams_per_year"] == pytest.approx(1260.0 * 365.25 / 365)
    assert table.loc[2, "grams_per_year"] == pytest.approx(660.0 * 365.25 / 180)


def test_monthly_values_leave_out_repeat_and_unscheduled(
    dataset: Dataset, protocol: Protocol
) -> None:
    table = ep.monthly_values(dataset, protocol, "grip_kpa")
    # 13 scheduled visits x 5 completers + S03's 6 (M0..M5) = 71 values, one hand each.
    assert len(table) == 71
    assert set(table["visit"]) == {v.name for v in protocol.schedule.visits}
    s01 = table[table.subject_id == "S01"]
    assert s01["value"].iloc[0] == 45.0  # the right hand, S01's more affected

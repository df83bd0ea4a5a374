"""IVIg infusion records and dose intensity: hand-computed examples and invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmntrial.errors import MeasureError
from mmntrial.measures.ivig import (
    Infusion,
    Route,
    baseline_intensity,
    infusion_intensity,
    percent_reduction,
    window_intensity,
)

# 40 g / 70 kg / 3 weeks
FORTY_G_EVERY_21_DAYS_AT_70_KG = 40 / 70 / 3


def kiovig(
    day: int, dose_g: float = 40, interval_days: int = 21, weight_kg: float = 70
) -> Infusion:
    """An IV infusion of Kiovig with the reference regimen unless told otherwise."""
    return Infusion(day, dose_g, weight_kg, interval_days, "Kiovig", Route.IV)


# --- one infusion ------------------------------------------------------------------


def test_intensity_of_40_g_every_21_days_at_70_kg() -> None:
    assert infusion_intensity(40, 70, 21) == pytest.approx(0.190476, abs=1e-6)
    assert round(kiovig(0).intensity_g_per_kg_week, 4) == 0.1905
    assert kiovig(0).dose_g_per_kg == pytest.approx(40 / 70)


def test_intensity_of_2_g_per_kg_every_28_days_is_half_a_gram_per_kg_per_week() -> None:
    assert infusion_intensity(140, 70, 28) == pytest.approx(0.5)


def test_infusion_keeps_its_fields_and_coerces_the_route() -> None:
    infusion = Infusion(-7, 10, 70.5, 7, " Hizentra ", "SC")
    assert infusion.route is Route.SC
    assert (infusion.day, infusion.dose_g, infusion.weight_kg, infusion.end_day) == (
        -7,
        10.0,
        70.5,
        0,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("day", 1.5, r"^day: got 1\.5, expected a whole study day$"),
        ("day", True, r"^day: got True, expected a whole study day$"),
        ("dose_g", -1, r"^dose_g: got -1, expected 0 to 210 g \(3 g/kg at 70 kg\)$"),
        ("dose_g", 400, r"^dose_g: got 400, expected 0 to 210 g \(3 g/kg at 70 kg\)$"),
        ("dose_g", math.nan, r"^dose_g: got nan, expected 0 to 210 g"),
        ("weight_kg", 7, r"^weight_kg: got 7, expected a weight from 20 to 300 kg$"),
        ("interval_days", 0, r"^interval_days: got 0, expected whole days from 1 to 365"),
        ("interval_days", 21.5, r"^interval_days: got 21\.5, expected whole days from 1 to 365"),
        ("product", "  ", r"^product: got '  ', expected the product name"),
        ("route", "IM", r"^route: got 'IM', expected 'IV' or 'SC'$"),
    ],
)
def test_infusion_validation_names_field_value_and_expectation(
    field: str, value: object, message: str
) -> None:
    fields: dict[str, object] = {
        "day": 0,
        "dose_g": 40,
        "weight_kg": 70,
        "interval_days": 21,
        "product": "Kiovig",
        "route": "IV",
    }
    fields[field] = value
    with pytest.raises(MeasureError, match=message):
        Infusion(**fields)


# --- windows -----------------------------------------------------------------------


def test_regular_regimen_over_a_window_equals_the_per_infusion_intensity() -> None:
    regimen = [kiovig(d) for d in range(-63, 120, 21)]
    assert window_intensity(regimen, 0, 84) == pytest.approx(FORTY_G_EVERY_21_DAYS_AT_70_KG)


def test_interval_change_inside_the_window() -> None:
    # 40 g on days 0 and 21 (every 21 days), then every 28 days from day 42.
    # Window [0, 56): day 0 and 21 count fully (2 x 40/70); day 42's 28-day interval
    # overlaps 14 days, so half of it counts: 2.5 x 40/70 g/kg over 8 weeks.
    infusions = [kiovig(0), kiovig(21), kiovig(42, interval_days=28)]
    assert window_intensity(infusions, 0, 56) == pytest.approx(2.5 * 40 / 70 / 8)
    assert window_intensity(infusions, 0, 56) == pytest.approx(0.178571, abs=1e-6)


def test_infusion_before_the_window_counts_for_its_overlap_only() -> None:
    # Day -7 with a 21-day interval covers [-7, 14): 14 of its 21 days fall in [0, 14).
    assert window_intensity([kiovig(-7)], 0, 14) == pytest.approx((40 / 70) * 14 / 21 / 2)
    # An infusion whose interval ended before the window, or one after it, adds nothing.
    assert window_intensity([kiovig(-21), kiovig(14)], 0, 14) == 0.0


def test_dose_cut_inside_the_window() -> None:
    # Full dose on day 0, 75% on day 21, window of both intervals: mean of the two.
    infusions = [kiovig(0), kiovig(21, dose_g=30)]
    expected = (40 / 70 + 30 / 70) / 6
    assert window_intensity(infusions, 0, 42) == pytest.approx(expected)


def test_no_infusion_means_zero_intensity() -> None:
    assert window_intensity([], 0, 28) == 0.0


@pytest.mark.parametrize(("start", "end"), [(28, 28), (28, 0), (0.5, 7)])
def test_window_must_be_whole_days_and_non_empty(start: float, end: float) -> None:
    with pytest.raises(MeasureError, match=r"^window: got \[.*\), expected start_day < end_day"):
        window_intensity([kiovig(0)], start, end)


# --- baseline and reduction --------------------------------------------------------


def test_baseline_is_the_mean_of_the_last_three_before_day_0() -> None:
    history = [
        kiovig(-120, dose_g=60),  # too early: not among the last three
        kiovig(-63, dose_g=35),
        kiovig(-42, dose_g=40),
        kiovig(-21, dose_g=45, interval_days=28),
        kiovig(0, dose_g=10),  # day 0 is on study, not baseline
    ]
    expected = (35 / 70 / 3 + 40 / 70 / 3 + 45 / 70 / 4) / 3
    assert baseline_intensity(history, 3) == pytest.approx(expected)
    # Order of the input does not matter.
    assert baseline_intensity(history[::-1], 3) == pytest.approx(expected)


def test_baseline_with_too_few_infusions_says_how_many_were_found() -> None:
    with pytest.raises(
        MeasureError,
        match=(
            r"^baseline intensity: found 2 infusions before day 0 \(days: -42, -21\), "
            r"expected at least 3; record the earlier infusions or lower n_infusions$"
        ),
    ):
        baseline_intensity([kiovig(0), kiovig(-21), kiovig(-42)], 3)
    with pytest.raises(MeasureError, match=r"found 0 infusions before day 0 \(days: none\)"):
        baseline_intensity([], 1)
    with pytest.raises(MeasureError, match=r"^baseline n_infusions: got 0, expected"):
        baseline_intensity([kiovig(-21)], 0)


def test_percent_reduction() -> None:
    assert percent_reduction(0.1, 0.2) == pytest.approx(50.0)
    assert percent_reduction(0.0, 0.2) == pytest.approx(100.0)
    assert percent_reduction(0.3, 0.2) == pytest.approx(-50.0)


@pytest.mark.parametrize(
    ("intensity", "baseline", "message"),
    [
        (0.1, 0.0, r"^baseline_g_per_kg_week: got 0\.0, expected a positive intensity"),
        (0.1, math.inf, r"^baseline_g_per_kg_week: got inf, expected a positive intensity"),
        (-0.1, 0.2, r"^intensity_g_per_kg_week: got -0\.1, expected a finite intensity of 0"),
        (math.nan, 0.2, r"^intensity_g_per_kg_week: got nan, expected a finite intensity"),
    ],
)
def test_percent_reduction_refuses_undefined_inputs(
    intensity: float, baseline: float, message: str
) -> None:
    with pytest.raises(MeasureError, match=message):
        percent_reduction(intensity, baseline)


# --- invariants --------------------------------------------------------------------

doses_g = st.integers(0, 120).map(float)  # at most 3 g/kg at 40 kg
weights_kg = st.integers(40, 150).map(float)
intervals_days = st.integers(1, 60)


@given(
    dose_g=doses_g,
    weight_kg=weights_kg,
    interval_days=intervals_days,
    first_day=st.integers(-200, 0),
    start_day=st.integers(0, 100),
    length_days=st.integers(1, 200),
)
def test_window_intensity_of_a_regular_regimen_equals_per_infusion_intensity(
    dose_g: float,
    weight_kg: float,
    interval_days: int,
    first_day: int,
    start_day: int,
    length_days: int,
) -> None:
    end_day = start_day + length_days
    regimen = [
        Infusion(day, dose_g, weight_kg, interval_days, "Privigen", Route.IV)
        for day in range(first_day, end_day, interval_days)
    ]
    expected = infusion_intensity(dose_g, weight_kg, interval_days)
    assert window_intensity(regimen, start_day, end_day) == pytest.approx(expected, abs=1e-12)


infusions = st.lists(
    st.builds(
        Infusion,
        day=st.integers(-100, 100),
        dose_g=doses_g,
        weight_kg=weights_kg,
        interval_days=intervals_days,
        product=st.just("Gammagard"),
        route=st.sampled_from(Route),
    ),
    max_size=8,
)


@given(infusions, st.integers(-120, 120), st.integers(1, 100), st.integers(1, 100))
def test_splitting_a_window_in_two_keeps_the_length_weighted_intensity(
    given_infusions: list[Infusion], start_day: int, first_days: int, second_days: int
) -> None:
    middle_day = start_day + first_days
    end_day = middle_day + second_days
    whole = window_intensity(given_infusions, start_day, end_day) * (end_day - start_day)
    halves = window_intensity(given_infusions, start_day, middle_day) * first_days
    halves += window_intensity(given_infusions, middle_day, end_day) * second_days
    assert whole == pytest.approx(halves, rel=1e-12, abs=1e-12)


@given(infusions, st.integers(-120, 120), st.integers(1, 100))
def test_window_intensity_is_never_negative_and_bounded_by_the_doses(
    given_infusions: list[Infusion], start_day: int, length_days: int
) -> None:
    intensity = window_intensity(given_infusions, start_day, start_day + length_days)
    total_g_per_kg = sum(i.dose_g_per_kg for i in given_infusions)
    assert 0.0 <= intensity * length_days / 7 <= total_g_per_kg + 1e-12

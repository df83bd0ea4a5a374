"""Does the virtual MMN population reproduce the published facts about the disease?

Run with ``pytest -s tests/calibration`` to see the simulated and target figures.

- [S7] MRC sum falls by 0.6-1.7 points per year on stable maintenance IVIg (5-14 points
  over 8 years). We give 2,000 virtual patients their baseline regimen unchanged for two
  years, measure the MRC sum (with noise) every 30 days and fit a slope per patient.
- [S1] The reference trial (28 patients, MMF vs placebo, no drug effect): 1 of 14 on MMF
  and 0 of 14 on placebo reached a 50% reduction of the IVIg dose; the reduction did
  not differ between arms. Under effect 0 that outcome must be a typical result of the
  simulated trial, not a tail event. "Typical" is defined three ways, each printed:
  (a) the observed total of responders (1) is not in either 10% tail of the simulated
  total (P(total <= 1) >= 0.1 and P(total >= 1) >= 0.1); (b) at most 2 responders in
  each arm in at least half the trials (the reference outcome's neighbourhood); (c) the
  Fisher test finds no difference in at least 95% of trials. Also printed: the
  probability of exactly 1 vs 0 (either arm) and the mean reduction per arm.
"""

from __future__ import annotations

import numpy as np
import pytest

from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials import run_trials
from mmntrial.simulate.trials.disease import Exposure, deficit, measured, true_strength
from mmntrial.simulate.trials.patients import build_patients, draw_trials

PROTOCOL = load_protocol("piepers-2007")
POP = load_population("mmn-default")
MRC_TARGET_POINTS_PER_YEAR = (0.6, 1.7)  # [S7]
N_TRIALS = 2000


def test_mrc_sum_declines_0_6_to_1_7_points_per_year_on_stable_maintenance() -> None:
    draws = draw_trials(PROTOCOL, POP, 500, seed=100, trials=range(2))
    patients = build_patients(PROTOCOL, POP, draws)
    n = patients.n
    model = patients.model()
    exposure = Exposure.steady_state(patients, model, patients.interval_days.copy())
    rng = np.random.default_rng(7)
    zero = np.zeros(n)
    capacity = true_strength(POP, patients, zero, zero).grip_kpa.mean(axis=1)
    days, values = [], []
    for day in range(0, 731):
        due = (day - patients.first_infusion_day) % patients.interval_days == 0
        exposure.add_dose(model, np.where(due, patients.dose_g, 0.0))
        if day % 30 == 0:
            t = np.full(n, float(day))
            strength = true_strength(
                POP, patients, deficit(exposure.effect_now(), patients.need_g_per_l), t
            )
            noise = rng.standard_normal((n, 5))
            values.append(
                measured(POP, patients, strength, capacity, patients.titre0_log2, noise)["mrc_sum"]
            )
            days.append(day)
        exposure.advance(np.ones(n))
    years = np.array(days) / 365.25
    y = np.array(values)  # (visits, patients)
    slope = ((years - years.mean())[:, None] * (y - y.mean(axis=0))).sum(axis=0) / (
        (years - years.mean()) ** 2
    ).sum()
    decline = -slope
    low, high = MRC_TARGET_POINTS_PER_YEAR
    print(
        f"\nMRC sum decline on stable maintenance, {n} patients, 2 years, monthly:\n"
        f"  simulated mean {decline.mean():.2f} points/year, median {np.median(decline):.2f}, "
        f"10-90% {np.percentile(decline, 10):.2f} to {np.percentile(decline, 90):.2f}\n"
        f"  target [S7] {low}-{high} points/year"
    )
    assert low <= decline.mean() <= high
    assert low <= np.median(decline) <= high


@pytest.mark.slow
def test_the_reference_trial_outcome_is_typical_under_no_drug_effect() -> None:
    results = run_trials(PROTOCOL, POP, n_trials=N_TRIALS, effect=0.0, seed=2007)
    frame = results.per_trial
    mmf, placebo = frame["responders_mmf"], frame["responders_placebo"]
    total = mmf + placebo
    p_low, p_high = float((total <= 1).mean()), float((total >= 1).mean())
    both_small = float(((mmf <= 2) & (placebo <= 2)).mean())
    not_significant = float((~frame["significant"]).mean())
    exactly = float((((mmf == 1) & (placebo == 0)) | ((mmf == 0) & (placebo == 1))).mean())
    summary = results.summary()
    print(
        f"\nreference trial under effect 0, {N_TRIALS} simulated trials of 14 + 14:\n"
        f"  responders per arm: MMF mean {mmf.mean():.2f}, placebo {placebo.mean():.2f} "
        f"(proportion {summary.arm('mmf').proportion_reaching_primary:.3f} / "
        f"{summary.arm('placebo').proportion_reaching_primary:.3f}); reference [S1]: 1 and 0\n"
        f"  P(total <= 1) = {p_low:.3f}, P(total >= 1) = {p_high:.3f} (observed total 1)\n"
        f"  P(MMF <= 2 and placebo <= 2) = {both_small:.3f}\n"
        f"  P(exactly 1 vs 0, either arm) = {exactly:.3f}\n"
        f"  P(Fisher p >= 0.05) = {not_significant:.3f} (type I error "
        f"{summary.rejection_rate:.4f})\n"
        f"  mean reduction: MMF {summary.arm('mmf').mean_reduction_pct:.1f}%, placebo "
        f"{summary.arm('placebo').mean_reduction_pct:.1f}%; deteriorations per patient "
        f"{summary.arm('placebo').deteriorations_per_patient:.2f}, weeks deteriorated "
        f"{summary.arm('placebo').weeks_deteriorated_per_patient:.1f}"
    )
    assert p_low >= 0.1
    assert p_high >= 0.1
    assert both_small >= 0.5
    assert not_significant >= 0.95
    reduction_gap = (
        summary.arm("mmf").mean_reduction_pct - summary.arm("placebo").mean_reduction_pct
    )
    assert abs(reduction_gap) < 3.0  # no difference in reduction, as found

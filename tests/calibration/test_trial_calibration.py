"""Does the virtual MMN population reproduce the published facts about the disease?

Run with ``pytest -s tests/calibration`` to see the simulated and target figures.

- The MRC sum decline on stable maintenance [S7] is measured from simulated trial
  assessments in test_stable_dose_calibration.py.
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

import pytest

from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials import run_trials

PROTOCOL = load_protocol("piepers-2007")
POP = load_population("mmn-default")
N_TRIALS = 2000


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

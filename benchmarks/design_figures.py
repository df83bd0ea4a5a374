"""The figures of issue 11's closing note, for every built-in protocol, from one command.

For each built-in protocol with the ``mmn-default`` population it prints:

- type I error (effect 0) and power (effect 0.5) at 14 and 28 patients per arm, with the
  Wilson 95% Monte-Carlo interval;
- confirmed deteriorations per patient and weeks deteriorated per patient, per arm, from
  the same runs (means over trials of each trial's per-patient mean);
- the false-alarm rate: the share of patients confirmed deteriorated within 12 weeks
  (``--weeks``) of the taper start when the dose is never reduced. The variant that
  never reduces is the protocol itself with its taper replaced by one level at 99.99% of
  baseline (the measurement in the issue), built through the protocol loader, so that it
  is checked like any protocol file; the drug has no effect (0) in these runs.

Run it on two branches (before and after a change of the engine or the population) and
compare the tables; the same seed gives the same virtual patients as long as the
population and its draws are unchanged.

    uv run --frozen python benchmarks/design_figures.py \\
        [--trials 4000] [--patients 8000] [--seed 1] [--weeks 12]

Defaults take about a minute on one core.
"""

from __future__ import annotations

import argparse
import math
import time

from mmntrial.protocol.loader import builtin_names, load_protocol
from mmntrial.protocol.variants import HELD_PERCENT
from mmntrial.simulate.false_alarms import false_alarms
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials import DesignSummary, run_trials

POPULATION = "mmn-default"
SIZES = (14, 28)
EFFECTS = (0.0, 0.5)
FALSE_ALARM_WEEKS = 12


def design_row(summary: DesignSummary, n_per_arm: int) -> str:
    low, high = summary.rejection_rate_ci95
    drug, control = summary.drug, summary.control
    weeks = (control.weeks_deteriorated_per_patient, drug.weeks_deteriorated_per_patient)
    return (
        f"  {n_per_arm:>3} {summary.effect:>6.1f}  {summary.measure:<12} "
        f"{summary.rejection_rate:6.3f} ({low:.3f}-{high:.3f})   "
        f"{control.deteriorations_per_patient:5.2f} / {drug.deteriorations_per_patient:5.2f}    "
        f"{weeks[0]:5.1f} / {weeks[1]:5.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4000, help="trials per design point")
    parser.add_argument(
        "--patients", type=int, default=8000, help="patients for the false-alarm rate"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--weeks",
        type=int,
        default=FALSE_ALARM_WEEKS,
        help="false-alarm window after the taper start",
    )
    args = parser.parse_args()
    population = load_population(POPULATION)
    started = time.perf_counter()
    print(
        f"population {POPULATION}, seed {args.seed}, {args.trials} trials per design point, "
        f"{args.patients} patients for the false-alarm rate"
    )
    for name in builtin_names():
        protocol = load_protocol(name)
        trials = math.ceil(args.patients / (2 * population.trial.n_per_arm))
        rate = false_alarms(name, population, seed=args.seed, trials=trials, weeks=args.weeks).rate
        print(f"\n{name}")
        print(
            f"  false alarms: {rate:.3f} of patients confirmed deteriorated within "
            f"{args.weeks} weeks of the taper start (day {protocol.taper.start_day}) "
            f"with the dose held at {HELD_PERCENT}%"
        )
        print(
            "  n/arm effect  measure      rate (95% CI)           "
            "episodes/patient  weeks deteriorated/patient  (control / drug)"
        )
        for n_per_arm in SIZES:
            for effect in EFFECTS:
                results = run_trials(
                    protocol,
                    population,
                    n_trials=args.trials,
                    effect=effect,
                    seed=args.seed,
                    n_per_arm=n_per_arm,
                )
                print(design_row(results.summary(), n_per_arm))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

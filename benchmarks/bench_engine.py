"""Engine decisions per second: vectorized over 100,000 patients vs one patient at a time.

Each patient has 13 decision points (a monthly assessment, then the infusion due) through
the reference protocol. The vectorized run calls the engine once per decision point for
all patients; the loop calls the same functions for one patient at a time, on a sample
of patients, in the same run. Both are timed several times and the medians compared.
The loop's decisions are checked equal to the vectorized ones for the sampled patients.

    uv run python benchmarks/bench_engine.py [--patients 100000] [--loop-sample 300]

Goal (issue 2): the vectorized engine at least 100x the one-patient loop.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mmntrial.engine import core
from mmntrial.engine.rules import compile_rules
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol

DECISION_DAYS = tuple(range(0, 13 * 28, 28))  # 13 infusions, every 28 days


@dataclass(frozen=True)
class Inputs:
    intensity: npt.NDArray[np.float64]
    interval: npt.NDArray[np.float64]
    weight: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]  # (decision points, patients, series)


def make_inputs(protocol: Protocol, n: int, seed: int) -> Inputs:
    """Stable patients with noisy assessments, some of whom drop after the taper starts."""
    rng = np.random.default_rng(seed)
    series = compile_rules(protocol).series
    level = {"mrc_sum": 86.0, "grip_kpa:left": 52.0, "grip_kpa:right": 60.0, "gnds_upper": 2.0}
    noise = {"mrc_sum": 1.5, "grip_kpa:left": 4.0, "grip_kpa:right": 4.0, "gnds_upper": 0.3}
    values = np.empty((len(DECISION_DAYS), n, len(series)))
    decline = rng.uniform(0.0, 1.0, n) < 0.5  # half the patients weaken as the dose falls
    for t, day in enumerate(DECISION_DAYS):
        fall = np.where(decline & (day > 120), (day - 120) / 20.0, 0.0)
        for j, key in enumerate(series):
            values[t, :, j] = level[key] - fall + rng.normal(0.0, noise[key], n)
    return Inputs(
        intensity=rng.uniform(0.1, 0.5, n),
        interval=rng.choice([21.0, 28.0, 35.0], n),
        weight=rng.uniform(50.0, 100.0, n),
        values=values,
    )


def run(protocol: Protocol, inputs: Inputs, rows: slice) -> npt.NDArray[np.float64]:
    """Run all decision points for the given rows at once; return the doses (points x rows)."""
    intensity, interval = inputs.intensity[rows], inputs.interval[rows]
    weight = inputs.weight[rows]
    n = intensity.shape[0]
    everyone = np.ones(n, dtype=bool)
    state = core.start(protocol, intensity, interval)
    doses = np.empty((len(DECISION_DAYS), n))
    for t, day in enumerate(DECISION_DAYS):
        today = np.full(n, float(day))
        state = core.observe(protocol, state, today - 3.0, inputs.values[t, rows], everyone)
        state, decision = core.decide(protocol, state, today, weight, everyone)
        doses[t] = decision.dose_g
    return doses


def median_seconds(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--loop-sample", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    protocol = load_protocol("piepers-2007")
    inputs = make_inputs(protocol, args.patients, seed=2007)
    points = len(DECISION_DAYS)

    vectorized_s = median_seconds(lambda: run(protocol, inputs, slice(None)), args.repeats)
    sample = args.loop_sample

    def loop() -> npt.NDArray[np.float64]:
        return np.concatenate(
            [run(protocol, inputs, slice(i, i + 1)) for i in range(sample)], axis=1
        )

    loop_s = median_seconds(loop, max(3, args.repeats // 2))
    batch = run(protocol, inputs, slice(None))[:, :sample]
    one_by_one = loop()
    same = np.array_equal(batch, one_by_one, equal_nan=True)

    vectorized_rate = args.patients * points / vectorized_s
    loop_rate = sample * points / loop_s
    print(f"engine decisions, reference protocol, {points} decision points per patient")
    print(
        f"  vectorized: {args.patients:,} patients in {vectorized_s:.3f} s (median of "
        f"{args.repeats}) = {vectorized_rate:,.0f} decisions/s"
    )
    print(f"  one by one: {sample:,} patients in {loop_s:.3f} s = {loop_rate:,.0f} decisions/s")
    print(f"  ratio vectorized / one-by-one: {vectorized_rate / loop_rate:,.0f}x (goal >= 100x)")
    print(f"  one-by-one decisions equal the vectorized ones: {same}")
    if not same:
        raise SystemExit("vectorized and one-by-one decisions differ")


if __name__ == "__main__":
    main()

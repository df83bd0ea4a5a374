"""How long does ``mmntrial size`` take to answer? Prints figures; asserts nothing about time.

The question of issue 13: the smallest n per arm for 80% power for the reference design
(``piepers-2007``, ``mmn-default``) at one effect, with the default precision (power at
the answer known to +-0.02). Goal: within 60 s on one core. The search runs in this
process (numba compiled once, before the timed runs), RUNS times; printed are the median
wall and CPU time, the trials simulated, and the answer of each run (the same seed gives
the same answer, so the runs differ only in time). Other processes running at the same
time lengthen the wall time; the CPU time moves less.

Run: ``uv run --frozen python benchmarks/bench_size.py [--runs N] [--effect E]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.size import SizeQuestion, find_sample_size

GOAL_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--effect", type=float, default=0.5)
    args = parser.parse_args()
    protocol, population = load_protocol("piepers-2007"), load_population("mmn-default")
    question = SizeQuestion(effect=args.effect)
    warm = SizeQuestion(effect=args.effect, max_n=14, max_trials=500, precision=0.2)
    find_sample_size(protocol, population, warm)  # compile the engine and the course
    walls, cpus = [], []
    for run in range(args.runs):
        wall, cpu = time.perf_counter(), time.process_time()
        answer = find_sample_size(protocol, population, question)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        at = answer.power_at_n
        power = "not reached" if at is None else f"power {at.power:.3f}"
        print(
            f"run {run + 1}: n per arm {answer.n_per_arm} ({power}), {answer.n_simulated:,} "
            f"trials simulated, {walls[-1]:.1f} s wall, {cpus[-1]:.1f} s CPU"
        )
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(
        f"median of {args.runs}: {wall:.1f} s wall, {cpu:.1f} s CPU (goal {GOAL_S:.0f} s on "
        f"one core: CPU / goal = {cpu / GOAL_S:.2f})"
    )


if __name__ == "__main__":
    main()

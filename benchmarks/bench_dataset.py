"""How long does one simulated trial take as a full dataset? Prints figures; asserts nothing.

``simulate_one_trial`` (``mmntrial simulate``, ``mmntrial demo``) runs the trial's course
and then writes its tables: screening, infusions, assessments, adverse events and the
labs, which follow the protocol's lab schedule (``piepers-2007``: about 100 values per
patient-year). Labs are made only here, never in the Monte-Carlo runs of power and sample
size (``bench_simulate.py``). Printed per size: the median wall and CPU time of RUNS runs
(numba compiled once, before the timed runs) and the rows of the labs table. Other
processes running at the same time lengthen the wall time; the CPU time moves less.

Run: ``uv run --frozen python benchmarks/bench_dataset.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial

SIZES = (14, 1000)  # the reference trial's arms, and the calibration tests' largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    protocol, population = load_protocol("piepers-2007"), load_population("mmn-default")
    simulate_one_trial(protocol, population, effect=0.0, seed=1)  # compile, untimed
    for n in SIZES:
        wall, cpu = [], []
        for run in range(args.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            data = simulate_one_trial(protocol, population, effect=0.0, seed=run, n_per_arm=n)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        print(
            f"{n:>5} per arm: median {statistics.median(wall):.3f} s wall, "
            f"{statistics.median(cpu):.3f} s CPU ({args.runs} runs); labs rows {len(data.labs)}"
        )


if __name__ == "__main__":
    main()

"""Simulator speed and memory, for the reference design (28 patients, 12 months).

Prints, from one run on this machine:
1. trials per second and patient-days per second on one core (a chunk of trials,
   median of several repeats);
2. the same model run one patient at a time (each patient of a few trials through the
   course alone) and the ratio of the two;
3. the peak memory (max RSS of a fresh process) of simulating --million trials in fixed
   chunks (pass --million 0 to skip it: at ~1,000 trials/s it takes minutes);
4. the speed-up of 2 Dask workers over 1 on a sweep of 20 design points.

    uv run python benchmarks/bench_simulate.py [--chunk 500] [--million 1000000]

Goals (issue 3): >= 2,000 trials/s per core; >= 100x the one-patient loop; peak memory
< 2 GB at 1,000,000 trials; 2 workers >= 1.6x one worker.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.sweep.execute import dask_client, plan_tasks, run_on_client
from mmntrial.simulate.sweep.grid import design_points
from mmntrial.simulate.trials.course import run_course
from mmntrial.simulate.trials.runner import draw_chunk, run_chunk

DAYS = 365
PATIENTS_PER_TRIAL = 28


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory_mb(trials: int, chunk: int) -> float:
    """Run the simulation in a fresh interpreter and read its peak resident memory."""
    code = (
        "import resource\n"
        "from mmntrial.protocol.loader import load_protocol\n"
        "from mmntrial.simulate.population import load_population\n"
        "from mmntrial.simulate.trials import run_trials\n"
        f"run_trials(load_protocol('piepers-2007'), load_population('mmn-default'), "
        f"n_trials={trials}, effect=0.3, seed=1, chunk_trials={chunk})\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--single", type=int, default=5, help="trials whose patients run one by one"
    )
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument("--sweep-trials", type=int, default=200)
    args = parser.parse_args()
    protocol = load_protocol("piepers-2007")
    population = load_population("mmn-default")

    def chunk() -> object:
        return run_chunk(
            protocol,
            population,
            effect=0.3,
            seed=1,
            chunk_index=0,
            n_trials_in_chunk=args.chunk,
            n_per_arm=None,
        )

    chunk()  # warm caches (protocol rules, lookup tables)
    seconds = median_seconds(chunk, args.repeats)
    trials_per_s = args.chunk / seconds
    patient_days = trials_per_s * PATIENTS_PER_TRIAL * DAYS
    print(f"reference design, effect 0.3, chunks of {args.chunk} trials, one core")
    print(f"  {trials_per_s:,.0f} trials/s (median of {args.repeats}; goal >= 2,000)")
    print(f"  {patient_days:,.0f} patient-days/s")

    # The same model and code, one patient at a time: the patients of a few trials are
    # drawn once (not timed), then each goes through the course alone, so the per-event
    # overhead is paid for every patient. The vectorized figure above includes the draws
    # and the per-trial analysis, so the ratio is, if anything, understated.
    patients, noise = draw_chunk(
        protocol, population, seed=1, trials=range(args.single), n_per_arm=PATIENTS_PER_TRIAL // 2
    )

    def one_patient_loop() -> object:
        return [
            run_course(protocol, population, patients.take(np.array([i])), noise[:, [i]], 0.3)
            for i in range(patients.n)
        ]

    loop_seconds = median_seconds(one_patient_loop, 3)
    loop_patients_per_s = patients.n / loop_seconds
    batch_patients_per_s = trials_per_s * PATIENTS_PER_TRIAL
    print(f"  one patient at a time: {loop_patients_per_s:,.0f} patients/s")
    print(
        f"  ratio vectorized / one-at-a-time: {batch_patients_per_s / loop_patients_per_s:,.0f}x"
        " (goal >= 100x)"
    )

    if args.million:
        memory = peak_memory_mb(args.million, args.chunk)
        print(
            f"  peak memory for {args.million:,} trials in chunks of {args.chunk}: "
            f"{memory:,.0f} MB (goal < 2,048 MB)"
        )

    points = design_points(
        protocol,
        {
            "n_per_arm": [14, 28],
            "effect": [0.0, 0.25, 0.5, 0.75, 0.9],
            "taper.step_percent": [25, 50],
        },
    )
    tasks = plan_tasks(points, population, trials=args.sweep_trials, seed=1, chunk_trials=50)
    timings = {}
    for workers in (1, 2):
        with dask_client(workers=workers) as client:
            run_on_client(client, tasks[:2])  # warm the workers' imports
            start = time.perf_counter()
            run_on_client(client, tasks)
            timings[workers] = time.perf_counter() - start
    print(f"sweep of {len(points)} design points x {args.sweep_trials} trials on Dask:")
    print(
        f"  1 worker {timings[1]:.1f} s, 2 workers {timings[2]:.1f} s, "
        f"speed-up {timings[1] / timings[2]:.2f}x (goal >= 1.6x)"
    )


if __name__ == "__main__":
    main()

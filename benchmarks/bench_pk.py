"""How fast is the IgG PK model? Prints figures and ratios; asserts nothing about time.

Workload: 100,000 virtual patients, 13 infusions each (every 28 days from day 0, 1 g/kg),
concentrations on 365 daily time points, computed in chunks of 10,000 patients so that
only one chunk's concentrations (29 MB) exist at a time. Compared with:

- a per-patient Python loop (direct superposition of the bi-exponential for one patient
  at a time, numpy over infusions x times), timed on a subset and scaled per patient;
- the same superposition broadcast over patients x infusions x times per chunk of 200
  patients, the obvious vectorization, timed on 10,000 patients, to show what the
  recursion in ``pk`` saves.

Each figure is the median of 5 runs. Run: ``uv run --frozen python benchmarks/bench_pk.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from mmntrial.simulate.pk import (
    PkParameters,
    PkPopulation,
    exogenous_concentration,
    exogenous_window_mean,
    sample_pk_parameters,
)
from mmntrial.simulate.pk._kernels import modes  # the same constants for the baselines

N_PATIENTS = 100_000
CHUNK = 10_000
LOOP_SUBSET = 300
BROADCAST_SUBSET = 10_000
BROADCAST_CHUNK = 200  # keeps the patients x infusions x times temporaries in cache (7.6 MB)
RUNS = 5
TIMES_DAY = np.arange(365.0)
INFUSION_DAYS = np.arange(13) * 28.0
PATIENTS_PER_TRIAL = 28


def median_seconds(work: Callable[[], object]) -> float:
    """The median wall time of RUNS calls of ``work``."""
    seconds = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def one_patient_loop(params: PkParameters, day: np.ndarray, dose_g: np.ndarray) -> float:
    """Direct superposition, one patient at a time."""
    rates, coefs = modes(params)
    checksum = 0.0
    for i in range(params.n_patients):
        since = TIMES_DAY[None, :] - day[i][:, None]  # infusions x times
        mode = coefs[:, i, None, None] * np.exp(-rates[:, i, None, None] * np.maximum(since, 0))
        conc = (dose_g[i][:, None] * mode.sum(axis=0) * (since >= 0)).sum(axis=0)
        checksum += float(conc[-1])
    return checksum


def broadcast_chunks(params: PkParameters, day: np.ndarray, dose_g: np.ndarray) -> float:
    """Direct superposition over patients x infusions x times, chunk by chunk."""
    rates, coefs = modes(params)
    checksum = 0.0
    for lo in range(0, params.n_patients, BROADCAST_CHUNK):
        hi = lo + BROADCAST_CHUNK
        since = TIMES_DAY[None, None, :] - day[lo:hi, :, None]
        lag = np.maximum(since, 0.0)
        conc = np.zeros((hi - lo, TIMES_DAY.size))
        for rate, coef in zip(rates[:, lo:hi], coefs[:, lo:hi], strict=True):
            conc += np.einsum(
                "pi,pit->pt",
                dose_g[lo:hi] * coef[:, None],
                np.exp(-rate[:, None, None] * lag) * (since >= 0),
            )
        checksum += float(conc[:, -1].sum())
    return checksum


def vectorized_chunks(params: PkParameters, day: np.ndarray, dose_g: np.ndarray) -> float:
    """The public function, chunk by chunk."""
    checksum = 0.0
    for lo in range(0, params.n_patients, CHUNK):
        part = params.take(slice(lo, lo + CHUNK))
        conc = exogenous_concentration(
            part, day[lo : lo + CHUNK], dose_g[lo : lo + CHUNK], TIMES_DAY
        )
        checksum += float(conc[:, -1].sum())
    return checksum


def main() -> None:
    rng = np.random.default_rng(1)
    weight_kg = rng.lognormal(np.log(70.0) - 0.0224, 0.212, N_PATIENTS)
    params = sample_pk_parameters(PkPopulation.cheng_2025(), weight_kg, rng)
    day = np.tile(INFUSION_DAYS, (N_PATIENTS, 1))
    dose_g = np.outer(weight_kg, np.ones(INFUSION_DAYS.size))  # 1 g/kg every 4 weeks

    subset = params.take(np.arange(LOOP_SUBSET))
    loop_check = one_patient_loop(subset, day[:LOOP_SUBSET], dose_g[:LOOP_SUBSET])
    vec_check = float(
        exogenous_concentration(subset, day[:LOOP_SUBSET], dose_g[:LOOP_SUBSET], TIMES_DAY)[
            :, -1
        ].sum()
    )
    if not np.isclose(loop_check, vec_check, rtol=1e-9):
        raise SystemExit(f"baselines disagree: loop {loop_check} vs vectorized {vec_check}")

    per_patient = TIMES_DAY.size
    vec_s = median_seconds(lambda: vectorized_chunks(params, day, dose_g))
    wide = params.take(np.arange(BROADCAST_SUBSET))
    cast_s = median_seconds(
        lambda: broadcast_chunks(wide, day[:BROADCAST_SUBSET], dose_g[:BROADCAST_SUBSET])
    )
    loop_s = median_seconds(
        lambda: one_patient_loop(subset, day[:LOOP_SUBSET], dose_g[:LOOP_SUBSET])
    )
    edges = np.arange(0.0, 365.0, 28.0)
    window_s = median_seconds(lambda: exogenous_window_mean(params, day, dose_g, edges))

    vec_rate = N_PATIENTS * per_patient / vec_s
    cast_rate = BROADCAST_SUBSET * per_patient / cast_s
    loop_rate = LOOP_SUBSET * per_patient / loop_s
    print(
        f"IgG PK benchmark: {N_PATIENTS:,} patients x {INFUSION_DAYS.size} infusions x "
        f"{per_patient} daily time points, chunks of {CHUNK:,}; median of {RUNS} runs"
    )
    rows = [
        (f"vectorized, pk.exogenous_concentration ({N_PATIENTS:,})", vec_s, vec_rate),
        (f"broadcast superposition ({BROADCAST_SUBSET:,} patients)", cast_s, cast_rate),
        (f"per-patient Python loop ({LOOP_SUBSET} patients)", loop_s, loop_rate),
    ]
    for label, seconds, rate in rows:
        print(f"  {label:48s} {seconds:7.3f} s {rate:14,.0f} patient-concentrations/s")
    print(
        f"  ratio vectorized / per-patient loop: {vec_rate / loop_rate:,.0f}x; "
        f"vectorized / broadcast: {vec_rate / cast_rate:,.1f}x"
    )
    print(
        f"  one-year {PATIENTS_PER_TRIAL}-patient trials of daily PK per second: "
        f"{vec_rate / (PATIENTS_PER_TRIAL * per_patient):,.0f}"
    )
    print(
        f"  window means ({edges.size - 1} windows of 28 days, all patients at once): "
        f"{window_s:.3f} s, {N_PATIENTS * (edges.size - 1) / window_s:,.0f} "
        "patient-windows/s"
    )


if __name__ == "__main__":
    main()

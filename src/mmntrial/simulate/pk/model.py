"""IgG kinetics: the two-compartment population model of DOMAIN.md section 4 [S32].

Observed serum IgG = endogenous IgG (constant per patient) + exogenous IgG from the
infusions, which follows a linear two-compartment model with first-order elimination::

    dA1/dt = -(CL + Q)/V1 * A1 + Q/V2 * A2        (A1 central, A2 peripheral, grams)
    dA2/dt =   Q/V1 * A1      - Q/V2 * A2         exogenous IgG = A1 / V1  (g/L)

Conventions:

- Time is in days (study days may be fractional here), doses in grams of IgG,
  concentrations in g/L (``_g_per_l``; parameter symbols keep their pharmacometric
  capitals: ``CL_L_per_day``, ``V1_L``).
- An infusion is a bolus into V1 at its day. IVIg runs over a few hours; modelled as a
  zero-order input of 6 hours, the fast (alpha) part of the curve after the infusion
  would be about 7% higher and the slow (beta) part 0.3% higher, both negligible beside a
  residual error of 11.7%. The bolus keeps every formula closed-form and cheap.
- Concentrations are right-continuous: an infusion on day ``d`` counts at ``t = d``. A
  trough is therefore sampled just before the infusion (``d - 1e-6``), not at ``d``.
- Typical values are medians: individual parameters are log-normal, ``P_i = P_typ *
  (W_i/70)^k * exp(eta_i)``, ``eta_i ~ N(0, omega^2)``, ``omega^2 = ln(1 + CV^2)``.

The concentration time course uses the bi-exponential solution and superposition over
infusions, evaluated as an exact recursion over the (shared, sorted) time points: each
exponential mode decays by ``exp(-lambda * dt)`` from one time point to the next and
gains the infusions that fall in between, so the work grows with patients x (time
points + infusions) instead of patients x time points x infusions. Exposure over
windows uses the same recursion over window edges with the closed-form integral of each
exponential. Patients are processed in chunks so that temporary arrays stay below about
32 MB whatever the population size. Results are exact to rounding: the tests compare
them with the matrix exponential of the ODE, one patient and one infusion at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Self

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from mmntrial.errors import SimulationError
from mmntrial.simulate.pk._checks import checked_grid, checked_infusions, checked_weights
from mmntrial.simulate.pk._kernels import modes, recurse, window_recurse
from mmntrial.simulate.pk.parameters import PkPopulation
from mmntrial.simulate.pk.randomness import SeedLike, as_generator
from mmntrial.units import Floats as FloatArray

# Temporary arrays per chunk of patients hold at most this many float64 values (32 MB).
_CHUNK_ELEMENTS = 1 << 22


@dataclass(frozen=True, eq=False)  # == on arrays is elementwise: compare fields explicitly
class PkParameters:
    """Individual PK parameters, one array element per patient (all 1-D, same length).

    Arrays are copied to float64 and made read-only, so a PkParameters cannot change
    under a simulation that holds it.

    >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [70.0, 35.0])
    >>> p.n_patients, p.V1_L.tolist()
    (2, [3.59, 1.795])
    """

    CL_L_per_day: FloatArray
    V1_L: FloatArray
    Q_L_per_day: FloatArray
    V2_L: FloatArray
    endogenous_igg_g_per_l: FloatArray

    def __post_init__(self) -> None:
        shape: tuple[int, ...] | None = None
        for spec in fields(self):
            value = np.array(getattr(self, spec.name), dtype=np.float64)
            if value.ndim != 1:
                raise SimulationError(
                    f"PkParameters.{spec.name}: got an array of shape {value.shape}, "
                    "expected one value per patient (a 1-D array)"
                )
            shape = shape or value.shape
            if value.shape != shape:
                raise SimulationError(
                    f"PkParameters.{spec.name}: got {value.shape[0]} patients, expected "
                    f"{shape[0]} like the fields before it"
                )
            lowest = 0.0 if spec.name == "endogenous_igg_g_per_l" else np.finfo(float).tiny
            bad = ~(np.isfinite(value) & (value >= lowest))
            if bad.any():
                first = int(np.flatnonzero(bad)[0])
                raise SimulationError(
                    f"PkParameters.{spec.name}[{first}]: got {float(value[first])!r}, expected a "
                    f"finite value {'>= 0' if lowest == 0.0 else '> 0'}"
                )
            value.flags.writeable = False
            object.__setattr__(self, spec.name, value)

    @property
    def n_patients(self) -> int:
        """The number of patients."""
        return int(self.CL_L_per_day.shape[0])

    def take(self, index: npt.ArrayLike | slice) -> Self:
        """The parameters of the patients at ``index`` (an integer array, slice or mask).

        >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [50, 70, 90])
        >>> p.take([2]).V2_L.round(2).tolist()
        [9.48]
        """
        idx: Any = index if isinstance(index, slice) else np.asarray(index)
        return type(self)(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    @classmethod
    def from_population_typical(cls, pop: PkPopulation, weight_kg: npt.ArrayLike) -> Self:
        """Typical patients of the given weights: no between-patient variability.

        >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [70.0])
        >>> round(float(terminal_half_life_days(p)[0]), 1)
        28.0
        """
        size = checked_weights(weight_kg) / pop.reference_weight_kg
        ones = np.ones_like(size)
        return cls(
            CL_L_per_day=pop.CL_L_per_day * size**pop.clearance_exponent,
            V1_L=pop.V1_L * size**pop.volume_exponent,
            Q_L_per_day=pop.Q_L_per_day * size**pop.clearance_exponent,
            V2_L=pop.V2_L * size**pop.volume_exponent,
            endogenous_igg_g_per_l=pop.endogenous_igg_g_per_l * ones,
        )


def sample_pk_parameters(
    pop: PkPopulation, weight_kg: npt.ArrayLike, rng: SeedLike
) -> PkParameters:
    """Draw one virtual patient per weight: allometric scaling times log-normal variability.

    Between-patient variability is on CL, V2 and endogenous IgG, independent of each
    other (the source gives no covariances [S32]); V1 and Q take their typical values.
    The V2 deviation ``eta`` is drawn from a normal truncated at
    ``+-pop.v2_eta_truncation_sd`` standard deviations by inverse-CDF sampling, so no
    probability piles up at the bounds and each patient uses exactly one draw. Draws are
    taken in a fixed order (all CL, then all V2, then all endogenous), so the same seed
    and weights give the same patients.

    >>> pop = PkPopulation.cheng_2025()
    >>> p = sample_pk_parameters(pop, np.full(4, 70.0), rng=7)
    >>> p.n_patients, bool((p.V1_L == 3.59).all())
    (4, True)
    >>> same = sample_pk_parameters(pop, np.full(4, 70.0), rng=7)
    >>> bool((p.V2_L == same.V2_L).all())
    True
    """
    typical = PkParameters.from_population_typical(pop, weight_kg)
    gen = as_generator(rng)
    n = typical.n_patients
    eta_cl = gen.normal(0.0, _omega(pop.cl_cv), n)
    tail = float(ndtr(-pop.v2_eta_truncation_sd))
    eta_v2 = _omega(pop.v2_cv) * ndtri(gen.uniform(tail, 1.0 - tail, n))
    eta_endogenous = gen.normal(0.0, _omega(pop.endogenous_cv), n)
    return PkParameters(
        CL_L_per_day=typical.CL_L_per_day * np.exp(eta_cl),
        V1_L=typical.V1_L,
        Q_L_per_day=typical.Q_L_per_day,
        V2_L=typical.V2_L * np.exp(eta_v2),
        endogenous_igg_g_per_l=typical.endogenous_igg_g_per_l * np.exp(eta_endogenous),
    )


def terminal_half_life_days(params: PkParameters) -> FloatArray:
    """Terminal (beta-phase) half-life per patient, ``ln 2 / beta``, in days.

    >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [70.0])
    >>> terminal_half_life_days(p).round(2).tolist()
    [28.03]
    """
    rates, _ = modes(params)
    return np.asarray(math.log(2.0) / rates[1], dtype=np.float64)


def exogenous_concentration(
    params: PkParameters,
    infusion_day: npt.ArrayLike,
    infusion_dose_g: npt.ArrayLike,
    times_day: npt.ArrayLike,
) -> FloatArray:
    """Exogenous IgG (g/L), shape (patients, times), after each patient's infusions.

    ``infusion_day`` and ``infusion_dose_g`` are (patients x infusions) arrays, padded
    with NaN where a patient has fewer infusions (both NaN together); infusions need not
    be sorted. ``times_day`` is one sorted 1-D grid shared by all patients. Infusions
    after the last time point are ignored; an infusion on a time point counts there.

    >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [70.0, 70.0])
    >>> c = exogenous_concentration(p, [[0.0, 28.0], [0.0, np.nan]], [[70, 70], [70, np.nan]],
    ...                             [0.0, 27.0, 28.0])
    >>> c.round(2).tolist()    # 1 g/kg: 70 g / 3.59 L = 19.5 g/L at once
    [[19.5, 2.52, 21.96], [19.5, 2.52, 2.46]]
    """
    day, dose = checked_infusions(params, infusion_day, infusion_dose_g)
    times = checked_grid(times_day, "times_day", strictly=False)
    rates, coefs = modes(params)
    n_times = times.shape[0]
    out = np.empty((params.n_patients, n_times))
    if n_times == 0:
        return out
    gaps, gap_index = np.unique(np.diff(times), return_inverse=True)
    # Infusions land on the first time point at or after their day; index n_times means
    # "after the grid" (or padding) and collects in a spare row that is never read.
    landing = np.searchsorted(times, np.where(np.isnan(day), np.inf, day), side="left")
    lag_day = np.where(landing < n_times, times[np.minimum(landing, n_times - 1)] - day, 0.0)
    step = max(1, _CHUNK_ELEMENTS // (2 * (n_times + 1 + gaps.size)))
    for lo in range(0, params.n_patients, step):
        hi = min(lo + step, params.n_patients)
        out[lo:hi] = recurse(
            rates[:, lo:hi],
            coefs[:, lo:hi],
            dose[lo:hi],
            landing[lo:hi],
            lag_day[lo:hi],
            gaps,
            gap_index,
            n_times,
        ).T
    return out


def exogenous_auc(
    params: PkParameters,
    infusion_day: npt.ArrayLike,
    infusion_dose_g: npt.ArrayLike,
    window_edges_day: npt.ArrayLike,
) -> FloatArray:
    """Exposure to exogenous IgG (g*day/L), shape (patients, windows), in closed form.

    Window ``w`` is ``[edges[w], edges[w + 1])``; edges must increase strictly and the
    last may be ``inf``. For one bolus over ``[0, inf)`` the AUC is ``dose / CL``.

    >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [70.0])
    >>> auc = exogenous_auc(p, [[0.0]], [[70.0]], [0.0, 28.0, np.inf])
    >>> auc.round(1).tolist(), round(70 / 0.308, 1)
    ([[127.9, 99.4]], 227.3)
    """
    day, dose = checked_infusions(params, infusion_day, infusion_dose_g)
    edges = checked_grid(window_edges_day, "window_edges_day", strictly=True, last_inf=True)
    n_windows = edges.shape[0] - 1
    if n_windows < 1:
        raise SimulationError(
            f"window_edges_day: got {edges.shape[0]} edge(s), expected at least 2 (one window)"
        )
    rates, coefs = modes(params)
    # Window of each infusion: -1 before the first edge, n_windows at or after the last
    # (and for padding); what matters is its lag to the next edge.
    window = np.searchsorted(edges, np.where(np.isnan(day), np.inf, day), side="right") - 1
    next_edge = edges[np.minimum(window + 1, n_windows)]
    lag_day = np.where(window < n_windows, next_edge - day, 0.0)
    out = np.empty((params.n_patients, n_windows))
    step = max(1, _CHUNK_ELEMENTS // (4 * (n_windows + 2 + day.shape[1])))
    for lo in range(0, params.n_patients, step):
        hi = min(lo + step, params.n_patients)
        out[lo:hi] = window_recurse(
            rates[:, lo:hi],
            coefs[:, lo:hi],
            dose[lo:hi],
            window[lo:hi] + 1,
            lag_day[lo:hi],
            edges,
        ).T
    return out


def exogenous_window_mean(
    params: PkParameters,
    infusion_day: npt.ArrayLike,
    infusion_dose_g: npt.ArrayLike,
    window_edges_day: npt.ArrayLike,
) -> FloatArray:
    """Mean exogenous IgG (g/L) over each window ``[edges[w], edges[w + 1])``: AUC / width.

    The disease model compares this with a patient's personal need for IgG.

    >>> p = PkParameters.from_population_typical(PkPopulation.cheng_2025(), [70.0])
    >>> exogenous_window_mean(p, [[0.0]], [[70.0]], [0.0, 14.0, 28.0]).round(2).tolist()
    [[6.2, 2.94]]
    """
    edges = checked_grid(window_edges_day, "window_edges_day", strictly=True)
    auc = exogenous_auc(params, infusion_day, infusion_dose_g, edges)
    return np.asarray(auc / np.diff(edges)[None, :], dtype=np.float64)


def measured_igg(
    pop: PkPopulation, params: PkParameters, exogenous_g_per_l: npt.ArrayLike, rng: SeedLike
) -> FloatArray:
    """Serum IgG as a laboratory would report it: endogenous + exogenous + residual error.

    ``exogenous_g_per_l`` has the patients on its first axis (any further axes, such as
    time). The error is combined additive and proportional [S32]: with ``f`` the true
    total, ``measured = f + sqrt(add^2 + (prop * f)^2) * eps``, ``eps ~ N(0, 1)``
    independent per value, the residual SDs taken from ``pop``. A negative draw (only
    plausible for true IgG below about 2 g/L) is reported as 0, as a laboratory never
    reports a negative concentration.

    >>> pop = PkPopulation.cheng_2025()
    >>> p = PkParameters.from_population_typical(pop, [70.0] * 3)
    >>> m = measured_igg(pop, p, np.zeros((3, 2)), rng=1)
    >>> m.shape, bool((m > 0).all())
    ((3, 2), True)
    """
    exogenous = np.asarray(exogenous_g_per_l, dtype=np.float64)
    if exogenous.ndim == 0 or exogenous.shape[0] != params.n_patients:
        raise SimulationError(
            f"exogenous_g_per_l: got shape {exogenous.shape}, expected the "
            f"{params.n_patients} patients on the first axis"
        )
    if not (np.isfinite(exogenous) & (exogenous >= 0.0)).all():
        raise SimulationError("exogenous_g_per_l: got negative or non-finite values, expected >= 0")
    endogenous = params.endogenous_igg_g_per_l.reshape((-1,) + (1,) * (exogenous.ndim - 1))
    true_g_per_l = endogenous + exogenous
    sd_g_per_l = np.hypot(pop.residual_additive_g_per_l, pop.residual_proportional * true_g_per_l)
    noise = as_generator(rng).standard_normal(true_g_per_l.shape)
    return np.asarray(np.maximum(true_g_per_l + sd_g_per_l * noise, 0.0), dtype=np.float64)


def _omega(cv: float) -> float:
    """The SD of log(P) for a log-normal P with coefficient of variation ``cv``."""
    return math.sqrt(math.log1p(cv * cv))


__all__ = [
    "FloatArray",
    "PkParameters",
    "PkPopulation",
    "exogenous_auc",
    "exogenous_concentration",
    "exogenous_window_mean",
    "measured_igg",
    "sample_pk_parameters",
    "terminal_half_life_days",
]

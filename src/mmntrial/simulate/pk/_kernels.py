"""The arithmetic of the two-compartment model, for :mod:`mmntrial.simulate.pk`.

Private: the public functions in ``pk`` check their inputs and chunk the patients; the
kernels here trust their arguments and work on one chunk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mmntrial.units import Floats as FloatArray

if TYPE_CHECKING:
    from mmntrial.simulate.pk.model import PkParameters


def modes(params: PkParameters) -> tuple[FloatArray, FloatArray]:
    """Rates (alpha, beta) per day and their coefficients (1/L), each shaped (2, patients).

    The concentration after a unit bolus is ``coef[0] exp(-alpha t) + coef[1] exp(-beta t)``.
    The forms avoid cancellation: ``beta = k10 k21 / alpha`` rather than a difference of
    near-equal numbers, and ``alpha - k21`` uses the conjugate when it would cancel.
    """
    k10 = params.CL_L_per_day / params.V1_L
    k12 = params.Q_L_per_day / params.V1_L
    k21 = params.Q_L_per_day / params.V2_L
    x = k10 + k12 - k21
    root = np.sqrt(x * x + 4.0 * k12 * k21)  # alpha - beta, always > 0
    alpha_minus_k21 = np.where(
        x >= 0.0, 0.5 * (x + root), 2.0 * k12 * k21 / (root - np.minimum(x, 0.0))
    )
    alpha = k21 + alpha_minus_k21
    beta = k10 * k21 / alpha
    coef_alpha = alpha_minus_k21 / (root * params.V1_L)
    coef_beta = 1.0 / params.V1_L - coef_alpha  # the two sum to 1/V1 (C(0) = dose/V1)
    return np.stack([alpha, beta]), np.stack([coef_alpha, coef_beta])


def _scatter(values: FloatArray, bins: npt.NDArray[np.intp], n_bins: int) -> FloatArray:
    """Sum ``values`` (modes, patients, infusions) by bin into (modes, bins, patients)."""
    n = values.shape[1]
    flat = (bins * n + np.arange(n)[:, None]).ravel()  # bin-major, patient-minor
    out = np.empty((values.shape[0], n_bins, n))
    for mode, per_mode in enumerate(values):
        out[mode] = np.bincount(flat, per_mode.ravel(), minlength=n_bins * n).reshape(n_bins, n)
    return out


def recurse(
    rates: FloatArray,
    coefs: FloatArray,
    dose_g: FloatArray,
    landing: npt.NDArray[np.intp],
    lag_day: FloatArray,
    gaps_day: FloatArray,
    gap_index: npt.NDArray[np.intp],
    n_times: int,
) -> FloatArray:
    """Concentrations (times, patients) for one chunk of patients, by exact recursion.

    The state holds, per mode, the concentration that mode contributes at the current
    time point; it decays over each gap and gains the infusions landing at the point.
    """
    # Each infusion, decayed from its day to the time point where it lands, per mode.
    arriving = coefs[:, :, None] * dose_g[None] * np.exp(-rates[:, :, None] * lag_day[None])
    inflow = _scatter(arriving, landing, n_times + 1)
    has_inflow = np.zeros(n_times + 1, dtype=bool)
    has_inflow[landing.ravel()] = True
    decay = np.exp(-gaps_day[:, None, None] * rates[None])  # (distinct gaps, 2, patients)
    state = np.zeros_like(rates)
    out = np.empty((n_times, rates.shape[1]))
    for i in range(n_times):
        if i:
            state *= decay[gap_index[i - 1]]
        if has_inflow[i]:
            state += inflow[:, i]
        np.add(state[0], state[1], out=out[i])
    return out


def window_recurse(
    rates: FloatArray,
    coefs: FloatArray,
    dose_g: FloatArray,
    bins: npt.NDArray[np.intp],
    lag_day: FloatArray,
    edges_day: FloatArray,
) -> FloatArray:
    """AUC (windows, patients) for one chunk of patients, by exact recursion over edges.

    ``bins`` is the window of each infusion plus one (0: before the first edge). Over a
    window of width ``h`` a mode starting at ``s`` contributes ``s (1 - exp(-r h)) / r``;
    an infusion inside it, ``dose c (1 - exp(-r lag)) / r`` up to the next edge.
    """
    n_bins = edges_day.shape[0] + 1
    scaled = coefs[:, :, None] * dose_g[None]
    decayed = -np.expm1(-rates[:, :, None] * lag_day[None])  # 1 - exp(-r lag), accurately
    arriving = _scatter(scaled * (1.0 - decayed), bins, n_bins)  # state gained at next edge
    inside = _scatter(scaled * decayed / rates[:, :, None], bins, n_bins)
    state = arriving[:, 0]
    out = np.empty((edges_day.shape[0] - 1, rates.shape[1]))
    for w, width_day in enumerate(np.diff(edges_day)):
        lost = -np.expm1(-rates * width_day)  # width inf: everything, 1
        np.sum(state * lost / rates + inside[:, w + 1], axis=0, out=out[w])
        state = state * (1.0 - lost) + arriving[:, w + 1]
    return out

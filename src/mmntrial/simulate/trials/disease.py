"""The disease model: strength follows IgG exposure above a personal need.

- Exposure: the exogenous IgG concentration ``c(t)`` (:mod:`~mmntrial.simulate.pk.step`)
  drives an effect compartment, ``dCe/dt = ke0 (c - Ce)``: strength lags the serum
  level, so that it recovers within days after an infusion and wears off over weeks
  when the level falls [S54]. Being linear, ``Ce`` is a sum of three exponentials (the
  two PK modes and its own), exact at any time, whatever the events in between.
- Deficit: ``D = clip(1 - Ce / need_eff, 0, 1)`` is the fraction of the strength that
  IVIg sustains (``mrc_treatable``, ``grip_treatable_kpa``) which is lost; 0 at or
  above the need, 1 with no exogenous IgG. ``need_eff = need (1 - effect onset(t))``
  on the study drug, ``need`` on placebo.
- Drug onset: ``onset(t)`` rises as ``1 - exp(-t / tau)`` from day 0, decays during an
  interruption for leukopenia and rises again after it (closed form).
- Progression: MRC sum falls linearly (axonal loss [S7]); grip follows by a ratio.
- Measures: MRC sum and grip per hand with normal test-retest noise (rounded like the
  instruments), GNDS upper limb moving one grade per ``gnds_capacity_step`` of real loss
  of arm capacity (mean true grip), GNDS lower limb constant (MMN spares the legs), each
  GNDS limb scored one grade off with probability ``gnds_misgrade_probability`` (half
  up, half down, kept within 0-5), MMN-RODS centile linear in that loss with noise,
  anti-GM1 titre with assay noise. Every value of the population's ``[noise]`` section
  gives its source in the population file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from mmntrial._jit import jit, jit_in_place
from mmntrial.simulate.pk.step import PkModel, PkState
from mmntrial.simulate.population.model import Population
from mmntrial.simulate.trials.patients import Patients
from mmntrial.units import Bools, Floats


@dataclass(eq=False)
class Exposure:
    """Exogenous IgG and the effect compartment, per patient, advanced in place.

    ``effect_modes`` (3, patients) hold ``Ce``'s components on the alpha, beta and ke0
    exponentials; ``rates`` (3, patients) are those rates per day.
    """

    pk: PkState
    effect_modes: Floats
    rates: Floats
    effect_gain: Floats  # (2, patients): ke0 / (ke0 - rate_k), for the two PK modes

    @classmethod
    def steady_state(cls, patients: Patients, model: PkModel, days_since_dose: Floats) -> Exposure:
        """Both compartments at steady state of the baseline regimen, ``days_since_dose`` after."""
        ke0 = patients.ke0_per_day
        # ke0 equal to a PK rate would divide by zero: nudge it (a 1e-6 relative change).
        for k in range(2):
            close = np.abs(ke0 - model.rates_per_day[k]) < 1e-6 * ke0
            ke0 = np.where(close, ke0 * (1.0 + 1e-6), ke0)
        gain = ke0 / (ke0 - model.rates_per_day)
        rates = np.vstack([model.rates_per_day, ke0])
        # The periodic steady state of Ce: every exponential sums its doses as a geometric
        # series; the ke0 term is the one that keeps Ce continuous at each dose.
        tau = patients.interval_days
        per_dose = patients.dose_g * model.coefs * gain  # (2, n)
        alpha_beta = per_dose / -np.expm1(-model.rates_per_day * tau)
        own = -per_dose.sum(axis=0) / -np.expm1(-ke0 * tau)
        modes = np.vstack([alpha_beta, own]) * np.exp(-rates * days_since_dose)
        pk = PkState.steady_state(model, patients.dose_g, tau, days_since_dose)
        return cls(pk, modes, rates, gain)

    def add_dose(self, model: PkModel, dose_g: Floats) -> None:
        """A bolus of ``dose_g`` grams per patient (0 for none)."""
        self.pk.add_dose(model, dose_g)
        gained = model.coefs * dose_g * self.effect_gain
        self.effect_modes[:2] += gained
        self.effect_modes[2] -= gained.sum(axis=0)

    def effect_now(self) -> Floats:
        """``Ce`` now, per patient (g/L)."""
        return np.asarray(self.effect_modes.sum(axis=0), dtype=np.float64)

    def advance(self, dt_days: Floats, n_samples: int = 2) -> Floats:
        """Move every patient ``dt_days`` forward; return ``Ce`` at ``n_samples`` points.

        The points split each patient's step equally (the first is now, the last the
        end); the result is ``(n_samples, patients)``.
        """
        samples = np.empty((n_samples, dt_days.shape[0]))
        _advance_all(self.effect_modes, self.pk.modes_g_per_l, self.rates, dt_days, samples)
        return samples


@jit_in_place
def advance_patient(
    effect_modes: Floats,
    pk_modes: Floats,
    rates: Floats,
    i: int,
    dt_days: float,
    samples: Floats,
) -> None:
    """Move patient ``i`` forward ``dt_days``, writing ``Ce`` at ``len(samples)`` points.

    One exponential per mode serves every point: ``exp(-r k h) = exp(-r h) ** k``. The
    two PK modes decay with the first two effect modes (same rates).
    """
    n_points = samples.shape[0]
    h = dt_days / (n_points - 1)
    q0, q1, q2 = math.exp(-rates[0, i] * h), math.exp(-rates[1, i] * h), math.exp(-rates[2, i] * h)
    p0 = p1 = p2 = 1.0
    for k in range(n_points):
        if k:
            p0 *= q0
            p1 *= q1
            p2 *= q2
        samples[k] = effect_modes[0, i] * p0 + effect_modes[1, i] * p1 + effect_modes[2, i] * p2
    effect_modes[0, i] *= p0
    effect_modes[1, i] *= p1
    effect_modes[2, i] *= p2
    pk_modes[0, i] *= p0
    pk_modes[1, i] *= p1


@jit_in_place
def _advance_all(
    effect_modes: Floats, pk_modes: Floats, rates: Floats, dt_days: Floats, samples: Floats
) -> None:
    for i in range(dt_days.shape[0]):
        advance_patient(effect_modes, pk_modes, rates, i, dt_days[i], samples[:, i])


@jit_in_place
def onset_at(
    day: float, on_drug: bool, leukopenia_day: float, interruption_end_day: float, tau: float
) -> float:
    """The drug's onset (0 to 1) of one patient on ``day``: see :func:`onset_of`."""
    if not on_drug:
        return 0.0
    t = max(day, 0.0)
    if not t > leukopenia_day:
        return -math.expm1(-t / tau)
    a, b = leukopenia_day, interruption_end_day
    at_a = -math.expm1(-a / tau)
    if t <= b:
        return at_a * math.exp(-(t - a) / tau)
    at_b = at_a * math.exp(-(b - a) / tau)
    return 1.0 + (at_b - 1.0) * math.exp(-(t - b) / tau)


@jit
def _onset_all(
    day: Floats, on_drug: Bools, leukopenia_day: Floats, end_day: Floats, tau: float
) -> Floats:
    out = np.empty(day.shape[0])
    for i in range(day.shape[0]):
        out[i] = onset_at(day[i], on_drug[i], leukopenia_day[i], end_day[i], tau)
    return out


def onset_of(patients: Patients, tau_days: float, day: Floats) -> Floats:
    """The drug's onset (0 to 1) on ``day`` (one day per patient); 0 on placebo.

    Rises as ``1 - exp(-t / tau)`` from day 0; from the leukopenia day ``a`` it decays,
    and from the end of the interruption ``b`` it rises again, with the same time
    constant. ``a`` and ``b`` are infinite for a patient never interrupted.
    """
    return _onset_all(
        np.asarray(day, dtype=np.float64),
        patients.on_drug,
        patients.leukopenia_day,
        patients.interruption_end_day,
        float(tau_days),
    )


@jit_in_place
def deficit_at(effect_g_per_l: float, need_g_per_l: float) -> float:
    """One patient's deficit: ``clip(1 - Ce / need, 0, 1)``, and 0 when nothing is needed."""
    if not need_g_per_l > 0.0:
        return 0.0
    return min(max(1.0 - effect_g_per_l / need_g_per_l, 0.0), 1.0)


@jit
def _deficit_all(effect: Floats, need: Floats) -> Floats:
    out = np.empty(effect.shape[0])
    for i in range(effect.shape[0]):
        out[i] = deficit_at(effect[i], need[i])
    return out


def deficit(effect_g_per_l: Floats, need_g_per_l: Floats) -> Floats:
    """The fraction of IVIg-sustained strength lost: ``clip(1 - Ce / need, 0, 1)``.

    >>> deficit(np.array([0.0, 2.0, 5.0, 9.0]), np.array([4.0, 4.0, 4.0, 0.0])).tolist()
    [1.0, 0.5, 0.0, 0.0]
    """
    effect, need = np.broadcast_arrays(
        np.asarray(effect_g_per_l, dtype=np.float64), np.asarray(need_g_per_l, dtype=np.float64)
    )
    flat = _deficit_all(np.ascontiguousarray(effect).ravel(), np.ascontiguousarray(need).ravel())
    return flat.reshape(effect.shape)


@dataclass(frozen=True)
class TrueStrength:
    """Noise-free MRC sum and grip per hand (``(n, 2)``) on one day."""

    mrc_sum: Floats
    grip_kpa: Floats


def true_strength(
    population: Population, patients: Patients, d: Floats, day: Floats
) -> TrueStrength:
    """What the patient can do on ``day`` with deficit ``d``: full strength minus losses."""
    lost_mrc = patients.progression_mrc_per_day * np.maximum(day, 0.0)
    mrc = patients.mrc_full - patients.mrc_treatable * d - lost_mrc
    lost_grip = lost_mrc * population.progression.grip_kpa_per_mrc_point
    grip = patients.grip_full_kpa - patients.grip_treatable_kpa * d[:, None] - lost_grip[:, None]
    return TrueStrength(mrc, grip)


MEASURED_SERIES = (
    "mrc_sum",
    "grip_kpa:left",
    "grip_kpa:right",
    "gnds_upper",
    "gnds_lower",
    "mmn_rods_centile",
    "anti_gm1_log2",
)
"""The catalogue series keys of :func:`measured`, in the order of its matrix columns."""


def measured(
    population: Population,
    patients: Patients,
    strength: TrueStrength,
    reference_capacity_kpa: Floats,
    titre_log2: Floats,
    noise: Floats,
) -> dict[str, Floats]:
    """The measured values of one assessment per patient, by catalogue series key.

    ``noise`` is ``(n, 7)`` standard normals in the order of ``patients.NOISE_SERIES``;
    a GNDS score is one grade higher when its normal is above the ``1 - p / 2`` quantile
    and one lower when below the ``p / 2`` quantile (``p`` the misgrade probability), so
    the same draws give the same patients whatever ``p``. Values are rounded like the
    instruments report them and clipped to their scales; the dictionary's arrays are the
    columns of one ``(n, len(MEASURED_SERIES))`` matrix.
    """
    sd, n = population.noise, patients.n
    out = np.empty((n, len(MEASURED_SERIES)))
    _measure_all(
        strength.mrc_sum,
        strength.grip_kpa,
        reference_capacity_kpa,
        np.broadcast_to(np.asarray(titre_log2, dtype=np.float64), (n,)),
        noise,
        patients.mrc_max,
        patients.gnds_upper0,
        patients.gnds_lower0,
        patients.rods0,
        np.array(
            [
                sd.mrc_sum_sd,
                sd.grip_kpa_sd,
                sd.gnds_capacity_step,
                sd.mmn_rods_centile_sd,
                sd.anti_gm1_log2_sd,
                population.need.mmn_rods_centile_per_capacity,
                float(ndtri(sd.gnds_misgrade_probability / 2.0)),
            ]
        ),
        out,
    )
    return {key: out[:, j] for j, key in enumerate(MEASURED_SERIES)}


@jit_in_place
def _clip(x: float, low: float, high: float) -> float:
    return min(max(x, low), high)


@jit_in_place
def _misgrade(z: float, low_z: float) -> float:
    """-1, 0 or +1 grade: below ``low_z`` one lower, above ``-low_z`` one higher."""
    if z < low_z:
        return -1.0
    if z > -low_z:
        return 1.0
    return 0.0


@jit_in_place
def _measure_all(
    mrc_true: Floats,
    grip_true: Floats,
    reference_capacity: Floats,
    titre: Floats,
    noise: Floats,
    mrc_max: float,
    gnds_upper0: Floats,
    gnds_lower0: Floats,
    rods0: Floats,
    settings: Floats,
    out: Floats,
) -> None:
    mrc_sd, grip_sd, gnds_step, rods_sd, titre_sd, rods_per_capacity, misgrade_z = settings
    for i in range(out.shape[0]):
        out[i, 0] = _clip(np.rint(mrc_true[i] + mrc_sd * noise[i, 0]), 0.0, mrc_max)
        for side in range(2):  # grip to 0.1 kPa, as np.round(x, 1): rint(10 x) / 10
            grip = grip_true[i, side] + grip_sd * noise[i, 1 + side]
            out[i, 1 + side] = _clip(np.rint(grip * 10.0) / 10.0, 0.0, 250.0)
        capacity = (grip_true[i, 0] + grip_true[i, 1]) / 2.0
        loss = (reference_capacity[i] - capacity) / reference_capacity[i]
        upper = gnds_upper0[i] + np.trunc(loss / gnds_step)
        out[i, 3] = _clip(upper + _misgrade(noise[i, 5], misgrade_z), 0.0, 5.0)
        out[i, 4] = _clip(gnds_lower0[i] + _misgrade(noise[i, 6], misgrade_z), 0.0, 5.0)
        rods = rods0[i] - rods_per_capacity * loss + rods_sd * noise[i, 3]
        out[i, 5] = _clip(np.rint(rods * 10.0) / 10.0, 0.0, 100.0)
        out[i, 6] = _clip(np.rint(titre[i] + titre_sd * noise[i, 4]), 0.0, 24.0)


def harm_threshold(population: Population, patients: Patients) -> Floats:
    """The deficit at which under-dosing costs a clinically meaningful amount of strength.

    The smaller of ``harm.mrc_points / mrc_treatable`` and ``harm.grip_kpa / grip
    treatable`` in the hand IVIg sustains most; above 1 the patient can never get there.
    """
    mrc = population.harm.mrc_points / np.maximum(patients.mrc_treatable, 1e-9)
    grip = population.harm.grip_kpa / np.maximum(patients.grip_treatable_kpa.max(axis=1), 1e-9)
    return np.asarray(np.minimum(mrc, grip), dtype=np.float64)


@jit_in_place
def share_above(low: float, high: float, threshold: float) -> float:
    """The share of a linear piece from ``low`` to ``high`` that is at or above ``threshold``."""
    low_above, high_above = low >= threshold, high >= threshold
    if low_above and high_above:
        return 1.0
    if not (low_above or high_above):
        return 0.0
    span = high - low if high != low else 1.0
    crossing = min(max((threshold - low) / span, 0.0), 1.0)
    return crossing if low_above else 1.0 - crossing


@jit_in_place
def days_above_patient(samples: Floats, threshold: float, dt_days: float) -> float:
    """Days of a step that ``samples`` (equally spaced, linear between) are >= threshold."""
    pieces = len(samples) - 1
    total = 0.0
    for k in range(pieces):
        total += share_above(samples[k], samples[k + 1], threshold)
    return total * dt_days / pieces


@jit
def _days_above_all(samples: Floats, threshold: Floats, dt_days: Floats) -> Floats:
    out = np.empty(dt_days.shape[0])
    for i in range(dt_days.shape[0]):
        out[i] = days_above_patient(samples[:, i], threshold[i], dt_days[i])
    return out


def days_above(samples: Floats, threshold: Floats, dt_days: Floats) -> Floats:
    """Days within a step that ``samples`` (k equally spaced values, (k, n)) are >= threshold.

    Linear between samples, so a crossing inside a sub-interval counts in proportion.

    >>> days_above(np.array([[0.0], [1.0], [0.0]]), np.array([0.5]), np.array([10.0]))
    array([5.])
    """
    return _days_above_all(
        np.asarray(samples, dtype=np.float64),
        np.asarray(threshold, dtype=np.float64),
        np.asarray(dt_days, dtype=np.float64),
    )


__all__ = [
    "MEASURED_SERIES",
    "Exposure",
    "TrueStrength",
    "advance_patient",
    "days_above",
    "days_above_patient",
    "deficit",
    "deficit_at",
    "harm_threshold",
    "measured",
    "onset_at",
    "onset_of",
    "share_above",
    "true_strength",
]

"""The disease model: strength follows IgG exposure above a personal need.

- Exposure: the exogenous IgG concentration ``c(t)`` (:mod:`~mmntrial.simulate.pk_step`)
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
- Measures: MRC sum and grip per hand with normal noise (rounded like the instruments),
  GNDS upper limb moving one grade per ``gnds_capacity_step`` of real loss of arm
  capacity (mean true grip), MMN-RODS centile linear in that loss with noise, GNDS
  lower limb constant (MMN spares the legs), anti-GM1 titre with noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mmntrial.simulate.patients import DAYS_PER_YEAR, Patients
from mmntrial.simulate.pk_step import PkModel, PkState
from mmntrial.simulate.population_model import Population

Floats = npt.NDArray[np.float64]


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
        end); the result is ``(n_samples, patients)``. One exponential per mode serves
        them all: ``exp(-r k h) = exp(-r h) ** k``.
        """
        q = np.exp(-self.rates * (dt_days / (n_samples - 1)))
        samples = np.empty((n_samples, dt_days.shape[0]))
        power = np.ones_like(q)
        for k in range(n_samples):
            if k:
                power *= q
            samples[k] = (self.effect_modes * power).sum(axis=0)
        self.effect_modes *= power
        self.pk.modes_g_per_l *= power[:2]
        return samples


def onset_of(patients: Patients, tau_days: float, day: Floats) -> Floats:
    """The drug's onset (0 to 1) on ``day`` (one day per patient); 0 on placebo.

    Rises as ``1 - exp(-t / tau)`` from day 0; from the leukopenia day ``a`` it decays,
    and from the end of the interruption ``b`` it rises again, with the same time
    constant. ``a`` and ``b`` are infinite for a patient never interrupted.
    """
    t = np.maximum(day, 0.0)
    value = np.where(patients.on_drug, -np.expm1(-t / tau_days), 0.0)
    # Only the few patients already interrupted need the piecewise form.
    late = np.flatnonzero(patients.on_drug & (t > patients.leukopenia_day))
    if late.size:
        a, b, tl = patients.leukopenia_day[late], patients.interruption_end_day[late], t[late]
        at_a = -np.expm1(-a / tau_days)
        at_b = at_a * np.exp(-(b - a) / tau_days)
        falling = at_a * np.exp(-(np.minimum(tl, b) - a) / tau_days)
        resumed = 1.0 + (at_b - 1.0) * np.exp(-np.maximum(tl - b, 0.0) / tau_days)
        value[late] = np.where(tl <= b, falling, resumed)
    return np.asarray(value, dtype=np.float64)


def deficit(effect_g_per_l: Floats, need_g_per_l: Floats) -> Floats:
    """The fraction of IVIg-sustained strength lost: ``clip(1 - Ce / need, 0, 1)``.

    >>> deficit(np.array([0.0, 2.0, 5.0, 9.0]), np.array([4.0, 4.0, 4.0, 0.0])).tolist()
    [1.0, 0.5, 0.0, 0.0]
    """
    safe = np.where(need_g_per_l > 0.0, need_g_per_l, 1.0)
    return np.asarray(
        np.where(need_g_per_l > 0.0, np.clip(1.0 - effect_g_per_l / safe, 0.0, 1.0), 0.0),
        dtype=np.float64,
    )


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


def measured(
    population: Population,
    patients: Patients,
    strength: TrueStrength,
    reference_capacity_kpa: Floats,
    titre_log2: Floats,
    noise: Floats,
) -> dict[str, Floats]:
    """The measured values of one assessment per patient, by catalogue series key.

    ``noise`` is ``(n, 5)`` standard normals in the order of ``patients.NOISE_SERIES``.
    """
    sd = population.noise
    mrc = np.clip(np.round(strength.mrc_sum + sd.mrc_sum_sd * noise[:, 0]), 0.0, patients.mrc_max)
    grip = np.clip(np.round(strength.grip_kpa + sd.grip_kpa_sd * noise[:, 1:3], 1), 0.0, 250.0)
    capacity = strength.grip_kpa.mean(axis=1)
    loss = (reference_capacity_kpa - capacity) / reference_capacity_kpa
    grades = np.trunc(loss / sd.gnds_capacity_step)
    rods = patients.rods0 - population.need.mmn_rods_centile_per_capacity * loss
    return {
        "mrc_sum": mrc,
        "grip_kpa:left": grip[:, 0],
        "grip_kpa:right": grip[:, 1],
        "gnds_upper": np.clip(patients.gnds_upper0 + grades, 0.0, 5.0),
        "gnds_lower": patients.gnds_lower0.copy(),
        "mmn_rods_centile": np.clip(
            np.round(rods + sd.mmn_rods_centile_sd * noise[:, 3], 1), 0, 100
        ),
        "anti_gm1_log2": np.clip(np.round(titre_log2 + sd.anti_gm1_log2_sd * noise[:, 4]), 0, 24),
    }


def harm_threshold(population: Population, patients: Patients) -> Floats:
    """The deficit at which under-dosing costs a clinically meaningful amount of strength.

    The smaller of ``harm.mrc_points / mrc_treatable`` and ``harm.grip_kpa / grip
    treatable`` in the hand IVIg sustains most; above 1 the patient can never get there.
    """
    mrc = population.harm.mrc_points / np.maximum(patients.mrc_treatable, 1e-9)
    grip = population.harm.grip_kpa / np.maximum(patients.grip_treatable_kpa.max(axis=1), 1e-9)
    return np.asarray(np.minimum(mrc, grip), dtype=np.float64)


def days_above(samples: Floats, threshold: Floats, dt_days: Floats) -> Floats:
    """Days within a step that ``samples`` (k equally spaced values, (k, n)) are >= threshold.

    Linear between samples, so a crossing inside a sub-interval counts in proportion.

    >>> days_above(np.array([[0.0], [1.0], [0.0]]), np.array([0.5]), np.array([10.0]))
    array([5.])
    """
    lo, hi = samples[:-1], samples[1:]
    above_lo, above_hi = lo >= threshold, hi >= threshold
    span = np.where(hi != lo, hi - lo, 1.0)
    crossing = np.clip((threshold - lo) / span, 0.0, 1.0)
    fraction = np.where(
        above_lo & above_hi,
        1.0,
        np.where(above_lo, crossing, np.where(above_hi, 1.0 - crossing, 0.0)),
    )
    return np.asarray(fraction.sum(axis=0) * dt_days / (samples.shape[0] - 1), dtype=np.float64)


__all__ = [
    "DAYS_PER_YEAR",
    "Exposure",
    "TrueStrength",
    "days_above",
    "deficit",
    "harm_threshold",
    "measured",
    "onset_of",
    "true_strength",
]

"""Virtual patients: covariates, IgG kinetics, dose need, strength, adverse-event times.

Sampling happens in two stages so that a chunk of trials costs a handful of numpy calls:

1. :func:`draw_trials` gives each trial its own generator (:func:`trial_generator`,
   from the seed and the trial's number) and fills that trial's row of two arrays with
   two calls: uniforms (per patient the columns named in ``_U``, then the allocation's
   block sizes and slot keys per stratum) and normals (per patient the columns named in
   ``_Z``, then the measurement noise of every possible assessment);
2. :func:`build_patients` turns the rows of all trials of a chunk into patients at
   once, vectorized, allocation included (the protocol's method, from
   :mod:`mmntrial.randomization.batch`, on the factors in ``SIMULATED_FACTORS``).

A patient's values therefore depend only on the seed and its trial's number, never on
the other trials in the chunk or on the chunk size. docs/simulation.md describes each
distribution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from mmntrial.errors import SimulationError
from mmntrial.measures.ivig import dose_intensity, grams_at_intensity
from mmntrial.protocol.model import Protocol
from mmntrial.randomization.allocators import ALLOCATORS
from mmntrial.randomization.batch import Cohort, blocks_needed
from mmntrial.simulate.pk.model import PkParameters
from mmntrial.simulate.pk.step import PkModel, steady_state_mean_g_per_l
from mmntrial.simulate.population.model import Population
from mmntrial.units import DAYS_PER_YEAR, Bools, Floats, Ints

# Columns of the per-patient uniform and normal blocks. Appending a column changes every
# later draw, so new columns go at the end and the layout is part of reproducibility.
_U = (  # noqa: SIM905 - one line of names reads better than a column of them
    "male definite gm1_positive interval phase worse_side need_class need_over v2 site "
    "leukopenia discontinuation dropout lost allocation allocation_preferred allocation_ratio"
).split()
_Z = (  # noqa: SIM905
    "weight age titre mrc_deficit grip_better asymmetry gnds_upper gnds_lower rods "
    "intensity eta_cl eta_endogenous need ke0 mrc_treatable grip_treatable progression"
).split()
U_COLUMNS = {name: i for i, name in enumerate(_U)}
Z_COLUMNS = {name: i for i, name in enumerate(_Z)}
NOISE_SERIES = (
    "mrc_sum",
    "grip_left",
    "grip_right",
    "mmn_rods_centile",
    "anti_gm1_log2",
    "gnds_upper",
    "gnds_lower",
)
# Stratification and minimization factors the simulator can allocate on, by the name a
# protocol gives them, and the patient covariate each one reads.
SIMULATED_FACTORS = {
    "centre": "site",
    "center": "site",
    "site": "site",
    "anti_gm1": "anti-GM1 status",
    "sex": "sex",
}


def max_assessments(protocol: Protocol) -> int:
    """Assessments a patient can have: every visit, each followed by at most one repeat."""
    return 2 * len(protocol.schedule.visits)


def n_patients_per_trial(protocol: Protocol, n_per_arm: int) -> int:
    """The total of a trial: ``n_per_arm`` for each arm."""
    return n_per_arm * len(protocol.arms)


def trial_generator(seed: int, trial: int) -> np.random.Generator:
    """Trial ``trial``'s own generator: child ``trial`` of ``SeedSequence(seed)``.

    Built directly from the spawn key (numpy documents spawned children as
    ``spawn_key`` extensions), so trial 10^6 costs no more than trial 0.

    >>> a = trial_generator(7, 3).random()
    >>> b = np.random.default_rng(np.random.SeedSequence(7).spawn(4)[3]).random()
    >>> a == b
    True
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(trial,))))


def allocation_factors(protocol: Protocol) -> tuple[str, ...]:
    """The factors the protocol allocates on: its strata, or its minimization factors.

    Each must be one the simulator draws for every patient (``SIMULATED_FACTORS``).
    """
    rand = protocol.randomization
    names = rand.factors
    key = "protocol.randomization." + (
        "strata" if rand.minimization is None else "minimization.factor_weights"
    )
    for name in names:
        if name not in SIMULATED_FACTORS:
            raise SimulationError(
                f"{key}: got factor {name!r}, expected factors the simulator draws for each "
                f"patient: {', '.join(sorted(SIMULATED_FACTORS))}"
            )
    return names


def factor_levels(population: Population, name: str) -> int:
    """How many levels a simulated factor has: the sites, or two."""
    return population.trial.n_sites if SIMULATED_FACTORS[name] == "site" else 2


@dataclass(frozen=True)
class DrawLayout:
    """Where each random number sits in a trial's row of uniforms and of normals."""

    n_patients: int
    n_strata: int  # permuted-block sequences per trial (0 without permuted blocks)
    n_blocks: int  # blocks per sequence that always hold every patient
    n_slots: int  # their slots, were every block of the largest size
    n_assessments: int

    @classmethod
    def of(cls, protocol: Protocol, population: Population, n_per_arm: int) -> DrawLayout:
        """The layout of one trial of ``n_per_arm`` patients per arm."""
        n = n_patients_per_trial(protocol, n_per_arm)
        if not ALLOCATORS[protocol.randomization.method].permuted_blocks:
            allocation_factors(protocol)  # checks minimization factors
            return cls(n, 0, 0, 0, max_assessments(protocol))
        strata = math.prod(factor_levels(population, f) for f in allocation_factors(protocol))
        blocks, slots = blocks_needed(n, protocol.randomization.block_sizes)
        return cls(n, strata, blocks, slots, max_assessments(protocol))

    @property
    def n_uniforms(self) -> int:
        """Uniforms per trial: the patients' columns, then block sizes and slot keys per stratum."""
        return self.n_patients * len(_U) + self.n_strata * (self.n_blocks + self.n_slots)

    @property
    def n_normals(self) -> int:
        """Normals per trial: the patients' columns, then each assessment's noise in turn."""
        return self.n_patients * (len(_Z) + self.n_assessments * len(NOISE_SERIES))


@dataclass(frozen=True)
class Draws:
    """The raw random numbers of several trials: one row of each array per trial."""

    layout: DrawLayout
    trial: Ints  # (trials,) the trials' numbers in the run
    uniforms: Floats  # (trials, layout.n_uniforms)
    normals: Floats  # (trials, layout.n_normals)

    def patient_uniforms(self) -> Floats:
        """``(patients, len(_U))``, trials one after another."""
        per_patient = self.uniforms[:, : self.layout.n_patients * len(_U)]
        return per_patient.reshape(-1, len(_U))

    def block_uniforms(self) -> tuple[Floats, Floats]:
        """Block-size uniforms ``(trials x strata, blocks)`` and slot keys ``(.., slots)``."""
        lay = self.layout
        tail = self.uniforms[:, lay.n_patients * len(_U) :]
        sizes = tail[:, : lay.n_strata * lay.n_blocks].reshape(-1, lay.n_blocks)
        keys = tail[:, lay.n_strata * lay.n_blocks :].reshape(-1, lay.n_slots)
        return sizes, keys

    def patient_normals(self) -> Floats:
        """``(patients, len(_Z))``."""
        return self.normals[:, : self.layout.n_patients * len(_Z)].reshape(-1, len(_Z))

    def noise(self) -> Floats:
        """``(assessments, patients, len(NOISE_SERIES))`` standard normals.

        Assessment-major: the k-th assessments of all patients lie together, so the
        course reads them in one sweep rather than one jump per patient.
        """
        lay = self.layout
        tail = self.normals[:, lay.n_patients * len(_Z) :]
        per_trial = tail.reshape(-1, lay.n_assessments, lay.n_patients, len(NOISE_SERIES))
        return np.ascontiguousarray(per_trial.transpose(1, 0, 2, 3)).reshape(
            lay.n_assessments, -1, len(NOISE_SERIES)
        )


def draw_trials(
    protocol: Protocol,
    population: Population,
    n_per_arm: int,
    *,
    seed: int,
    trials: Sequence[int],
) -> Draws:
    """Draw the random numbers of ``trials`` (numbers in the run), each from its own generator."""
    layout = DrawLayout.of(protocol, population, n_per_arm)
    uniforms = np.empty((len(trials), layout.n_uniforms))
    normals = np.empty((len(trials), layout.n_normals))
    for row, trial in enumerate(trials):
        rng = trial_generator(seed, trial)
        rng.random(out=uniforms[row])
        rng.standard_normal(out=normals[row])
    return Draws(layout, np.asarray(trials, dtype=np.int64), uniforms, normals)


def site_of(population: Population, u: Floats) -> Ints:
    """Sites 0..n_sites-1, equally likely."""
    n_sites = population.trial.n_sites
    return np.minimum((u * n_sites).astype(np.int64), n_sites - 1)


def allocate(
    protocol: Protocol, population: Population, draws: Draws, covariates: dict[str, Ints]
) -> Ints:
    """Arm per patient in enrolment order by the protocol's method, every trial at once.

    ``covariates`` holds each simulated factor's level codes per patient (``site``,
    ``anti-GM1 status``, ``sex``). Permuted blocks run one sequence per trial
    (``blocks``) or per trial and stratum (``stratified_blocks``: every combination of
    the strata's levels) with the protocol's block sizes; minimization balances the
    protocol's factors within each trial; ``simple`` draws each arm by the ratios.
    """
    factors = allocation_factors(protocol)
    n = draws.layout.n_patients * draws.trial.shape[0]
    columns = [U_COLUMNS[c] for c in ("allocation", "allocation_preferred", "allocation_ratio")]
    levels = [covariates[SIMULATED_FACTORS[f]] for f in factors]
    cohort = Cohort(
        ratios=tuple(arm.ratio for arm in protocol.arms),
        trial=np.repeat(np.arange(draws.trial.shape[0]), draws.layout.n_patients),
        levels=np.column_stack(levels) if levels else np.zeros((n, 0), dtype=np.int64),
        n_levels=tuple(factor_levels(population, f) for f in factors),
        uniforms=draws.patient_uniforms()[:, columns],
        block_uniforms=draws.block_uniforms,
    )
    method = protocol.randomization.method
    return ALLOCATORS[method].batch_arms(protocol.randomization, cohort)


@dataclass(frozen=True, eq=False)
class Patients:
    """Every simulated patient of a chunk, one array element per patient.

    Grip arrays are ``(patients, 2)``: column 0 the left hand, 1 the right.
    """

    trial: Ints
    arm: Ints
    on_drug: Bools
    site: Ints
    weight_kg: Floats
    male: Bools
    age_years: Floats
    definite: Bools
    gm1_positive: Bools
    titre0_log2: Floats
    interval_days: Floats
    dose_g: Floats
    intensity_g_per_kg_week: Floats
    first_infusion_day: Floats
    pk: PkParameters
    need_g_per_l: Floats
    ke0_per_day: Floats
    mrc_full: Floats
    mrc_treatable: Floats
    mrc_max: float
    grip_full_kpa: Floats
    grip_treatable_kpa: Floats
    gnds_upper0: Floats
    gnds_lower0: Floats
    rods0: Floats
    progression_mrc_per_day: Floats
    leukopenia_day: Floats
    interruption_end_day: Floats
    discontinuation_day: Floats
    dropout_day: Floats
    lost_to_follow_up: Bools

    @property
    def n(self) -> int:
        """The number of patients."""
        return int(self.trial.shape[0])

    def model(self) -> PkModel:
        """The exponential modes of every patient's IgG kinetics."""
        return PkModel.of(self.pk)

    def take(self, index: npt.NDArray[np.intp]) -> Patients:
        """The patients at ``index``."""
        changes: dict[str, object] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, PkParameters):
                changes[spec.name] = value.take(index)
            elif isinstance(value, np.ndarray):
                changes[spec.name] = value[index]
            else:
                changes[spec.name] = value
        return Patients(**changes)  # type: ignore[arg-type]


def _lognormal(median: float, cv: float, z: Floats) -> Floats:
    return np.asarray(median * np.exp(math.sqrt(math.log1p(cv * cv)) * z), dtype=np.float64)


def baseline_intervals(protocol: Protocol, population: Population) -> tuple[Floats, Floats]:
    """The population's interval choices inside the protocol's eligibility, and their weights."""
    choices = np.asarray(population.regimen.interval_days_choices, dtype=np.float64)
    weights = np.asarray(population.regimen.interval_weights, dtype=np.float64)
    low = protocol.eligibility.ivig_interval_days_min
    high = protocol.eligibility.ivig_interval_days_max
    keep = (choices >= low) & (choices <= high) & (weights > 0)
    if not keep.any():
        raise SimulationError(
            f"regimen.interval_days_choices: got {choices.tolist()}, expected at least one "
            f"interval with weight > 0 within the protocol's eligibility ({low}-{high} days)"
        )
    return choices[keep], weights[keep] / weights[keep].sum()


def build_patients(protocol: Protocol, population: Population, draws: Draws) -> Patients:
    """Turn the raw draws of several trials into patients, all at once.

    ``Patients.trial`` is each patient's row in ``draws`` (0 for the first trial drawn).
    """
    u = draws.patient_uniforms()
    z = draws.patient_normals()
    trial = np.repeat(np.arange(draws.trial.shape[0]), draws.layout.n_patients)
    site = site_of(population, u[:, U_COLUMNS["site"]])
    positive = u[:, U_COLUMNS["gm1_positive"]] < population.covariates.anti_gm1_positive_fraction
    male = u[:, U_COLUMNS["male"]] < population.covariates.male_fraction
    arm = allocate(
        protocol,
        population,
        draws,
        {"site": site, "anti-GM1 status": positive.astype(np.int64), "sex": male.astype(np.int64)},
    )
    cov, reg, need, drug = (
        population.covariates,
        population.regimen,
        population.need,
        population.drug,
    )

    def U(name: str) -> Floats:  # noqa: N802 - reads like the column blocks it names
        return u[:, U_COLUMNS[name]]

    def Z(name: str) -> Floats:  # noqa: N802
        return z[:, Z_COLUMNS[name]]

    on_drug = np.array([a.drug != "placebo" for a in protocol.arms])[arm]
    # To 0.1 kg, as a scale reads it and as the dataset records it: every g/kg dose (a
    # rescue course) is computed on this weight, so a replay of the dataset gives it again.
    weight = np.round(_lognormal(cov.weight_kg_median, cov.weight_cv, Z("weight")), 1)
    low, high = protocol.eligibility.age_min_years, protocol.eligibility.age_max_years
    # Age: a normal cut to the protocol's age range, by inverse CDF of the "age" normal.
    sd = max(cov.age_years_sd, 1e-9)
    a, b = ndtr((low - cov.age_years_mean) / sd), ndtr((high + 1 - 1e-9 - cov.age_years_mean) / sd)
    age = cov.age_years_mean + sd * ndtri(a + ndtr(Z("age")) * (b - a))
    titre_mean = np.where(
        positive, cov.anti_gm1_positive_log2_mean, cov.anti_gm1_negative_log2_mean
    )
    titre = np.clip(titre_mean + cov.anti_gm1_log2_sd * Z("titre"), 0.0, 24.0)

    choices, weights = baseline_intervals(protocol, population)
    pick = np.minimum(
        np.searchsorted(np.cumsum(weights), U("interval"), side="right"), len(choices) - 1
    )
    interval = choices[pick]
    intensity = _lognormal(reg.intensity_g_per_kg_week_median, reg.intensity_cv, Z("intensity"))
    step = reg.dose_rounding_g
    dose = np.maximum(np.round(grams_at_intensity(intensity, weight, interval) / step) * step, step)
    # No course above the largest standard one: cut down to whole vials under it.
    largest = np.maximum(np.floor(reg.max_dose_g_per_kg * weight / step) * step, step)
    dose = np.minimum(dose, largest)
    intensity = dose_intensity(dose, weight, interval)
    # Day 0 falls anywhere in the dosing cycle: the first on-study infusion is on day 0..interval-1.
    first_day = np.floor(U("phase") * interval)

    pk = _pk_parameters(population, weight, Z("eta_cl"), U("v2"), Z("eta_endogenous"))
    mean_exposure = steady_state_mean_g_per_l(PkModel.of(pk), dose, interval)
    remission = U("need_class") < need.remission_fraction
    over = ~remission & (U("need_class") < need.remission_fraction + need.overtreated_fraction)
    over_fraction = need.overtreated_need_min + U("need_over") * (
        need.overtreated_need_max - need.overtreated_need_min
    )
    fraction = np.where(
        remission,
        0.0,
        np.where(
            over,
            over_fraction,
            _lognormal(need.need_fraction_median, need.need_fraction_cv, Z("need")),
        ),
    )
    ke0 = math.log(2.0) / _lognormal(need.effect_half_life_days, need.effect_half_life_cv, Z("ke0"))

    mrc_max = 10.0 * len(protocol.measures.mrc_muscles)
    mrc_full = mrc_max - np.maximum(
        cov.mrc_deficit_points_mean + cov.mrc_deficit_points_sd * Z("mrc_deficit"), 0.0
    )
    mrc_treatable = np.minimum(
        _lognormal(need.mrc_treatable_points_median, need.mrc_treatable_cv, Z("mrc_treatable")),
        0.9 * mrc_full,
    )
    better = np.maximum(
        cov.grip_kpa_better_hand_mean + cov.grip_kpa_better_hand_sd * Z("grip_better"), 10.0
    )
    asymmetry = np.clip(cov.grip_asymmetry_mean + cov.grip_asymmetry_sd * Z("asymmetry"), 0.0, 0.9)
    worse = better * (1.0 - asymmetry)
    worse_treatable = np.minimum(
        _lognormal(need.grip_treatable_kpa_median, need.grip_treatable_cv, Z("grip_treatable")),
        0.9 * worse,
    )
    better_treatable = np.minimum(
        need.grip_treatable_better_hand_ratio * worse_treatable, 0.9 * better
    )
    worse_is_right = U("worse_side") < 0.5
    grip_full = np.where(
        worse_is_right[:, None],
        np.stack([better, worse], axis=1),
        np.stack([worse, better], axis=1),
    )
    grip_treatable = np.where(
        worse_is_right[:, None],
        np.stack([better_treatable, worse_treatable], axis=1),
        np.stack([worse_treatable, better_treatable], axis=1),
    )
    progression = _lognormal(
        population.progression.mrc_points_per_year_median,
        population.progression.mrc_points_per_year_cv,
        Z("progression"),
    )

    p_leuko = np.where(
        on_drug, drug.leukopenia_probability_drug, drug.leukopenia_probability_placebo
    )
    p_stop = np.where(
        on_drug, drug.discontinuation_probability_drug, drug.discontinuation_probability_placebo
    )
    leukopenia = _hazard_days(p_leuko, U("leukopenia"))
    return Patients(
        trial=trial,
        arm=arm,
        on_drug=on_drug,
        site=site,
        weight_kg=weight,
        male=male,
        age_years=np.clip(age, low, high),
        definite=U("definite") < cov.efns_definite_fraction,
        gm1_positive=positive,
        titre0_log2=titre,
        interval_days=interval,
        dose_g=dose,
        intensity_g_per_kg_week=intensity,
        first_infusion_day=first_day,
        pk=pk,
        need_g_per_l=fraction * mean_exposure,
        ke0_per_day=ke0,
        mrc_full=mrc_full,
        mrc_treatable=mrc_treatable,
        mrc_max=mrc_max,
        grip_full_kpa=grip_full,
        grip_treatable_kpa=grip_treatable,
        gnds_upper0=np.clip(
            np.round(cov.gnds_upper_mean + cov.gnds_sd * Z("gnds_upper")), 0.0, 5.0
        ),
        gnds_lower0=np.clip(
            np.round(cov.gnds_lower_mean + cov.gnds_sd * Z("gnds_lower")), 0.0, 5.0
        ),
        rods0=np.clip(cov.mmn_rods_centile_mean + cov.mmn_rods_centile_sd * Z("rods"), 0.0, 100.0),
        progression_mrc_per_day=progression / DAYS_PER_YEAR,
        leukopenia_day=leukopenia,
        interruption_end_day=leukopenia + drug.interruption_days,
        discontinuation_day=_hazard_days(p_stop, U("discontinuation")),
        dropout_day=_hazard_days(
            np.full(u.shape[0], population.dropout.probability_12_months), U("dropout")
        ),
        lost_to_follow_up=U("lost") < population.dropout.lost_to_follow_up_fraction,
    )


def _hazard_days(probability_12_months: Floats, u: Floats) -> Floats:
    """Day (>= 1) of an event with a constant hazard giving ``p`` in 12 months; inf if never."""
    rate = -np.log1p(-probability_12_months) / DAYS_PER_YEAR
    with np.errstate(divide="ignore"):
        day = np.ceil(-np.log1p(-u) / rate)
    return np.asarray(np.where(rate > 0.0, np.maximum(day, 1.0), np.inf), dtype=np.float64)


def _pk_parameters(
    population: Population, weight: Floats, z_cl: Floats, u_v2: Floats, z_endogenous: Floats
) -> PkParameters:
    """Individual PK as in :func:`mmntrial.simulate.pk.sample_pk_parameters`, from our blocks."""
    pop = population.pk
    typical = PkParameters.from_population_typical(pop, weight)
    tail = float(ndtr(-pop.v2_eta_truncation_sd))
    eta_v2 = _omega(pop.v2_cv) * ndtri(tail + u_v2 * (1.0 - 2.0 * tail))
    return PkParameters(
        CL_L_per_day=typical.CL_L_per_day * np.exp(_omega(pop.cl_cv) * z_cl),
        V1_L=typical.V1_L,
        Q_L_per_day=typical.Q_L_per_day,
        V2_L=typical.V2_L * np.exp(eta_v2),
        endogenous_igg_g_per_l=typical.endogenous_igg_g_per_l
        * np.exp(_omega(pop.endogenous_cv) * z_endogenous),
    )


def _omega(cv: float) -> float:
    return math.sqrt(math.log1p(cv * cv))


__all__ = [
    "NOISE_SERIES",
    "SIMULATED_FACTORS",
    "DrawLayout",
    "Draws",
    "Patients",
    "allocation_factors",
    "build_patients",
    "draw_trials",
    "max_assessments",
    "n_patients_per_trial",
    "trial_generator",
]

"""The virtual MMN population as typed, frozen data, one dataclass per file section.

Each field is one parameter of a population file (``{ value = ..., source = ... }``);
its metadata (meaning, range) generates the file's schema, so a parameter is declared
once, here. A :class:`Population` is built only by :mod:`mmntrial.simulate.population`,
which validates the file first. docs/simulation.md explains the model each section
feeds; the built-in ``mmn-default`` file gives every value with its source.

Fractions are fractions (0.45, not 45%); "12-month probabilities" are converted to
constant hazards by the simulator (``-ln(1 - p) / 365.25`` per day).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mmntrial.measures.labs import LAB_UNITS
from mmntrial.simulate.pk.parameters import PkPopulation
from mmntrial.simulate.population._params import param

_FRACTION: dict[str, Any] = {"minimum": 0.0, "maximum": 1.0}
_POSITIVE: dict[str, Any] = {"minimum": 0.0, "min_open": True}
_CV: dict[str, Any] = {"minimum": 0.0, "maximum": 3.0}
# Far above any MMN trial (a rare disease: tens of patients per arm), far below what
# would exhaust memory; the simulator's --n-per-arm has the same cap.
MAX_N_PER_ARM = 1_000


@dataclass(frozen=True)
class TrialSettings:
    """How the simulated trial is run where the protocol is silent."""

    n_per_arm: int = param(
        "patients per arm at 1:1 (total = n_per_arm x arms)",
        minimum=1,
        maximum=MAX_N_PER_ARM,
        kind="integer",
    )
    n_sites: int = param(
        "recruiting sites (the centre stratum)", minimum=1, maximum=100, kind="integer"
    )
    repeat_visit_delay_days: int = param(
        "days from a drop to its confirmation visit", minimum=1, maximum=60, kind="integer"
    )
    screening_excluded_fraction: float = param("screened but not eligible", **_FRACTION)
    screening_declined_fraction: float = param("eligible but declined", **_FRACTION)


@dataclass(frozen=True)
class Covariates:
    """Who the patients are at randomization, on their maintenance IVIg."""

    weight_kg_median: float = param("median body weight, log-normal (kg)", **_POSITIVE)
    weight_cv: float = param("CV of body weight", **_CV)
    male_fraction: float = param("fraction of men", **_FRACTION)
    age_years_mean: float = param("mean age, normal, cut to the protocol's range", **_POSITIVE)
    age_years_sd: float = param("SD of age (years)", minimum=0.0)
    efns_definite_fraction: float = param("definite (else probable) MMN", **_FRACTION)
    anti_gm1_positive_fraction: float = param("anti-GM1 IgM positive", **_FRACTION)
    anti_gm1_positive_log2_mean: float = param("mean titre if positive (log2)", minimum=0.0)
    anti_gm1_negative_log2_mean: float = param("mean titre if negative (log2)", minimum=0.0)
    anti_gm1_log2_sd: float = param("SD of the true titre (log2 steps)", minimum=0.0)
    mrc_deficit_points_mean: float = param(
        "mean MRC sum below the maximum on treatment (points)", minimum=0.0
    )
    mrc_deficit_points_sd: float = param("SD of that deficit (points)", minimum=0.0)
    grip_kpa_better_hand_mean: float = param("mean grip, less affected hand (kPa)", **_POSITIVE)
    grip_kpa_better_hand_sd: float = param("SD of that grip (kPa)", minimum=0.0)
    grip_asymmetry_mean: float = param(
        "mean fraction by which the more affected hand is weaker", minimum=0.0, maximum=0.95
    )
    grip_asymmetry_sd: float = param("SD of that fraction", minimum=0.0)
    gnds_upper_mean: float = param("mean GNDS upper limb (0-5)", minimum=0.0, maximum=5.0)
    gnds_lower_mean: float = param("mean GNDS lower limb (0-5)", minimum=0.0, maximum=5.0)
    gnds_sd: float = param("SD of GNDS before rounding", minimum=0.0)
    mmn_rods_centile_mean: float = param("mean MMN-RODS centile", minimum=0.0, maximum=100.0)
    mmn_rods_centile_sd: float = param("SD of MMN-RODS centile", minimum=0.0)


@dataclass(frozen=True)
class Regimen:
    """The baseline maintenance regimen, within the protocol's eligible intervals."""

    interval_days_choices: tuple[float, ...] = param(
        "baseline intervals (days)", kind="numbers", minimum=1.0, min_items=1
    )
    interval_weights: tuple[float, ...] = param(
        "relative frequency of each interval", kind="numbers", minimum=0.0, min_items=1
    )
    intensity_g_per_kg_week_median: float = param(
        "median baseline intensity, log-normal (g/kg/week)", **_POSITIVE
    )
    intensity_cv: float = param("CV of baseline intensity", **_CV)
    dose_rounding_g: float = param("doses rounded to a multiple of this (vials, g)", **_POSITIVE)
    max_dose_g_per_kg: float = param(
        "largest dose per infusion (g/kg); the log-normal's upper tail is cut there",
        **_POSITIVE,
    )


@dataclass(frozen=True)
class Need:
    """The personal need for exogenous IgG and how strength follows exposure."""

    remission_fraction: float = param("need no IVIg at all", **_FRACTION)
    overtreated_fraction: float = param("need well below the current dose", **_FRACTION)
    overtreated_need_min: float = param("their need, lowest (x baseline mean IgG)", **_FRACTION)
    overtreated_need_max: float = param("their need, highest (x baseline mean IgG)", **_FRACTION)
    need_fraction_median: float = param("everyone else: median need (x baseline)", **_POSITIVE)
    need_fraction_cv: float = param("everyone else: CV of need", **_CV)
    effect_half_life_days: float = param(
        "median half-life of the effect compartment (strength lags exposure)", **_POSITIVE
    )
    effect_half_life_cv: float = param("CV of that half-life", **_CV)
    mrc_treatable_points_median: float = param(
        "median MRC sum points IVIg sustains (lost off IVIg)", minimum=0.0
    )
    mrc_treatable_cv: float = param("CV of those points", **_CV)
    grip_treatable_kpa_median: float = param(
        "median grip IVIg sustains in the more affected hand (kPa)", minimum=0.0
    )
    grip_treatable_cv: float = param("CV of that grip", **_CV)
    grip_treatable_better_hand_ratio: float = param(
        "the less affected hand's share, relative to the more affected", **_FRACTION
    )
    mmn_rods_centile_per_capacity: float = param(
        "MMN-RODS centile points lost per unit fraction of arm capacity lost", minimum=0.0
    )


@dataclass(frozen=True)
class Progression:
    """Slow axonal loss on maintenance, independent of the dose."""

    mrc_points_per_year_median: float = param("median MRC sum decline per year", minimum=0.0)
    mrc_points_per_year_cv: float = param("CV of that decline", **_CV)
    grip_kpa_per_mrc_point: float = param("grip lost per MRC point lost (kPa)", minimum=0.0)


@dataclass(frozen=True)
class Noise:
    """Measurement error at each assessment (independent between visits)."""

    mrc_sum_sd: float = param("MRC sum (points)", minimum=0.0)
    grip_kpa_sd: float = param("grip per hand (kPa)", minimum=0.0)
    gnds_capacity_step: float = param(
        "GNDS moves one grade per this real change of arm capacity (fraction)",
        minimum=0.0,
        min_open=True,
        maximum=1.0,
    )
    gnds_misgrade_probability: float = param(
        "chance that a GNDS limb score is one grade off (half up, half down)", **_FRACTION
    )
    mmn_rods_centile_sd: float = param("MMN-RODS (centile)", minimum=0.0)
    anti_gm1_log2_sd: float = param("anti-GM1 titre, assay variation (log2 steps)", minimum=0.0)


@dataclass(frozen=True)
class Drug:
    """The add-on drug (the study arm) and the placebo arm's matching rates."""

    onset_time_constant_days: float = param("time constant of the drug's onset", **_POSITIVE)
    titre_fall_log2_at_full_effect: float = param(
        "fall in anti-GM1 titre at full onset when effect = 1 (log2)", minimum=0.0
    )
    leukopenia_probability_drug: float = param("leukopenia/neutropenia in 12 months", **_FRACTION)
    leukopenia_probability_placebo: float = param("the same on placebo", **_FRACTION)
    interruption_days: float = param("study drug interrupted for leukopenia (days)", minimum=0.0)
    infection_rate_per_year_drug: float = param("infections per patient-year", minimum=0.0)
    infection_rate_per_year_placebo: float = param("the same on placebo", minimum=0.0)
    serious_infection_fraction: float = param("infections that are serious", **_FRACTION)
    gi_upset_probability_drug: float = param("diarrhoea/GI upset in 12 months", **_FRACTION)
    gi_upset_probability_placebo: float = param("the same on placebo", **_FRACTION)
    discontinuation_probability_drug: float = param(
        "stop the study drug for side effects in 12 months (and leave the trial)",
        minimum=0.0,
        maximum=1.0,
        max_open=True,
    )
    discontinuation_probability_placebo: float = param(
        "the same on placebo", minimum=0.0, maximum=1.0, max_open=True
    )


@dataclass(frozen=True)
class Dropout:
    """Leaving the trial for reasons other than side effects."""

    probability_12_months: float = param(
        "dropout in 12 months", minimum=0.0, maximum=1.0, max_open=True
    )
    lost_to_follow_up_fraction: float = param("dropouts lost rather than withdrawn", **_FRACTION)


@dataclass(frozen=True)
class Harm:
    """What counts as time spent deteriorated: true weakness caused by under-dosing."""

    mrc_points: float = param("true MRC sum loss that counts (points)", **_POSITIVE)
    grip_kpa: float = param("true grip loss in either hand that counts (kPa)", **_POSITIVE)


def _limit(lab: str, which: str) -> Any:
    return param(f"{lab}: the lab's {which} limit of normal ({LAB_UNITS[lab]})", **_POSITIVE)


def _median(lab: str) -> Any:
    return param(f"{lab}: median in healthy adults ({LAB_UNITS[lab]})", **_POSITIVE)


@dataclass(frozen=True)
class LabDraw:
    """One lab's normal range and the healthy-adult distribution of its values."""

    lab: str
    lln: float
    uln: float
    median: float
    cv: float


@dataclass(frozen=True)
class Labs:
    """Laboratory values: each lab's normal range and healthy distribution, and the
    counts of a leukopenia episode.

    A healthy value is log-normal around the lab's median with its CV; a share of that
    variance is visit to visit (``within_subject_variance_fraction``), the rest a personal
    set point, so a subject low once tends to be low again. During a leukopenia episode
    of the study drug the neutrophils are uniform between their two bounds and the white
    cells are the neutrophils plus a uniform count of the other white cells.
    """

    neutrophils_lln: float = _limit("neutrophils", "lower")
    neutrophils_uln: float = _limit("neutrophils", "upper")
    neutrophils_median: float = _median("neutrophils")
    neutrophils_cv: float = param("CV of healthy neutrophils, log-normal", **_CV)
    wbc_lln: float = _limit("wbc", "lower")
    wbc_uln: float = _limit("wbc", "upper")
    wbc_median: float = _median("wbc")
    wbc_cv: float = param("CV of healthy wbc, log-normal", **_CV)
    platelets_lln: float = _limit("platelets", "lower")
    platelets_uln: float = _limit("platelets", "upper")
    platelets_median: float = _median("platelets")
    platelets_cv: float = param("CV of healthy platelets, log-normal", **_CV)
    haemoglobin_lln: float = _limit("haemoglobin", "lower")
    haemoglobin_uln: float = _limit("haemoglobin", "upper")
    haemoglobin_median: float = _median("haemoglobin")
    haemoglobin_cv: float = param("CV of healthy haemoglobin, log-normal", **_CV)
    alt_lln: float = _limit("alt", "lower")
    alt_uln: float = _limit("alt", "upper")
    alt_median: float = _median("alt")
    alt_cv: float = param("CV of healthy alt, log-normal", **_CV)
    ast_lln: float = _limit("ast", "lower")
    ast_uln: float = _limit("ast", "upper")
    ast_median: float = _median("ast")
    ast_cv: float = param("CV of healthy ast, log-normal", **_CV)
    bilirubin_lln: float = _limit("bilirubin", "lower")
    bilirubin_uln: float = _limit("bilirubin", "upper")
    bilirubin_median: float = _median("bilirubin")
    bilirubin_cv: float = param("CV of healthy bilirubin, log-normal", **_CV)
    creatinine_lln: float = _limit("creatinine", "lower")
    creatinine_uln: float = _limit("creatinine", "upper")
    creatinine_median: float = _median("creatinine")
    creatinine_cv: float = param("CV of healthy creatinine, log-normal", **_CV)

    within_subject_variance_fraction: float = param(
        "share of a healthy lab's log-variance that is visit to visit (the rest personal)",
        **_FRACTION,
    )
    leukopenia_neutrophils_min: float = param(
        "neutrophils in a leukopenia episode, lowest (10^9/L)", **_POSITIVE
    )
    leukopenia_neutrophils_max: float = param(
        "neutrophils in a leukopenia episode, highest (10^9/L)", **_POSITIVE
    )
    leukopenia_other_wbc_min: float = param(
        "white cells other than neutrophils in a leukopenia episode, lowest (10^9/L)",
        minimum=0.0,
    )
    leukopenia_other_wbc_max: float = param(
        "white cells other than neutrophils in a leukopenia episode, highest (10^9/L)",
        minimum=0.0,
    )

    def of(self, lab: str) -> LabDraw:
        """The normal range and healthy distribution of ``lab`` (one of
        :data:`mmntrial.protocol.model.SAFETY_LABS`: each has its four fields here)."""
        return LabDraw(
            lab=lab,
            lln=getattr(self, f"{lab}_lln"),
            uln=getattr(self, f"{lab}_uln"),
            median=getattr(self, f"{lab}_median"),
            cv=getattr(self, f"{lab}_cv"),
        )


SECTIONS: dict[str, tuple[type, str]] = {
    "trial": (TrialSettings, "how the simulated trial is run"),
    "covariates": (Covariates, "who the patients are"),
    "regimen": (Regimen, "the baseline IVIg regimen"),
    "need": (Need, "the dose need and strength"),
    "progression": (Progression, "axonal loss"),
    "noise": (Noise, "measurement error"),
    "drug": (Drug, "the add-on drug and its adverse events"),
    "dropout": (Dropout, "dropout"),
    "harm": (Harm, "time spent deteriorated"),
    "labs": (Labs, "laboratory values: normal ranges, healthy values, leukopenia"),
}


@dataclass(frozen=True)
class Population:
    """A whole virtual population, validated; ``sources`` maps ``section.key`` to its source."""

    name: str
    title: str
    description: str
    trial: TrialSettings
    covariates: Covariates
    regimen: Regimen
    pk: PkPopulation
    need: Need
    progression: Progression
    noise: Noise
    drug: Drug
    dropout: Dropout
    harm: Harm
    labs: Labs
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    origin: str = field(default="", compare=False)


__all__ = [
    "MAX_N_PER_ARM",
    "SECTIONS",
    "Covariates",
    "Dropout",
    "Drug",
    "Harm",
    "LabDraw",
    "Labs",
    "Need",
    "Noise",
    "Population",
    "Progression",
    "Regimen",
    "TrialSettings",
]

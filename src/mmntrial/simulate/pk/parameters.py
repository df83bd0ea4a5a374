"""The typical values and variabilities of the IgG population PK model, as plain data.

A :class:`PkPopulation` holds numbers only; it has no defaults, because each number
belongs in a population file with its source tag. The one built-in set is
:meth:`PkPopulation.cheng_2025`, whose docstring says where every value comes from.
Between-patient variability is given as a coefficient of variation (a fraction: 0.427
for 42.7%) of a log-normal distribution whose median is the typical value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Self

from mmntrial.errors import SimulationError

# Bounds that catch unit slips (a CV of 42.7 for 42.7%, grams for g/L), not biology.
_CV_MAX = 3.0
_TRUNCATION_SD_MAX = 8.0


@dataclass(frozen=True)
class PkPopulation:
    """Typical parameters of the two-compartment IgG model and their variability.

    Clearances and volumes are for a patient of ``reference_weight_kg`` and scale with
    ``(weight / reference) ** exponent``. Construct it from a mapping with
    :meth:`from_mapping` (a population file) or take :meth:`cheng_2025`.

    >>> pop = PkPopulation.cheng_2025()
    >>> PkPopulation.from_mapping(pop.to_dict()) == pop
    True
    """

    reference_weight_kg: float
    CL_L_per_day: float
    V1_L: float
    Q_L_per_day: float
    V2_L: float
    clearance_exponent: float
    volume_exponent: float
    cl_cv: float
    v2_cv: float
    v2_eta_truncation_sd: float
    endogenous_igg_g_per_l: float
    endogenous_cv: float
    residual_additive_g_per_l: float
    residual_proportional: float

    def __post_init__(self) -> None:
        problems: list[str] = []
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{spec.name}: got {value!r}, expected a number")
                continue
            object.__setattr__(self, spec.name, float(value))
            low, high, expected = _bounds(spec.name)
            zero_ok = low == 0.0
            if not (math.isfinite(value) and low <= value <= high and (zero_ok or value > 0)):
                problems.append(f"{spec.name}: got {value!r}, expected {expected}")
        if problems:
            raise SimulationError("PkPopulation: " + "; ".join(problems))

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> Self:
        """Build from a mapping with exactly the field names as keys (a parsed TOML table).

        >>> PkPopulation.from_mapping({"CL_L_per_day": 0.3})
        Traceback (most recent call last):
        ...
        mmntrial.errors.SimulationError: PkPopulation: missing keys [...]; ...
        """
        names = [f.name for f in fields(cls)]
        missing = [name for name in names if name not in values]
        unknown = sorted(set(values) - set(names))
        if missing or unknown:
            raise SimulationError(
                f"PkPopulation: missing keys {missing}; unknown keys {unknown}; expected "
                f"exactly {names}"
            )
        return cls(**{name: values[name] for name in names})

    def to_dict(self) -> dict[str, float]:
        """The parameters as a plain dict, the inverse of :meth:`from_mapping`.

        >>> PkPopulation.cheng_2025().to_dict()["cl_cv"]
        0.427
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def cheng_2025(cls) -> Self:
        """The adult MMN population built on Cheng et al., Br J Clin Pharmacol 2025 [S32].

        Origin of each value (DOMAIN.md section 4; "Table 4" is [S32] Table 4, also
        transcribed in the nlmixr2lib model ``Cheng_2026_immunoglobulin``):

        - ``CL_L_per_day`` 0.308, ``V1_L`` 3.59, ``Q_L_per_day`` 1.08, ``V2_L`` 7.37 at
          ``reference_weight_kg`` 70: Table 4, primary-immunodeficiency patients. The
          source's factor of 0.542 on CL for secondary antibody deficiency does not
          apply to MMN and is not used.
        - ``clearance_exponent`` 0.75 (CL, Q) and ``volume_exponent`` 1 (V1, V2): fixed
          in the final model of [S32] (Methods).
        - ``cl_cv`` 0.427, ``v2_cv`` 1.386, ``endogenous_cv`` 0.493: Table 4; V1 and Q
          have no variability in [S32]; no covariances are reported, so none are used.
        - ``v2_eta_truncation_sd`` 2.0: OUR CHOICE, not in [S32]. A CV of 138.6% (omega
          1.04) is what a trough-dominated data set of 64 children could say about the
          peripheral volume; untruncated, about one patient in 190 would get V2 above 14 times
          typical (over 100 L at 70 kg, beyond any extracellular space) and a terminal
          half-life of many months. Truncating the normal deviation at 2 SD keeps V2
          within 0.13-7.9 times typical (0.9-58 L at 70 kg) and leaves the central 95%
          of the published distribution unchanged.
        - ``endogenous_igg_g_per_l`` 9.0: NOT from [S32], whose baseline of 5.67 g/L is
          for antibody-deficient children; MMN patients make IgG normally, and DOMAIN.md
          section 4 gives "about 8-10 g/L" for adults (9.0 is the middle). The CV of
          0.493 is Table 4's and is wider than among healthy adults; it is kept until an
          MMN cohort gives a better value.
        - ``residual_additive_g_per_l`` 0.812 and ``residual_proportional`` 0.117:
          Table 4, combined error on measured total IgG.

        >>> PkPopulation.cheng_2025().V2_L
        7.37
        """
        return cls(
            reference_weight_kg=70.0,
            CL_L_per_day=0.308,
            V1_L=3.59,
            Q_L_per_day=1.08,
            V2_L=7.37,
            clearance_exponent=0.75,
            volume_exponent=1.0,
            cl_cv=0.427,
            v2_cv=1.386,
            v2_eta_truncation_sd=2.0,
            endogenous_igg_g_per_l=9.0,
            endogenous_cv=0.493,
            residual_additive_g_per_l=0.812,
            residual_proportional=0.117,
        )


def _bounds(name: str) -> tuple[float, float, str]:
    """The accepted range of a field: (low, high, words for the message)."""
    if name.endswith("_cv") or name == "residual_proportional":
        return 0.0, _CV_MAX, f"a fraction from 0 to {_CV_MAX} (0.427 means 42.7%)"
    if name.endswith("_exponent"):
        return 0.0, 2.0, "an allometric exponent from 0 to 2"
    if name == "v2_eta_truncation_sd":
        return (
            math.ulp(0.0),
            _TRUNCATION_SD_MAX,
            f"a number of SD above 0 and at most {_TRUNCATION_SD_MAX}",
        )
    if name == "residual_additive_g_per_l":
        return 0.0, math.inf, "a finite concentration >= 0"
    return math.ulp(0.0), math.inf, "a finite value > 0"


__all__ = ["PkPopulation"]

"""The clinical and supportive findings of EFNS/PNS 2010 [S5], as a screening form records them.

Every finding is a required field: a form that leaves one out is refused rather than
read as "absent", since an unasked exclusion question must not admit a patient.
The criteria's numbers (``clinical.*`` in ``efns-pns-2010.toml``) and wording come from
:mod:`mmntrial.diagnosis.guideline`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from mmntrial.diagnosis.guideline import Guideline, efns_pns_2010
from mmntrial.errors import MeasureError
from mmntrial.measures.mrc import check_mrc_grade


def _check_flags(record: ClinicalFindings | SupportiveFindings, what: str) -> None:
    # A form posts text; "no" must not become a truthy flag.
    for field in fields(record):
        value = getattr(record, field.name)
        if field.type == "bool" and not isinstance(value, bool):
            raise MeasureError(f"{what}.{field.name}: got {value!r}, expected true or false")


@dataclass(frozen=True, kw_only=True)
class ClinicalFindings:
    """The clinical criteria 1-11 at screening.

    ``focal_asymmetric_weakness``: slowly or stepwise progressive, focal, asymmetric limb
    weakness (criterion 1, with :func:`asymmetric` for the grades); ``affected_nerves``:
    in how many nerves' motor distribution; ``weakness_months``: for how long.
    ``objective_sensory_abnormality``: objective sensory signs beyond minor vibration
    loss in the legs, which fails core criterion 2 and is exclusion 10. The supportive
    clinical criteria 3-7 and the exclusions 8, 9 and 11 are one flag each.
    """

    focal_asymmetric_weakness: bool
    affected_nerves: int
    weakness_months: float
    objective_sensory_abnormality: bool
    predominant_upper_limb: bool
    reduced_reflexes: bool
    no_cranial_nerves: bool
    cramps_fasciculations: bool
    immunomodulation_response: bool
    upper_motor_neuron_signs: bool
    marked_bulbar_involvement: bool
    diffuse_symmetric_weakness: bool

    def __post_init__(self) -> None:
        _check_flags(self, "clinical")
        nerves = self.affected_nerves
        if isinstance(nerves, bool) or not isinstance(nerves, int) or nerves < 0:
            raise MeasureError(
                f"clinical.affected_nerves: got {nerves!r}, expected a whole number of nerves >= 0"
            )
        months = self.weakness_months
        if (
            isinstance(months, bool)
            or not isinstance(months, int | float)
            or not math.isfinite(months)
            or months < 0
        ):
            raise MeasureError(
                f"clinical.weakness_months: got {months!r}, expected a duration in months >= 0"
            )

    def supportive(self, guideline: Guideline | None = None) -> tuple[str, ...]:
        """The wording of the supportive clinical criteria (3-7) that are present."""
        g = guideline or efns_pns_2010()
        keys = (
            "predominant_upper_limb",
            "reduced_reflexes",
            "no_cranial_nerves",
            "cramps_fasciculations",
            "immunomodulation_response",
        )
        return tuple(g.wording("clinical.supportive", k) for k in keys if getattr(self, k))

    def exclusions(self, guideline: Guideline | None = None) -> tuple[str, ...]:
        """The wording of the exclusion criteria (8-11) that are present."""
        g = guideline or efns_pns_2010()
        present = {
            "upper_motor_neuron_signs": self.upper_motor_neuron_signs,
            "marked_bulbar_involvement": self.marked_bulbar_involvement,
            "sensory_impairment": self.objective_sensory_abnormality,
            "diffuse_symmetric_weakness": self.diffuse_symmetric_weakness,
        }
        return tuple(g.wording("clinical.exclusion", k) for k, yes in present.items() if yes)


@dataclass(frozen=True, kw_only=True)
class SupportiveFindings:
    """The supportive criteria 1-4 (antibodies, CSF, MRI, IVIg response), one flag each."""

    anti_gm1: bool
    csf_protein: bool
    mri_plexus: bool
    ivig_improvement: bool

    def __post_init__(self) -> None:
        _check_flags(self, "supportive")

    def present(self, guideline: Guideline | None = None) -> tuple[str, ...]:
        """The wording of the supportive criteria that are present."""
        g = guideline or efns_pns_2010()
        keys = ("anti_gm1", "csf_protein", "mri_plexus", "ivig_improvement")
        return tuple(g.wording("supportive", k) for k in keys if getattr(self, k))


def asymmetric(
    left_grade: float, right_grade: float, muscle: str, guideline: Guideline | None = None
) -> bool:
    """Whether one muscle's MRC grades differ enough between the sides to be asymmetric.

    EFNS/PNS 2010 [S5]: a difference of 1 grade if strength is above 3, and of 2 grades if
    it is 3 or less; strength is the weaker side's grade.

    >>> asymmetric(4, 5, "finger_extension"), asymmetric(3, 4, "finger_extension")
    (True, False)
    """
    g = guideline or efns_pns_2010()
    left = check_mrc_grade(left_grade, f"{muscle} (left)", quarter_steps=True)
    right = check_mrc_grade(right_grade, f"{muscle} (right)", quarter_steps=True)
    weaker, difference = min(left, right), abs(left - right)
    t = g.thresholds
    needed = (
        t["asymmetry_grades_when_strong"]
        if weaker > t["asymmetry_strong_above_grade"]
        else t["asymmetry_grades_when_weak"]
    )
    return difference >= needed


__all__ = ["ClinicalFindings", "SupportiveFindings", "asymmetric"]

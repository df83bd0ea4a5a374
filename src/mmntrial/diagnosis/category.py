"""The EFNS/PNS 2010 diagnostic category of MMN from the findings at screening [S5].

With the clinical criteria 1 and 2 met and no exclusion (8-11):

- **definite**: a definite conduction block with normal sensory conduction in the
  segment (electrophysiological criteria 1 and 3) in one nerve;
- **probable**: a probable (or definite) block with normal sensory conduction in two
  nerves, or in one nerve with at least two supportive criteria 1-4;
- **possible**: normal sensory nerve conduction and at least two supportive criteria
  1-4, or signs in one nerve only (criterion 1 met but for the number of nerves) with a
  definite or probable block and normal sensory conduction in one nerve;
- **not met** otherwise, with every reason in words.

The counts are ``categories`` of ``efns-pns-2010.toml``, which says which of them to
verify against the guideline's table.

>>> from mmntrial.diagnosis.clinical import ClinicalFindings, SupportiveFindings
>>> clinical = ClinicalFindings(focal_asymmetric_weakness=True, affected_nerves=3,
...     weakness_months=14, objective_sensory_abnormality=False,
...     predominant_upper_limb=True, reduced_reflexes=True, no_cranial_nerves=True,
...     cramps_fasciculations=False, immunomodulation_response=True,
...     upper_motor_neuron_signs=False, marked_bulbar_involvement=False,
...     diffuse_symmetric_weakness=False)
>>> none = SupportiveFindings(anti_gm1=False, csf_protein=False, mri_plexus=False,
...     ivig_improvement=False)
>>> result = diagnose(clinical, [], none, sensory_conduction_normal=True)
>>> result.category.value
'not_met'
>>> result.reasons[-1]
'no definite or probable conduction block with normal sensory conduction in any nerve, ...'
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from mmntrial.diagnosis.clinical import ClinicalFindings, SupportiveFindings
from mmntrial.diagnosis.conduction import (
    BlockGrade,
    SegmentStudy,
    SegmentVerdict,
    conduction_block,
)
from mmntrial.diagnosis.guideline import Guideline, efns_pns_2010


class Category(StrEnum):
    """The diagnostic category; the values are those of ``eligibility.efns_categories``."""

    DEFINITE = "definite"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    NOT_MET = "not_met"


@dataclass(frozen=True)
class Diagnosis:
    """The category, the reasons in words, each segment's verdict and what supports it."""

    category: Category
    reasons: tuple[str, ...]
    segments: tuple[SegmentVerdict, ...]
    supportive_clinical: tuple[str, ...]
    supportive: tuple[str, ...]

    def admitted(self, categories: Collection[str]) -> bool:
        """Whether a protocol admitting ``categories`` (its ``efns_categories``) admits it."""
        return self.category is not Category.NOT_MET and self.category.value in categories


def _nerves(verdicts: Sequence[SegmentVerdict], grades: Collection[BlockGrade]) -> list[str]:
    """The nerves with a counting block of one of ``grades``, in study order, once each."""
    found = [v.study.nerve for v in verdicts if v.counts and v.grade in grades]
    return list(dict.fromkeys(found))


def _clinical_failures(clinical: ClinicalFindings, g: Guideline) -> list[str]:
    """Why the clinical criteria 1 and 2 are not met (the number of nerves aside)."""
    t = g.thresholds
    failures = []
    if not clinical.focal_asymmetric_weakness:
        failures.append(
            f"core criterion not met: {g.wording('clinical.core', 'focal_asymmetric_weakness')}"
        )
    elif not clinical.weakness_months > t["min_weakness_months"]:
        failures.append(
            f"core criterion not met: weakness for {clinical.weakness_months:g} months, expected "
            f"more than {t['min_weakness_months']:g} "
            f"({g.wording('clinical.core', 'focal_asymmetric_weakness')})"
        )
    if clinical.affected_nerves < 1:
        failures.append(
            "core criterion not met: no nerve with weakness in its motor distribution "
            f"({g.wording('clinical.core', 'focal_asymmetric_weakness')})"
        )
    if clinical.objective_sensory_abnormality:
        failures.append(
            f"core criterion not met: {g.wording('clinical.core', 'no_sensory_abnormality')}"
        )
    return failures


def diagnose(
    clinical: ClinicalFindings,
    segments: Sequence[SegmentStudy],
    supportive: SupportiveFindings,
    *,
    sensory_conduction_normal: bool,
    guideline: Guideline | None = None,
) -> Diagnosis:
    """The EFNS/PNS 2010 category from the findings, with the reasons in words.

    ``segments``: every motor segment studied; ``sensory_conduction_normal``: the
    sensory nerve conduction studies as a whole are normal.
    """
    g = guideline or efns_pns_2010()
    t = g.thresholds
    verdicts = tuple(conduction_block(s, g) for s in segments)
    present = supportive.present(g)

    def result(category: Category, reasons: list[str]) -> Diagnosis:
        return Diagnosis(category, tuple(reasons), verdicts, clinical.supportive(g), present)

    failures = _clinical_failures(clinical, g)
    failures += [f"exclusion criterion present: {text}" for text in clinical.exclusions(g)]
    if failures:
        return result(Category.NOT_MET, failures)
    definite = _nerves(verdicts, (BlockGrade.DEFINITE,))
    blocked = _nerves(verdicts, (BlockGrade.DEFINITE, BlockGrade.PROBABLE))
    n_support = len(present)
    support_text = f"{n_support} supportive criteria ({'; '.join(present) or 'none'})"
    if clinical.affected_nerves < t["min_affected_nerves"]:
        # Criterion 1 in the distribution of one nerve only: at most possible.
        if blocked:
            return result(
                Category.POSSIBLE,
                [
                    f"signs in the distribution of {clinical.affected_nerves} nerve only "
                    f"(definite or probable needs {t['min_affected_nerves']:g}) with conduction "
                    f"block and normal sensory conduction in {blocked[0]}"
                ],
            )
        return result(
            Category.NOT_MET,
            [
                f"signs in the distribution of {clinical.affected_nerves} nerve only and no "
                "definite or probable conduction block with normal sensory conduction"
            ],
        )
    if len(definite) >= t["definite_nerves"]:
        return result(
            Category.DEFINITE,
            [f"definite conduction block with normal sensory conduction in {', '.join(definite)}"],
        )
    if len(blocked) >= t["probable_nerves"]:
        return result(
            Category.PROBABLE,
            [f"probable conduction block with normal sensory conduction in {', '.join(blocked)}"],
        )
    if len(blocked) >= t["probable_supported_nerves"] and n_support >= t["probable_min_supportive"]:
        return result(
            Category.PROBABLE,
            [
                f"probable conduction block with normal sensory conduction in {blocked[0]} "
                f"and {support_text}"
            ],
        )
    if sensory_conduction_normal and n_support >= t["possible_min_supportive"]:
        return result(
            Category.POSSIBLE,
            [f"normal sensory nerve conduction and {support_text}"],
        )
    reasons = [v for verdict in verdicts for v in verdict.reasons]
    if blocked:
        reasons.append(
            f"probable conduction block in {blocked[0]} only, with {support_text}: probable "
            f"needs {t['probable_nerves']:g} nerves, or {t['probable_min_supportive']:g} "
            "supportive criteria"
        )
    else:
        reasons.append(
            "no definite or probable conduction block with normal sensory conduction in any "
            f"nerve, and {support_text}"
            + ("" if sensory_conduction_normal else " with abnormal sensory nerve conduction")
        )
    return result(Category.NOT_MET, reasons)


__all__ = ["Category", "Diagnosis", "diagnose"]

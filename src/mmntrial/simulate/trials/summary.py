"""The summary of many simulated trials of one design, as typed, frozen objects.

:class:`DesignSummary` holds the rejection rate (power, or the type I error when the
drug has no effect) with its Wilson 95% Monte-Carlo interval, and one
:class:`ArmSummary` per arm. Callers read attributes (``summary.drug.
ivig_saved_g_per_patient_year``); :meth:`DesignSummary.to_dict` and
:meth:`DesignSummary.to_row` give the nested and the flat (``drug_...``,
``control_...``) forms that JSON and tables need.

>>> arm = ArmSummary("mmf", 0.5, 30.0, 25.0, 800.0, 400.0, 2.0, 4.5, 3.0, 1.0)
>>> s = DesignSummary(10, 0.5, 1, 0.6, (0.31, 0.83), 0.6, (arm,), "mmf", "mmf")
>>> s.measure, s.drug.mean_reduction_pct, s.to_row()["drug_dropouts_per_trial"]
('power', 30.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

from mmntrial.intervals import wilson_interval


@dataclass(frozen=True)
class ArmSummary:
    """Per-arm figures over the simulated trials of one design.

    ``proportion_reaching_primary`` pools the arm's patients of every trial; the rest are
    means over trials (the median reduction: the median over trials of each trial's
    median); ``ivig_saved_g_per_patient_year`` is baseline minus on-study use.
    """

    arm: str
    proportion_reaching_primary: float
    mean_reduction_pct: float
    median_reduction_pct: float
    ivig_g_per_patient_year: float
    ivig_saved_g_per_patient_year: float
    deteriorations_per_patient: float
    full_dose_episodes_per_patient: float
    weeks_deteriorated_per_patient: float
    dropouts_per_trial: float

    @classmethod
    def from_trials(cls, per_trial: pd.DataFrame, arm: str) -> ArmSummary:
        """The figures of ``arm`` from per-trial rows (see ``TrialResults``)."""
        patients = per_trial[f"n_{arm}"].sum()
        saved = (
            per_trial[f"baseline_ivig_g_per_patient_year_{arm}"]
            - per_trial[f"ivig_g_per_patient_year_{arm}"]
        )
        return cls(
            arm=arm,
            proportion_reaching_primary=float(per_trial[f"responders_{arm}"].sum() / patients),
            mean_reduction_pct=float(per_trial[f"mean_reduction_pct_{arm}"].mean()),
            median_reduction_pct=float(per_trial[f"median_reduction_pct_{arm}"].median()),
            ivig_g_per_patient_year=float(per_trial[f"ivig_g_per_patient_year_{arm}"].mean()),
            ivig_saved_g_per_patient_year=float(saved.mean()),
            deteriorations_per_patient=float(per_trial[f"deteriorations_per_patient_{arm}"].mean()),
            full_dose_episodes_per_patient=float(
                per_trial[f"full_dose_episodes_per_patient_{arm}"].mean()
            ),
            weeks_deteriorated_per_patient=float(
                per_trial[f"weeks_deteriorated_per_patient_{arm}"].mean()
            ),
            dropouts_per_trial=float(per_trial[f"dropouts_{arm}"].mean()),
        )

    def to_dict(self) -> dict[str, float]:
        """The figures by name, without the arm's name (the key it is filed under)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "arm"}


@dataclass(frozen=True)
class DesignSummary:
    """Power (type I error when effect = 0) with its Wilson 95% interval, and each arm.

    ``arms`` are in the protocol's order; ``drug_arm`` and ``control_arm`` name the two
    the test compares (:attr:`drug` and :attr:`control`).
    """

    n_trials: int
    effect: float
    seed: int
    rejection_rate: float
    rejection_rate_ci95: tuple[float, float]
    rejection_favouring_drug_rate: float
    arms: tuple[ArmSummary, ...]
    drug_arm: str
    control_arm: str

    @classmethod
    def from_trials(
        cls,
        per_trial: pd.DataFrame,
        *,
        arms: tuple[str, ...],
        drug_arm: str,
        control_arm: str,
        effect: float,
        seed: int,
    ) -> DesignSummary:
        """Sum up per-trial rows (see ``TrialResults``) of one design."""
        n = len(per_trial)
        rejections = int(per_trial["significant"].sum())
        favouring = per_trial["significant"] & per_trial["favours_drug"]
        return cls(
            n_trials=n,
            effect=effect,
            seed=seed,
            rejection_rate=rejections / n,
            rejection_rate_ci95=wilson_interval(rejections, n),
            rejection_favouring_drug_rate=float(favouring.mean()),
            arms=tuple(ArmSummary.from_trials(per_trial, arm) for arm in arms),
            drug_arm=drug_arm,
            control_arm=control_arm,
        )

    @property
    def measure(self) -> str:
        """What the rejection rate measures: ``"power"``, or ``"type I error"`` at effect 0."""
        return "type I error" if self.effect == 0 else "power"

    def arm(self, name: str) -> ArmSummary:
        """The summary of the arm called ``name``."""
        return next(a for a in self.arms if a.arm == name)

    @property
    def drug(self) -> ArmSummary:
        """The drug arm's summary."""
        return self.arm(self.drug_arm)

    @property
    def control(self) -> ArmSummary:
        """The control arm's summary."""
        return self.arm(self.control_arm)

    def to_dict(self) -> dict[str, Any]:
        """Nested plain data: the design's figures, then each arm's by its name (for JSON)."""
        out: dict[str, Any] = {
            "n_trials": self.n_trials,
            "effect": self.effect,
            "seed": self.seed,
            "measure": self.measure,
            "rejection_rate": self.rejection_rate,
            "rejection_rate_ci95": self.rejection_rate_ci95,
            "rejection_favouring_drug_rate": self.rejection_favouring_drug_rate,
        }
        for arm in self.arms:
            out[arm.arm] = arm.to_dict()
        return out

    def to_row(self) -> dict[str, Any]:
        """One flat row for tables: the test's figures, then ``drug_<figure>`` and
        ``control_<figure>`` (arms by role, so that designs with other arm names line up).
        """
        low, high = self.rejection_rate_ci95
        row: dict[str, Any] = {
            "n_trials": self.n_trials,
            "measure": self.measure,
            "rejection_rate": self.rejection_rate,
            "rejection_rate_low": low,
            "rejection_rate_high": high,
        }
        for role, arm in (("drug", self.drug), ("control", self.control)):
            row |= {f"{role}_{key}": value for key, value in arm.to_dict().items()}
        return row


__all__ = ["ArmSummary", "DesignSummary"]

"""A patient's history: the infusions given, the assessments made, the withdrawal.

A record of what was measured and given, in study days (day 0 = randomization;
infusions before day 0 form the baseline). The engine decides from it
(:mod:`mmntrial.engine.replay`); the dataset layer builds it from its tables and from
CSV files (:mod:`mmntrial.dataset.histories`, :mod:`mmntrial.dataset.history_csv`).
It lives here, below both, so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mmntrial.measures.ivig import Infusion


@dataclass(frozen=True)
class Assessment:
    """The values measured at one assessment, by series key (``mrc_sum``, ``grip_kpa:left``)."""

    day: int
    values: Mapping[str, float]


@dataclass(frozen=True)
class PatientHistory:
    """Everything the engine needs to know about one patient, in study days."""

    subject: str
    infusions: tuple[Infusion, ...]
    assessments: tuple[Assessment, ...] = ()
    withdrawal_day: int | None = None
    withdrawal_reason: str = ""

    @property
    def baseline_infusions(self) -> tuple[Infusion, ...]:
        """Infusions before randomization, in day order."""
        return tuple(sorted((i for i in self.infusions if i.day < 0), key=lambda i: i.day))

    @property
    def study_infusions(self) -> tuple[Infusion, ...]:
        """Infusions from day 0 on, in day order: each is a decision point."""
        return tuple(sorted((i for i in self.infusions if i.day >= 0), key=lambda i: i.day))


__all__ = ["Assessment", "PatientHistory"]

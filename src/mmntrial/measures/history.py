"""A patient's history: the infusions given, the assessments made, the withdrawal.

A record of what was measured and given, in study days (day 0 = randomization;
infusions before day 0 form the baseline). The engine decides from it
(:mod:`mmntrial.engine.replay`); the dataset layer builds it from its tables and from
CSV files (:mod:`mmntrial.dataset.histories`, :mod:`mmntrial.dataset.history_csv`).
It lives here, below both, so that neither imports the other.

A history is refused (:class:`~mmntrial.errors.HistoryError`) when it holds two
infusions or two assessments on one day, or a day or subject a person cannot have meant
(:mod:`mmntrial.measures.limits`, :func:`mmntrial.identifiers.checked_identifier`): the
engine would otherwise have to pick one of two conflicting doses, or average them into a
baseline nobody gave. The readers name the file rows of such conflicts before this check
is reached; this one guards histories built in code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mmntrial.errors import HistoryError
from mmntrial.identifiers import checked_identifier
from mmntrial.measures.ivig import Infusion
from mmntrial.measures.limits import study_day_problem


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

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "subject", checked_identifier("subject", self.subject, HistoryError)
        )
        days = [i.day for i in self.infusions] + [a.day for a in self.assessments]
        if self.withdrawal_day is not None:
            days.append(self.withdrawal_day)
        for day in days:
            problem = study_day_problem(day)
            if problem is not None:
                raise HistoryError(f"subject {self.subject}: day: got {day!r}, {problem}")
        for what, twice in (
            ("infusions", repeated_days(i.day for i in self.infusions)),
            ("assessments", repeated_days(a.day for a in self.assessments)),
        ):
            if twice:
                raise HistoryError(
                    f"subject {self.subject}: {what}: got two or more on day(s) "
                    f"{', '.join(map(str, twice))}, expected at most one per day"
                )

    @property
    def baseline_infusions(self) -> tuple[Infusion, ...]:
        """Infusions before randomization, in day order."""
        return tuple(sorted((i for i in self.infusions if i.day < 0), key=lambda i: i.day))

    @property
    def study_infusions(self) -> tuple[Infusion, ...]:
        """Infusions from day 0 on, in day order: each is a decision point."""
        return tuple(sorted((i for i in self.infusions if i.day >= 0), key=lambda i: i.day))


def repeated_days(days: Iterable[int]) -> list[int]:
    """The days that occur more than once, sorted.

    >>> repeated_days([-28, 0, -28, 28])
    [-28]
    """
    return sorted(day for day, count in Counter(days).items() if count > 1)


__all__ = ["Assessment", "PatientHistory", "repeated_days"]

"""CONSORT flow counts from a dataset: assessed, excluded, randomized, allocated,
followed up and analysed (DOMAIN.md section 7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from mmntrial.dataset.schema import ONGOING, STAYED_STATUSES, Dataset
from mmntrial.protocol.model import Protocol

# How a screening outcome is named in the CONSORT "excluded" box.
_EXCLUSION_LABEL = {"excluded": "not eligible", "declined": "declined to participate"}


def _frozen(mapping: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ConsortCounts:
    """The numbers of a CONSORT flow diagram; arms in protocol order.

    ``excluded`` maps ``"<not eligible|declined to participate>: <reason>"`` to a count;
    ``withdrawn`` maps each arm to ``"<status>: <reason>"`` counts for everyone who left
    early (withdrawn, lost to follow-up, died); ``ongoing`` counts the subjects still in
    the trial at the data cut-off (an interim look), who have not left; ``analysed``
    counts the subjects in the primary (intention-to-treat) analysis: every randomized
    subject but those ongoing short of the primary endpoint day (not yet evaluable).

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> c = consort_counts(make_dataset(), load_protocol("piepers-2007"))
    >>> c.assessed, c.excluded_total, c.randomized, dict(c.allocated)
    (8, 2, 6, {'mmf': 3, 'placebo': 3})
    """

    arms: tuple[str, ...]
    assessed: int
    excluded: Mapping[str, int]
    randomized: int
    allocated: Mapping[str, int]
    completed: Mapping[str, int]
    withdrawn: Mapping[str, Mapping[str, int]]
    analysed: Mapping[str, int]
    ongoing: Mapping[str, int]

    @property
    def excluded_total(self) -> int:
        """Everyone screened but not randomized."""
        return sum(self.excluded.values())

    def withdrawn_total(self, arm: str) -> int:
        """Everyone in ``arm`` who left the study early."""
        return sum(self.withdrawn.get(arm, {}).values())

    def summary(self) -> str:
        """The flow as lines of text, top to bottom."""
        lines = [
            f"Assessed for eligibility: {self.assessed}",
            f"Excluded: {self.excluded_total}",
            *(f"  {reason}: {n}" for reason, n in self.excluded.items()),
            f"Randomized: {self.randomized}",
        ]
        for arm in self.arms:
            lines += [
                f"{arm}: allocated {self.allocated[arm]}, completed {self.completed[arm]}, "
                f"ongoing {self.ongoing[arm]}, left early {self.withdrawn_total(arm)}, "
                f"analysed {self.analysed[arm]}",
                *(f"  {reason}: {n}" for reason, n in self.withdrawn[arm].items()),
            ]
        return "\n".join(lines)


def consort_counts(dataset: Dataset, protocol: Protocol) -> ConsortCounts:
    """Count the CONSORT flow of ``dataset``; every randomized subject is analysed (ITT)
    except one still ongoing before the primary endpoint day, not yet evaluable."""
    arms = tuple(a.name for a in protocol.arms)
    screening = dataset.screening
    not_randomized = screening[screening["outcome"] != "randomized"]
    labels = (
        not_randomized["outcome"].map(_EXCLUSION_LABEL)
        + ": "
        + not_randomized["reason"].fillna("no reason given")
    )
    excluded = {str(k): int(v) for k, v in labels.value_counts().sort_index().items()}
    subjects = dataset.subjects.merge(dataset.dispositions, on="subject_id")
    allocated = {arm: int((subjects["arm"] == arm).sum()) for arm in arms}
    done = subjects[subjects["status"] == "completed"]
    completed = {arm: int((done["arm"] == arm).sum()) for arm in arms}
    on_study = subjects[subjects["status"] == ONGOING]
    ongoing = {arm: int((on_study["arm"] == arm).sum()) for arm in arms}
    waiting = on_study[on_study["day"] < protocol.endpoints.primary.day]
    analysed = {arm: allocated[arm] - int((waiting["arm"] == arm).sum()) for arm in arms}
    left = subjects[~subjects["status"].isin(STAYED_STATUSES)]
    withdrawn: dict[str, Mapping[str, int]] = {}
    for arm in arms:
        group = left[left["arm"] == arm]
        reasons = group["status"] + ": " + group["reason"].fillna("no reason given")
        withdrawn[arm] = _frozen(
            {str(k): int(v) for k, v in reasons.value_counts().sort_index().items()}
        )
    return ConsortCounts(
        arms=arms,
        assessed=len(screening),
        excluded=_frozen(excluded),
        randomized=len(dataset.subjects),
        allocated=_frozen(allocated),
        completed=_frozen(completed),
        withdrawn=MappingProxyType(withdrawn),
        analysed=_frozen(analysed),
        ongoing=_frozen(ongoing),
    )


__all__ = ["ConsortCounts", "consort_counts"]

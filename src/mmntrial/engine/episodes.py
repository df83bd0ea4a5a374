"""Confirmed deterioration episodes: what the engine judged between two of its states.

An episode is confirmed when the engine counts one more taper failure
(``deteriorations``) or one more episode at the full baseline dose
(``baseline_episodes``). The simulator's recorder and the replay of a trial's own
records (:func:`mmntrial.engine.replay.replay`) both read episodes here, so the
dataset's ``deteriorations`` table says the same thing whether the engine ran a virtual
trial or judged a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mmntrial.engine import core
from mmntrial.engine.rules import CompiledRules
from mmntrial.measures.catalogue import measure_spec
from mmntrial.units import Floats


@dataclass(frozen=True)
class Episode:
    """One confirmed episode of patient row ``patient`` (the columns of docs/dataset.md's
    ``deteriorations``, but the subject)."""

    patient: int
    day_detected: int
    day_confirmed: int
    criteria: str
    severe: bool
    level_before: int
    level_after: int
    at_baseline: bool

    def row(self, subject: str) -> dict[str, Any]:
        """The episode as a row of the dataset's ``deteriorations`` table."""
        return {
            "subject_id": subject,
            "day_detected": self.day_detected,
            "day_confirmed": self.day_confirmed,
            "criteria": self.criteria,
            "severe": self.severe,
            "level_before": self.level_before,
            "level_after": self.level_after,
            "at_baseline": self.at_baseline,
        }


def _criterion_name(rules: CompiledRules, state: core.EngineState, p: int, c: int) -> str:
    measure = rules.criteria[c].measure
    if measure_spec(measure).bilateral:
        return f"{measure}:{('left', 'right')[int(state.evaluation.side[p, c])]}"
    return measure


def episodes(
    rules: CompiledRules, day: Floats, before: core.EngineState, after: core.EngineState
) -> list[Episode]:
    """The episodes the engine confirmed on ``day`` (per patient row) going from
    ``before`` to ``after``, with the criteria that fired (those of the evaluation that
    day, else those the pending drop was seen with)."""
    confirmed = (after.deteriorations > before.deteriorations) | (
        after.baseline_episodes > before.baseline_episodes
    )
    found = []
    for p in np.flatnonzero(confirmed).tolist():
        pending = before.pending_day[p]
        fired = after.evaluation.fired[p] if after.evaluation_day[p] == day[p] else None
        if fired is None or not fired.any():
            fired = before.pending_fired[p]
        names = sorted(_criterion_name(rules, after, p, int(c)) for c in np.flatnonzero(fired))
        found.append(
            Episode(
                patient=p,
                day_detected=int(day[p] if np.isnan(pending) else pending),
                day_confirmed=int(day[p]),
                criteria=",".join(dict.fromkeys(names)),
                severe=bool(after.rescue_due[p] and not before.rescue_due[p]),
                level_before=int(before.level[p]),
                level_after=int(after.level[p]),
                at_baseline=bool(after.baseline_episodes[p] > before.baseline_episodes[p]),
            )
        )
    return found

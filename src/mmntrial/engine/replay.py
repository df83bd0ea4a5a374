"""Replay patient histories through the engine: every infusion becomes a decision record.

The replay is vectorized: all patients' events are laid out as (patients x event index)
arrays and fed to :mod:`mmntrial.engine.core` one event index at a time, so replaying
many patients costs about as many numpy calls as replaying one. Within a day, an
assessment comes first, then a withdrawal, then the infusion that is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mmntrial.engine import core
from mmntrial.engine.episodes import Episode, episodes
from mmntrial.engine.rules import compile_rules
from mmntrial.engine.states import Action, TaperState
from mmntrial.errors import HistoryError, MeasureError
from mmntrial.measures.catalogue import measure_spec
from mmntrial.measures.history import PatientHistory
from mmntrial.measures.ivig import baseline_intensity
from mmntrial.protocol.model import Protocol

_ASSESSMENT, _WITHDRAWAL, _INFUSION = 0, 1, 2  # also the order of events on one day


@dataclass(frozen=True)
class CriterionResult:
    """One criterion at the latest judged assessment.

    ``assessed_day`` is the last day its measure was assessed (before the taper) or
    judged (after it); ``unassessed`` that a taper step was due but held for want of it.
    """

    measure: str
    side: str | None
    direction: str
    threshold: float
    reference_kind: str
    reference: float | None
    value: float | None
    worsening: float | None
    fired: bool
    rescue: bool
    assessed_day: int | None
    unassessed: bool


@dataclass(frozen=True)
class DecisionRecord:
    """The engine's decision for one infusion of one patient, with what it rests on.

    ``deteriorations`` counts the taper failures so far, ``baseline_episodes`` the
    episodes confirmed at the full baseline dose; ``at_baseline`` says the latest episode
    was one of those.
    """

    subject: str
    day: int
    action: Action
    state: TaperState
    level: int
    max_level: int
    dose_g: float | None
    interval_days: float | None
    intensity_g_per_kg_week: float | None
    percent_of_baseline: float | None
    reduction_percent: float | None
    baseline_intensity_g_per_kg_week: float
    weight_kg: float
    criteria: tuple[CriterionResult, ...]
    evaluation_day: int | None
    pending_day: int | None
    restored_day: int | None
    last_step_day: int | None
    withdrawn_day: int | None
    deteriorations: int
    baseline_episodes: int
    at_baseline: bool
    reference_renewed_day: int | None


@dataclass(frozen=True)
class Replay:
    """The decisions of a replay, per patient in input order, and the final engine state.

    ``last_days`` is, per patient, the last study day the history covers (its latest
    infusion, assessment or withdrawal): nothing is known about the days after it.
    ``episodes`` are, per patient, the deterioration episodes the engine confirmed.
    """

    subjects: tuple[str, ...]
    decisions: tuple[tuple[DecisionRecord, ...], ...]
    final: core.EngineState
    last_days: tuple[int, ...]
    episodes: tuple[tuple[Episode, ...], ...]

    def all_decisions(self) -> list[DecisionRecord]:
        """Every decision, patient by patient, in day order."""
        return [record for patient in self.decisions for record in patient]


def _baselines(
    protocol: Protocol, histories: Sequence[PatientHistory]
) -> tuple[np.ndarray, np.ndarray]:
    intensities, intervals = [], []
    for history in histories:
        try:
            intensities.append(baseline_intensity(history.infusions, protocol.baseline.n_infusions))
        except MeasureError as error:
            raise HistoryError(f"subject {history.subject}: {error}") from None
        intervals.append(float(history.baseline_infusions[-1].interval_days))
    return np.array(intensities), np.array(intervals)


def _last_day(history: PatientHistory) -> int:
    """The latest day of any event of the history, baseline infusions included."""
    days = [i.day for i in history.infusions] + [a.day for a in history.assessments]
    if history.withdrawal_day is not None:
        days.append(history.withdrawal_day)
    return max(days)


def _events(history: PatientHistory) -> list[tuple[int, int, int]]:
    """(day, kind, index) for every event, in the order the engine must see them."""
    events = [(a.day, _ASSESSMENT, i) for i, a in enumerate(history.assessments)]
    events += [(inf.day, _INFUSION, i) for i, inf in enumerate(history.infusions) if inf.day >= 0]
    if history.withdrawal_day is not None:
        events.append((history.withdrawal_day, _WITHDRAWAL, 0))
    return sorted(events)


def replay(protocol: Protocol, histories: Sequence[PatientHistory]) -> Replay:
    """Replay every history through the engine at once.

    >>> from mmntrial.protocol.loader import load_protocol
    >>> from mmntrial.measures.ivig import Infusion
    >>> p = load_protocol("piepers-2007")
    >>> infusions = tuple(Infusion(d, 40, 70, 28, "Kiovig", "IV") for d in range(-84, 200, 28))
    >>> result = replay(p, [PatientHistory("P1", infusions)])
    >>> [(r.day, r.action.label) for r in result.decisions[0]][2:5]  # nothing assessed
    [(56, 'baseline'), (84, 'baseline'), (112, 'hold')]
    """
    if not histories:
        raise HistoryError("no patient histories to replay")
    rules = compile_rules(protocol)
    n = len(histories)
    intensity, interval = _baselines(protocol, histories)
    timelines = [_events(h) for h in histories]
    width = max((len(t) for t in timelines), default=0)
    kind = np.full((n, width), -1, dtype=np.int8)
    day = np.full((n, width), np.nan)
    weight = np.full((n, width), np.nan)
    values = np.full((n, width, len(rules.series)), np.nan)
    for p, (history, timeline) in enumerate(zip(histories, timelines, strict=True)):
        for k, (event_day, event_kind, index) in enumerate(timeline):
            kind[p, k], day[p, k] = event_kind, event_day
            if event_kind == _ASSESSMENT:
                measured = history.assessments[index].values
                for j, key in enumerate(rules.series):
                    values[p, k, j] = measured.get(key, np.nan)
            elif event_kind == _INFUSION:
                weight[p, k] = history.infusions[index].weight_kg

    state = core.start(protocol, intensity, interval)
    records: list[list[DecisionRecord]] = [[] for _ in histories]
    confirmed: list[list[Episode]] = [[] for _ in histories]
    for k in range(width):
        today = day[:, k]
        before = state
        state = core.observe(protocol, state, today, values[:, k], kind[:, k] == _ASSESSMENT)
        found = episodes(rules, today, before, state)
        state = core.withdraw(state, today, kind[:, k] == _WITHDRAWAL)
        due = kind[:, k] == _INFUSION
        if due.any():
            before = state
            state, decision = core.decide(protocol, state, today, weight[:, k], due)
            found += episodes(rules, today, before, state)
            for row in np.flatnonzero(due).tolist():
                subject = histories[row].subject
                records[row].append(
                    _record(protocol, subject, state, decision, row, weight[row, k])
                )
        for episode in found:
            confirmed[episode.patient].append(episode)
    return Replay(
        subjects=tuple(h.subject for h in histories),
        decisions=tuple(tuple(r) for r in records),
        final=state,
        last_days=tuple(_last_day(h) for h in histories),
        episodes=tuple(tuple(e) for e in confirmed),
    )


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _day(value: float) -> int | None:
    return None if np.isnan(value) else int(value)


def _record(
    protocol: Protocol,
    subject: str,
    state: core.EngineState,
    decision: core.Decision,
    p: int,
    weight_kg: float,
) -> DecisionRecord:
    rules = compile_rules(protocol)
    evaluation = state.evaluation
    criteria = []
    for c, criterion in enumerate(rules.criteria):
        bilateral = measure_spec(criterion.measure).bilateral
        side = ("left", "right")[int(evaluation.side[p, c])] if bilateral else None
        criteria.append(
            CriterionResult(
                measure=criterion.measure,
                side=side,
                direction=criterion.direction.value,
                threshold=criterion.threshold,
                reference_kind=criterion.reference.value,
                reference=_number(evaluation.reference[p, c]),
                value=_number(evaluation.value[p, c]),
                worsening=_number(evaluation.worsening[p, c]),
                fired=bool(evaluation.fired[p, c]),
                rescue=rules.is_rescue[c],
                assessed_day=_day(state.assessed_day[p, c]),
                unassessed=bool(decision.unassessed[p, c]),
            )
        )
    return DecisionRecord(
        subject=subject,
        day=int(decision.day[p]),
        action=Action(int(decision.action[p])),
        state=TaperState(int(decision.state[p])),
        level=int(decision.level[p]),
        max_level=int(state.max_level[p]),
        dose_g=_number(decision.dose_g[p]),
        interval_days=_number(decision.interval_days[p]),
        intensity_g_per_kg_week=_number(decision.intensity_g_per_kg_week[p]),
        percent_of_baseline=_number(decision.percent_of_baseline[p]),
        reduction_percent=_number(decision.reduction_percent[p]),
        baseline_intensity_g_per_kg_week=float(state.baseline_intensity[p]),
        weight_kg=float(weight_kg),
        criteria=tuple(criteria),
        evaluation_day=_day(state.evaluation_day[p]),
        pending_day=_day(state.pending_day[p]),
        restored_day=_day(state.restored_day[p]),
        last_step_day=_day(state.last_step_day[p]),
        withdrawn_day=_day(state.withdrawn_day[p]),
        deteriorations=int(state.deteriorations[p]),
        baseline_episodes=int(state.baseline_episodes[p]),
        at_baseline=bool(state.at_baseline[p]),
        reference_renewed_day=_day(state.renewed_day[p]),
    )


__all__ = ["CriterionResult", "DecisionRecord", "Replay", "replay"]

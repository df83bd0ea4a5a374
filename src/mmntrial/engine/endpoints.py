"""Endpoint values at the end of follow-up, from the engine's decisions.

The primary endpoint is judged on the regimen in force on the primary endpoint day: the
one decided at the last infusion on or before that day. A patient withdrawn before that
day has not reached it when the protocol says ``withdrawal = "failure"``; with
``"last_regimen"`` the regimen in force at withdrawal is judged instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmntrial.engine.replay import DecisionRecord, Replay
from mmntrial.engine.states import Action, TaperState
from mmntrial.protocol.model import Protocol, WithdrawalRule


@dataclass(frozen=True)
class EndpointValues:
    """One patient's endpoint values as the engine sees them."""

    subject: str
    baseline_intensity_g_per_kg_week: float
    intensity_g_per_kg_week: float | None  # in force on the primary endpoint day
    reduction_percent: float | None
    reached_primary: bool
    withdrawn_day: int | None
    first_deterioration_day: int | None
    deteriorations: int
    final_state: TaperState


def _in_force(decisions: tuple[DecisionRecord, ...], day: int) -> DecisionRecord | None:
    """The last decision on or before ``day`` that gave a dose (rescue doses are one-off)."""
    given = [d for d in decisions if d.day <= day and d.action not in (Action.NONE, Action.RESCUE)]
    return given[-1] if given else None


def endpoint_values(protocol: Protocol, result: Replay) -> list[EndpointValues]:
    """Endpoint values per patient, in the replay's order."""
    primary = protocol.endpoints.primary
    final = result.final
    values = []
    for p, (subject, decisions) in enumerate(zip(result.subjects, result.decisions, strict=True)):
        withdrawn = final.withdrawn_day[p]
        withdrawn_day = None if withdrawn != withdrawn else int(withdrawn)  # NaN check
        early_withdrawal = withdrawn_day is not None and withdrawn_day < primary.day
        in_force = _in_force(decisions, primary.day)
        reduction = in_force.reduction_percent if in_force else None
        reached = reduction is not None and reduction >= primary.reduction_percent - 1e-9
        if early_withdrawal and primary.withdrawal is WithdrawalRule.FAILURE:
            reached = False
        first = final.first_deterioration_day[p]
        values.append(
            EndpointValues(
                subject=subject,
                baseline_intensity_g_per_kg_week=float(final.baseline_intensity[p]),
                intensity_g_per_kg_week=in_force.intensity_g_per_kg_week if in_force else None,
                reduction_percent=reduction,
                reached_primary=reached,
                withdrawn_day=withdrawn_day,
                first_deterioration_day=None if first != first else int(first),
                deteriorations=int(final.deteriorations[p]),
                final_state=TaperState(int(final.state[p])),
            )
        )
    return values


__all__ = ["EndpointValues", "endpoint_values"]

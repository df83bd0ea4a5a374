"""Endpoint values at the end of follow-up, from the engine's decisions.

The primary endpoint is judged on the regimen in force on the primary endpoint day: the
one decided at the last infusion on or before that day. A patient withdrawn before that
day has not reached it when the protocol says ``withdrawal = "failure"``; with
``"last_regimen"`` the regimen in force at withdrawal is judged instead. A history that
ends before that day, of a patient who has not withdrawn, says nothing yet about the
regimen on that day: its primary endpoint is pending, neither reached nor missed.

:func:`reaches_primary` is the one statement of that rule: the engine here, the
simulator and the analysis of a dataset each find the reductions their own way, then
all call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mmntrial.engine.states import Action, TaperState
from mmntrial.protocol.model import PrimaryEndpoint, Protocol, WithdrawalRule
from mmntrial.units import Bools

if TYPE_CHECKING:
    # Types only: the analysis imports this module and need not load the compiled engine.
    from mmntrial.engine.replay import DecisionRecord, Replay

# A reduction this close below the target counts as reaching it: a level of 50% computed
# through doses, weights and intervals may come out as 49.99999999999%.
REDUCTION_TOLERANCE_PERCENT = 1e-9


@dataclass(frozen=True)
class EndpointValues:
    """One patient's endpoint values as the engine sees them.

    ``pending``: the history ends (``last_day``) before the primary endpoint day
    (``primary_day``) and the patient has not withdrawn, so the endpoint cannot be judged
    yet; ``reached_primary`` is then False and the regimen on that day unknown (None).

    >>> v = EndpointValues("P1", 0.3, None, None, False, None, None, 0, TaperState.TAPERING,
    ...                    pending=True, last_day=200, primary_day=365)
    >>> v.primary_status
    'pending until day 365'
    """

    subject: str
    baseline_intensity_g_per_kg_week: float
    intensity_g_per_kg_week: float | None  # in force on the primary endpoint day
    reduction_percent: float | None
    reached_primary: bool
    withdrawn_day: int | None
    first_deterioration_day: int | None
    deteriorations: int
    final_state: TaperState
    pending: bool
    last_day: int
    primary_day: int

    @property
    def primary_status(self) -> str:
        """``"reached"``, ``"not reached"`` or ``"pending until day N"``."""
        if self.pending:
            return f"pending until day {self.primary_day}"
        return "reached" if self.reached_primary else "not reached"


def reaches_primary(
    primary: PrimaryEndpoint,
    reduction_percent: npt.ArrayLike,
    withdrawn_before_day: npt.ArrayLike,
    withdrawal: WithdrawalRule | None = None,
) -> Bools:
    """Whether each patient reaches the primary endpoint.

    ``reduction_percent`` is the reduction from baseline intensity of the regimen being
    judged (NaN when there is none: not reached). It is reached when that reduction is
    at least ``primary.reduction_percent`` (within :data:`REDUCTION_TOLERANCE_PERCENT`).
    Under the ``failure`` withdrawal rule (``withdrawal``, by default the protocol's) a
    patient who left before the primary day has not reached it; under ``last_regimen``
    the caller passes the reduction of the regimen in force at withdrawal.

    >>> primary = PrimaryEndpoint(50.0, 365, WithdrawalRule.FAILURE)
    >>> reaches_primary(primary, [50.0, 75.0, 25.0, np.nan], [False, True, False, False])
    array([ True, False, False, False])
    """
    rule = primary.withdrawal if withdrawal is None else WithdrawalRule(withdrawal)
    reduction = np.asarray(reduction_percent, dtype=np.float64)
    reached = reduction >= primary.reduction_percent - REDUCTION_TOLERANCE_PERCENT
    if rule is WithdrawalRule.FAILURE:
        reached &= ~np.asarray(withdrawn_before_day, dtype=np.bool_)
    return np.asarray(reached, dtype=np.bool_)


def _in_force(decisions: tuple[DecisionRecord, ...], day: int) -> DecisionRecord | None:
    """The last decision on or before ``day`` that gave a dose (rescue doses are one-off)."""
    given = [d for d in decisions if d.day <= day and d.action not in (Action.NONE, Action.RESCUE)]
    return given[-1] if given else None


def endpoint_values(protocol: Protocol, result: Replay) -> list[EndpointValues]:
    """Endpoint values per patient, in the replay's order.

    A patient whose history ends before the primary endpoint day without a withdrawal is
    pending: never reached, whatever the dose so far (a later visit may still restore it).
    """
    primary = protocol.endpoints.primary
    final = result.final
    values = []
    for p, (subject, decisions) in enumerate(zip(result.subjects, result.decisions, strict=True)):
        withdrawn = final.withdrawn_day[p]
        withdrawn_day = None if withdrawn != withdrawn else int(withdrawn)  # NaN check
        early_withdrawal = withdrawn_day is not None and withdrawn_day < primary.day
        last_day = result.last_days[p]
        pending = withdrawn_day is None and last_day < primary.day
        in_force = None if pending else _in_force(decisions, primary.day)
        reduction = in_force.reduction_percent if in_force else None
        reached = bool(
            reaches_primary(primary, np.nan if reduction is None else reduction, early_withdrawal)
        )
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
                pending=pending,
                last_day=last_day,
                primary_day=primary.day,
            )
        )
    return values


__all__ = ["REDUCTION_TOLERANCE_PERCENT", "EndpointValues", "endpoint_values", "reaches_primary"]

"""Which taper to choose: patients needed against harm done, across designs.

A statistician choosing a taper asks two things of each candidate: how many patients it
needs for the target power, and how much weakness it causes on the way. A steeper taper
reaches the primary endpoint sooner (more power per patient) but lets more patients
weaken before deterioration is caught; a gentler one is kinder and needs more patients.
No single number ranks them, so the answer is the *frontier*: the designs that no other
design beats on both counts.

Each design gets its own sample-size search (:func:`mmntrial.simulate.size.find_sample_size`,
the same question and seed for all, so every design meets the same virtual patients).
Its harm is the weeks of meaningful weakness per patient over both arms together, every
patient enrolled counting once (both arms are tapered, and an ethics board weighs every
patient). A design is on the frontier when no other design needs at most as many
patients and harms at most as much, and is better on one of the two. A design that does
not reach the target power by ``max_n`` is never on it.

For a fixed target power, fewer patients needed means more power at a given size, so this
is the power-vs-harm frontier read along the size axis, where a committee decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mmntrial.errors import SimulationError
from mmntrial.simulate.population.model import Population
from mmntrial.simulate.size import ArmHarm, SizeAnswer, SizeQuestion, find_sample_size
from mmntrial.simulate.sweep.grid import RUN_AXES, DesignPoint

MAX_DESIGNS = 20
"""The most designs one comparison may size: each runs a whole sample-size search."""


@dataclass(frozen=True)
class SizedDesign:
    """A design, its sample-size answer, its harm over both arms, and whether it is on
    the frontier."""

    point: DesignPoint
    answer: SizeAnswer
    weeks_deteriorated_per_patient: float
    on_frontier: bool


def weeks_deteriorated_per_patient(harm: Sequence[ArmHarm]) -> float:
    """Weeks of meaningful weakness per patient, over every simulated patient of all arms.

    >>> harm = (ArmHarm("drug", 6.0, 1.0, 0.5, 300), ArmHarm("placebo", 2.0, 1.0, 0.2, 100))
    >>> weeks_deteriorated_per_patient(harm)
    5.0
    """
    patients = sum(arm.patients for arm in harm)
    weeks = sum(arm.weeks_deteriorated_per_patient * arm.patients for arm in harm)
    return weeks / patients


def on_frontier(costs: Sequence[tuple[float, float] | None]) -> list[bool]:
    """Whether each point is Pareto-optimal when both coordinates are costs to minimise.

    ``None`` is a point that does not qualify (a design that never reaches the target
    power): never on the frontier, and it dominates nothing. Two equal points are both
    on it (neither is better on either count).

    >>> on_frontier([(20, 5.0), (14, 9.0), (20, 6.0), (30, 5.0), None, (14, 9.0)])
    [True, True, False, False, False, True]
    """
    valid = [c for c in costs if c is not None]

    def dominated(point: tuple[float, float]) -> bool:
        return any(
            other[0] <= point[0] and other[1] <= point[1] and other != point for other in valid
        )

    return [c is not None and not dominated(c) for c in costs]


def size_designs(
    points: Sequence[DesignPoint], population: Population, question: SizeQuestion
) -> list[SizedDesign]:
    """Size every design with the same question, and mark the frontier."""
    question.check()
    if not points:
        raise SimulationError("designs: got none, expected at least one design to size")
    if len(points) > MAX_DESIGNS:
        raise SimulationError(
            f"designs: got {len(points)}, expected at most {MAX_DESIGNS} (each runs a whole "
            "sample-size search)"
        )
    for point in points:
        fixed = [axis for axis in RUN_AXES if axis in point.settings]
        if fixed:
            # The search chooses n, and the question states the effect.
            raise SimulationError(
                f"design axis {fixed[0]}: got {point.settings[fixed[0]]!r}, expected a "
                "protocol setting (the size search chooses n per arm; --effect sets the effect)"
            )
    answers = [find_sample_size(point.protocol, population, question) for point in points]
    harm = [weeks_deteriorated_per_patient(answer.harm) for answer in answers]
    costs = [
        None if answer.n_per_arm is None else (float(answer.n_per_arm), weeks)
        for answer, weeks in zip(answers, harm, strict=True)
    ]
    best = on_frontier(costs)
    return [
        SizedDesign(point, answer, weeks, flag)
        for point, answer, weeks, flag in zip(points, answers, harm, best, strict=True)
    ]


__all__ = [
    "MAX_DESIGNS",
    "SizedDesign",
    "on_frontier",
    "size_designs",
    "weeks_deteriorated_per_patient",
]

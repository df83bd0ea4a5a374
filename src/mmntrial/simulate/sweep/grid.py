"""Design grids for sweeps: which designs to simulate, as data.

A grid is a set of axes, each a name and a list of values; the sweep simulates every
combination (a design point). An axis name is one of:

- ``n_per_arm``: patients per arm;
- ``effect``: the add-on drug's effect on the dose need (0 = none);
- ``cadence_weeks``: 0 for a taper step at every infusion, N for a step every N weeks;
- ``threshold.MEASURE``: the threshold of the deterioration criterion on MEASURE
  (``threshold.grip_kpa = [8, 12]``);
- any dotted key of the protocol file (``taper.step_percent``, ``taper.floor_percent``,
  ``deterioration.confirmation_days``; list items by index:
  ``deterioration.criteria.0.threshold``).

Every protocol variant is rebuilt through the protocol loader, so an impossible
combination is refused with the protocol's own error codes, naming the design point.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mmntrial.errors import SimulationError
from mmntrial.protocol.loader import parse_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.protocol.serialize import protocol_to_dict
from mmntrial.simulate.trials.runner import check_arguments

# Axes that set how a design is run, not the protocol: they never rebuild it.
RUN_AXES = ("n_per_arm", "effect")
# Far more designs than a sweep's figures can show; each rebuilds and validates a protocol.
MAX_DESIGN_POINTS = 1_000


@dataclass(frozen=True)
class DesignPoint:
    """One design of a sweep: a protocol variant, a sample size and a drug effect."""

    index: int
    protocol: Protocol
    n_per_arm: int | None  # None: the protocol's own sample size
    effect: float
    settings: Mapping[str, Any]  # this point's value on every axis, for tables and plots

    @property
    def label(self) -> str:
        """A short name for legends: ``n_per_arm=14, effect=0.5``."""
        return ", ".join(f"{key}={value}" for key, value in self.settings.items())


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``a.b.0.c`` in nested dicts and lists; a missing path raises KeyError."""
    *parents, last = key.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value  # a new key is caught by the loader (PROTO-E004, with a hint)
    else:
        raise KeyError(key)


def _apply(data: dict[str, Any], axis: str, value: Any) -> None:
    if axis == "cadence_weeks":
        taper = data["taper"]
        if value in (0, None):
            taper["cadence"] = "every_infusion"
            taper.pop("cadence_weeks", None)
        else:
            taper["cadence"] = "every_n_weeks"
            taper["cadence_weeks"] = value
        return
    if axis.startswith("threshold."):
        measure = axis.removeprefix("threshold.")
        criteria = data["deterioration"]["criteria"]
        matching = [c for c in criteria if c["measure"] == measure]
        if not matching:
            watched = ", ".join(c["measure"] for c in criteria)
            raise SimulationError(
                f"grid axis {axis}: the protocol has no deterioration criterion on "
                f"{measure!r}; expected one of: {watched}"
            )
        for criterion in matching:
            criterion["threshold"] = value
        return
    try:
        _set_dotted(data, axis, value)
    except (KeyError, IndexError, ValueError, TypeError):
        raise SimulationError(
            f"grid axis {axis}: not a key of the protocol file; expected n_per_arm, effect, "
            "cadence_weeks, threshold.MEASURE or a dotted protocol key such as "
            "taper.step_percent"
        ) from None


def _check_axes(axes: Mapping[str, Sequence[Any]]) -> None:
    if not isinstance(axes, Mapping):
        raise SimulationError(f"grid: got {axes!r}, expected a table of axes, each a list")
    for name, values in axes.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise SimulationError(f"grid axis {name}: got {values!r}, expected a non-empty list")
    count = math.prod(len(values) for values in axes.values())
    if count > MAX_DESIGN_POINTS:
        sizes = " x ".join(str(len(values)) for values in axes.values())
        raise SimulationError(
            f"grid: got {sizes} = {count:,} design points, expected at most "
            f"{MAX_DESIGN_POINTS:,} (the cap on one sweep; split it into several)"
        )
    for name, values in axes.items():
        repeated = [v for k, v in enumerate(values) if v in values[:k]]
        if repeated:
            # The same design twice would be simulated twice and shown as two designs.
            raise SimulationError(
                f"grid axis {name}: got {repeated[0]!r} more than once, expected each value once"
            )
    # The simulator's own rules for these two (one place: simulate.trials).
    labels = {name: f"grid axis {name}" for name in ("n_per_arm", "effect")}
    for name in labels:
        for value in axes.get(name, ()):
            check_arguments(labels=labels, **{name: value})


def design_points(
    protocol: Protocol, axes: Mapping[str, Sequence[Any]], *, effect: float = 0.0
) -> list[DesignPoint]:
    """Every combination of the axes' values, in order (the last axis varies fastest).

    >>> from mmntrial.protocol.loader import load_protocol
    >>> points = design_points(load_protocol("piepers-2007"),
    ...                        {"n_per_arm": [14, 28], "taper.step_percent": [25, 50]})
    >>> [(p.n_per_arm, p.protocol.taper.step_percent) for p in points]
    [(14, 25.0), (14, 50.0), (28, 25.0), (28, 50.0)]
    """
    _check_axes(axes)
    names = list(axes)
    base = protocol_to_dict(protocol)
    points = []
    for index, values in enumerate(itertools.product(*(axes[name] for name in names))):
        settings = dict(zip(names, values, strict=True))
        data = copy.deepcopy(base)
        for name, value in settings.items():
            if name not in RUN_AXES:
                _apply(data, name, value)
        variant = protocol
        if any(name not in RUN_AXES for name in names):
            # The loader's error names this design point and lists every problem.
            variant = parse_protocol(data, f"{protocol.name} at design point {index} ({settings})")
        points.append(
            DesignPoint(
                index=index,
                protocol=variant,
                n_per_arm=settings.get("n_per_arm"),
                effect=float(settings.get("effect", effect)),
                settings=settings,
            )
        )
    return points


__all__ = ["MAX_DESIGN_POINTS", "RUN_AXES", "DesignPoint", "design_points"]

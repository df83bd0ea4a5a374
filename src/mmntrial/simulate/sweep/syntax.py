"""How a user writes a grid: value lists and ``KEY=v1,v2`` on the command line, or a file.

The command line only maps its options onto these functions, so the grid syntax has one
owner: ``--n-per-arm 14,28`` is :func:`parse_values`, ``--set taper.step_percent=25,50``
and ``--threshold grip_kpa=8,12`` are :func:`parse_assignment`, and :func:`sweep_plan`
chooses between the axes given that way and a sweep file (see
:mod:`mmntrial.simulate.sweep.run` for the file's format). ``label`` arguments name the
option the user typed, so that errors point at it.

>>> parse_values("14,28", "--n-per-arm"), parse_values("every_infusion", "--cadence")
([14, 28], ['every_infusion'])
>>> parse_assignment("grip_kpa=8,12.5", "--threshold", prefix="threshold.")
('threshold.grip_kpa', [8, 12.5])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mmntrial.errors import SimulationError
from mmntrial.simulate.sweep.run import SWEEP_DEFAULTS, SweepPlan, load_sweep, make_plan


def parse_values(text: str, label: str) -> list[Any]:
    """``14,28`` -> [14, 28]; ``0,0.5`` -> [0, 0.5]; ``every_infusion`` stays text.

    >>> parse_values("14,,28", "--n-per-arm")
    Traceback (most recent call last):
    mmntrial.errors.SimulationError: --n-per-arm: got '14,,28', expected comma-separated values
    """
    values: list[Any] = []
    for item in text.split(","):
        item = item.strip()
        try:
            values.append(int(item))
        except ValueError:
            try:
                values.append(float(item))
            except ValueError:
                if not item:
                    message = f"{label}: got {text!r}, expected comma-separated values"
                    raise SimulationError(message) from None
                values.append(item)
    return values


def parse_assignment(item: str, label: str, *, prefix: str = "") -> tuple[str, list[Any]]:
    """``KEY=v1,v2`` -> (``prefix`` + KEY, its values).

    >>> parse_assignment("taper.step_percent", "--set")
    Traceback (most recent call last):
    mmntrial.errors.SimulationError: --set: got 'taper.step_percent', expected KEY=v1,v2
    """
    key, sep, text = item.partition("=")
    if not sep or not key:
        raise SimulationError(f"{label}: got {item!r}, expected KEY=v1,v2")
    return prefix + key, parse_values(text, label)


def parse_assignments(
    items: Sequence[str], label: str, *, prefix: str = "", taken: Sequence[str] = ()
) -> dict[str, list[Any]]:
    """Each ``KEY=v1,v2`` of a repeatable option; a KEY given twice is refused.

    ``taken`` are the axes other options set already (``--taper-step`` sets
    ``taper.step_percent``): ``--set`` may not set them a second time.

    >>> parse_assignments(["grip_kpa=8", "grip_kpa=12"], "--threshold")
    Traceback (most recent call last):
    mmntrial.errors.SimulationError: --threshold: got grip_kpa twice ('grip_kpa=8' and \
'grip_kpa=12'), expected each KEY once (list its values: KEY=v1,v2)
    """
    out: dict[str, list[Any]] = {}
    given: dict[str, str] = {}
    for item in items:
        key, values = parse_assignment(item, label, prefix=prefix)
        if key in taken:
            raise SimulationError(
                f"{label}: got {item!r}, but another option already sets the axis {key}; "
                "expected each axis once"
            )
        if key in out:
            name = key.removeprefix(prefix)
            raise SimulationError(
                f"{label}: got {name} twice ({given[key]!r} and {item!r}), expected each KEY "
                "once (list its values: KEY=v1,v2)"
            )
        out[key], given[key] = values, item
    return out


def option_axes(
    values: Sequence[tuple[str, str, str | None]],
    thresholds: Sequence[str] = (),
    assignments: Sequence[str] = (),
) -> dict[str, list[Any]]:
    """The grid axes a command line gives: ``(axis, option, text)`` for each option that
    takes a value list (``text`` None when not given), then the repeatable ``--threshold
    MEASURE=v1,v2`` and ``--set KEY=v1,v2``.

    >>> option_axes([("taper.step_percent", "--taper-step", "25,50"),
    ...              ("cadence_weeks", "--cadence-weeks", None)], ["grip_kpa=8,12"])
    {'taper.step_percent': [25, 50], 'threshold.grip_kpa': [8, 12]}
    """
    axes: dict[str, list[Any]] = {}
    for axis, option, text in values:
        if text is not None:
            axes[axis] = parse_values(text, option)
    axes.update(parse_assignments(thresholds, "--threshold", prefix="threshold.", taken=[*axes]))
    axes.update(parse_assignments(assignments, "--set", taken=[*axes]))
    return axes


def sweep_plan(
    grid: str | Path | None,
    axes: Mapping[str, Sequence[Any]],
    settings: Mapping[str, Any],
) -> SweepPlan:
    """The plan of a sweep given as a file (``grid``) or as ``axes``, never both.

    ``settings`` (protocol, population, trials, seed, chunk_trials) replace the file's
    ``[sweep]`` values, or the defaults (:data:`~mmntrial.simulate.sweep.run.SWEEP_DEFAULTS`)
    when there is no file.
    """
    if grid is None:
        return make_plan(axes=axes, **{**SWEEP_DEFAULTS, **settings})
    if axes:
        raise SimulationError(
            f"grid axes: got {sorted(axes)} as options and the sweep file {grid}, "
            "expected the axes in one of them (the file's [grid], or the options)"
        )
    return load_sweep(grid, settings)


__all__ = ["option_axes", "parse_assignment", "parse_assignments", "parse_values", "sweep_plan"]

"""Variants of a built-in protocol that calibration and design studies need.

:func:`dose_held` is the protocol with a taper that never lowers the dose: everything a
patient meets (visits, deterioration criteria, confirmation, restores, endpoints) is the
protocol's own, so whatever the engine confirms under it is noise or disease, never a
taper failure. The calibration tests (false alarms on an unchanged dose, MRC decline)
and ``benchmarks/design_figures.py`` use it.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from mmntrial.protocol.loader import parse_protocol
from mmntrial.protocol.model import Protocol

HELD_PERCENT = 99.99
"""The one taper level of :func:`dose_held`: below 100 (a levels taper needs a step), and
no real reduction."""

# The keys of the other taper modes; the taper's remaining settings are kept, so the
# variant follows the engine's options as they grow.
_MODE_KEYS = ("step_percent", "levels_percent", "interval_step_days", "max_interval_days")


def dose_held(name: str) -> Protocol:
    """Built-in protocol ``name`` with a taper that holds the dose at 99.99% of baseline.

    >>> held = dose_held("piepers-2007")
    >>> held.taper.dose_levels_percent(), held.name
    ((100.0, 99.99), 'piepers-2007-dose-held')
    """
    text = resources.files("mmntrial.protocol").joinpath(f"builtin/{name}.toml")
    data: dict[str, Any] = tomllib.loads(text.read_text(encoding="utf-8"))
    taper = {k: v for k, v in data["taper"].items() if k not in _MODE_KEYS}
    taper.update(mode="levels", levels_percent=[HELD_PERCENT])
    data["taper"] = taper
    data["protocol"]["name"] = f"{name}-dose-held"
    return parse_protocol(data, f"{name} with its taper held at {HELD_PERCENT}%")


__all__ = ["HELD_PERCENT", "dose_held"]

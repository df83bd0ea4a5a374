"""The allocation design from command-line values: a protocol, or the design options.

``mmntrial randomize generate`` and ``assess`` take either ``--protocol`` (the file
states the method, arms, ratio and block sizes; ``--strata`` gives the factors'
levels) or the design itself (``--method``, ``--arms``, ``--ratio``, ``--block-sizes``,
``--strata``, minimization settings). :func:`design_from_options` turns those values,
as typed, into an :class:`~mmntrial.randomization.design.AllocationDesign`, naming the
option in every error; the command line only collects them.

>>> options = DesignOptions(method="blocks", ratio="2:1", block_sizes="3,6")
>>> design = design_from_options(options, load=lambda name: None)
>>> design.arms, design.ratios, design.block_sizes
(('active', 'placebo'), (2, 1), (3, 6))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mmntrial.errors import RandomizationError
from mmntrial.protocol.model import AllocationMethod, Protocol
from mmntrial.randomization.design import AllocationDesign, design_from_protocol, make_design


@dataclass(frozen=True)
class DesignOptions:
    """The design options as typed on the command line (None: not given)."""

    protocol: str | None = None
    method: str | None = None
    arms: str | None = None
    ratio: str | None = None
    block_sizes: str | None = None
    strata: tuple[str, ...] = ()  # FACTOR=LEVEL,LEVEL, one per factor
    imbalance: str = "range"
    weights: tuple[str, ...] = ()  # FACTOR=WEIGHT
    p_preferred: float = 0.8


def split(option: str, text: str) -> list[str]:
    """The comma-separated values of ``option``; none may be empty."""
    parts = [p.strip() for p in text.split(",")]
    if not all(parts):
        raise RandomizationError(f"{option}: got {text!r}, expected comma-separated values")
    return parts


def pairs(option: str, items: tuple[str, ...] | list[str] | None) -> dict[str, str]:
    """``NAME=VALUE`` items of a repeatable ``option`` as a dict.

    >>> pairs("--stratum", ["centre=AMC", "anti_gm1=positive"])
    {'centre': 'AMC', 'anti_gm1': 'positive'}
    >>> pairs("--stratum", ["centre=AMC", "centre=UMCU"])
    Traceback (most recent call last):
    ...
    mmntrial.errors.RandomizationError: --stratum: got centre='AMC' and then 'centre=UMCU', ...
    """
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise RandomizationError(f"{option}: got {item!r}, expected NAME=VALUE")
        if name.strip() in out:  # the last must not win silently: which one was meant?
            raise RandomizationError(
                f"{option}: got {name.strip()}={out[name.strip()]!r} and then {item!r}, "
                f"expected each NAME once"
            )
        out[name.strip()] = value.strip()
    return out


def _levels(strata: tuple[str, ...]) -> dict[str, list[str]]:
    return {k: split("--strata", v) for k, v in pairs("--strata", strata).items()}


def design_from_options(
    options: DesignOptions, load: Callable[[str], Protocol]
) -> AllocationDesign:
    """The design from a protocol (``load`` reads it by name) plus levels, or from options."""
    levels = _levels(options.strata)
    if options.protocol is not None:
        given = [
            n
            for n, v in (
                ("--method", options.method),
                ("--arms", options.arms),
                ("--ratio", options.ratio),
                ("--block-sizes", options.block_sizes),
            )
            if v is not None
        ]
        if given:
            raise RandomizationError(
                f"{given[0]}: got a value with --protocol {options.protocol!r}, expected one "
                "or the other (the protocol file states the method, arms, ratio and block sizes)"
            )
        protocol = load(options.protocol)
        return design_from_protocol(protocol.arms, protocol.randomization, levels)
    if options.method is None:
        methods = ", ".join(m.value for m in AllocationMethod)
        raise RandomizationError(
            f"--method: got nothing, expected --protocol NAME or --method ({methods})"
        )
    names = split("--arms", options.arms) if options.arms else ["active", "placebo"]
    ratio_text = options.ratio or ":".join("1" * len(names))
    try:
        ratios = [int(r) for r in split("--ratio", ratio_text.replace(":", ","))]
        sizes = (
            [int(b) for b in split("--block-sizes", options.block_sizes)]
            if options.block_sizes
            else []
        )
        weight_values = {k: float(v) for k, v in pairs("--weight", options.weights).items()}
    except ValueError as error:
        raise RandomizationError(f"options: expected numbers ({error})") from None
    if len(ratios) != len(names):
        raise RandomizationError(
            f"--ratio: got {ratio_text!r}, expected one number per arm of {names!r}"
        )
    return make_design(
        options.method,
        list(zip(names, ratios, strict=True)),
        block_sizes=sizes,
        factors=levels,
        imbalance=options.imbalance,
        weights=weight_values,
        p_preferred=options.p_preferred,
    )


__all__ = ["DesignOptions", "design_from_options", "pairs", "split"]

"""The allocation design: method, arms and ratios, block sizes, stratification factors.

An :class:`AllocationDesign` is the validated value every other module of
``mmntrial.randomization`` works from. It is built by :func:`make_design` (from plain
values) or :func:`design_from_protocol` (from the protocol's arms and ``[randomization]``
section plus the levels of each factor, which the protocol does not know: the centres
are only known when the trial is set up). Every bad parameter raises
:class:`~mmntrial.errors.RandomizationError` naming the parameter, the value received and
what was expected.

A *stratum* is one combination of factor levels, written as a stable key
``"centre=AMC|anti_gm1=positive"`` (factors in design order). An unstratified design has
one stratum, ``"all"``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mmntrial.errors import RandomizationError
from mmntrial.identifiers import checked_identifier
from mmntrial.protocol.model import AllocationMethod, Arm, Imbalance, Randomization
from mmntrial.randomization.allocators import ALLOCATORS, Allocator
from mmntrial.randomization.limits import check_block_sizes, check_strata
from mmntrial.randomization.minimization import MinimizationSettings

UNSTRATIFIED = "all"
# The protocol's enum is the randomization's: one list of methods, named Method here.
Method = AllocationMethod


@dataclass(frozen=True)
class Factor:
    """A stratification (or minimization) factor and its allowed levels."""

    name: str
    levels: tuple[str, ...]


@dataclass(frozen=True)
class AllocationDesign:
    """A validated allocation design. Build it with :func:`make_design`."""

    method: Method
    arms: tuple[str, ...]
    ratios: tuple[int, ...]
    block_sizes: tuple[int, ...] = ()
    factors: tuple[Factor, ...] = ()
    minimization: MinimizationSettings | None = None

    @property
    def allocator(self) -> Allocator:
        """The implementation of the design's method (see :mod:`.allocators`)."""
        return ALLOCATORS[self.method]

    @property
    def stratified(self) -> bool:
        """True when the list holds one sequence per stratum."""
        return self.allocator.stratified

    def strata(self) -> tuple[str, ...]:
        """Every stratum key of a list for this design, in a stable order.

        >>> d = make_design("stratified_blocks", [("a", 1), ("b", 1)], block_sizes=[2],
        ...                 factors={"centre": ["AMC", "UMCU"]})
        >>> d.strata()
        ('centre=AMC', 'centre=UMCU')
        """
        if not self.stratified:
            return (UNSTRATIFIED,)
        combos = itertools.product(*(f.levels for f in self.factors))
        return tuple(_key(self.factors, combo) for combo in combos)

    def stratum_of(self, values: Mapping[str, str]) -> str:
        """The stratum key of a subject; checks every factor and level.

        >>> d = make_design("stratified_blocks", [("a", 1), ("b", 1)], block_sizes=[2],
        ...                 factors={"centre": ["AMC", "UMCU"]})
        >>> d.stratum_of({"centre": "UMCU"})
        'centre=UMCU'
        """
        self.check_values(values)
        if not self.stratified:
            return UNSTRATIFIED
        return _key(self.factors, tuple(values[f.name] for f in self.factors))

    def check_values(self, values: Mapping[str, str]) -> None:
        """Raise unless ``values`` gives a known level for exactly the design's factors."""
        names = [f.name for f in self.factors]
        missing = [n for n in names if n not in values]
        extra = sorted(k for k in values if k not in names)
        if missing or extra:
            raise RandomizationError(
                f"strata: got factors {sorted(values)!r}, expected exactly {names!r}"
                + (f" (missing {missing!r})" if missing else "")
                + (f" (unknown {extra!r})" if extra else "")
            )
        for factor in self.factors:
            value = values[factor.name]
            if value not in factor.levels:
                raise RandomizationError(
                    f"strata.{factor.name}: got {value!r}, expected one of "
                    f"{list(factor.levels)!r}; add a level with `mmntrial randomize extend "
                    f"LIST --add-level {factor.name}={value}`"
                )

    def parameters(self) -> dict[str, object]:
        """The design as plain JSON-ready data (part of the list file and commitment)."""
        mini = self.minimization
        return {
            "arms": [{"name": a, "ratio": r} for a, r in zip(self.arms, self.ratios, strict=True)],
            "block_sizes": list(self.block_sizes),
            "factors": [{"name": f.name, "levels": list(f.levels)} for f in self.factors],
            "minimization": None
            if mini is None
            else {
                "imbalance": mini.imbalance.value,
                "weights": list(mini.weights),
                "p_preferred": mini.p_preferred,
            },
        }


def _key(factors: Sequence[Factor], combo: Sequence[str]) -> str:
    return "|".join(f"{f.name}={v}" for f, v in zip(factors, combo, strict=True))


def make_design(
    method: str,
    arms: Sequence[tuple[str, int]],
    *,
    block_sizes: Sequence[int] = (),
    factors: Mapping[str, Sequence[str]] | None = None,
    imbalance: str = "range",
    weights: Mapping[str, float] | None = None,
    p_preferred: float = 0.8,
) -> AllocationDesign:
    """Validate plain values into an :class:`AllocationDesign`.

    ``arms`` are (name, ratio) pairs; ``factors`` maps each factor to its levels (in a
    stratified design, every combination of levels is a stratum).

    >>> make_design("blocks", [("mmf", 2), ("placebo", 1)], block_sizes=[3, 6]).ratios
    (2, 1)
    >>> make_design("blocks", [("mmf", 2), ("placebo", 1)], block_sizes=[4])
    Traceback (most recent call last):
    ...
    mmntrial.errors.RandomizationError: block_sizes: got 4, expected a multiple of the ratio sum...
    """
    try:
        meth = Method(method)
    except ValueError:
        raise RandomizationError(
            f"method: got {method!r}, expected one of {[m.value for m in Method]!r}"
        ) from None
    names, ratios = _check_arms(arms)
    checked_factors = _check_factors(dict(factors or {}))
    check_strata([len(f.levels) for f in checked_factors])
    sizes = tuple(block_sizes)
    check_block_sizes(sizes)
    mini = ALLOCATORS[meth].check(
        ratios,
        sizes,
        checked_factors,
        imbalance=imbalance,
        weights=weights or {},
        p_preferred=p_preferred,
    )
    return AllocationDesign(meth, names, ratios, sizes, checked_factors, mini)


def _check_arms(arms: Sequence[tuple[str, int]]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    if len(arms) < 2:
        raise RandomizationError(
            f"arms: got {[a for a, _ in arms]!r}, expected at least two arms with a ratio each"
        )
    names = tuple(str(name) for name, _ in arms)
    for name, ratio in arms:
        if not name or "|" in name or "=" in name:
            raise RandomizationError(
                f"arms: got name {name!r}, expected a non-empty name without '|' or '='"
            )
        if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 1:
            raise RandomizationError(
                f"arms.{name}.ratio: got {ratio!r}, expected a whole number of at least 1"
            )
    if len(set(names)) != len(names):
        raise RandomizationError(f"arms: got {list(names)!r}, expected distinct names")
    ratios = tuple(int(r) for _, r in arms)
    return names, ratios


def _check_factors(factors: Mapping[str, Sequence[str]]) -> tuple[Factor, ...]:
    checked = []
    for name, levels in factors.items():
        if not name or any(c in name for c in "|=,"):
            raise RandomizationError(
                f"strata: got factor {name!r}, expected a non-empty name without '|', '=' or ','"
            )
        levels_t = tuple(str(level) for level in levels)
        for level in levels_t:
            # Levels are site codes and the like, typed by people: one check for all of
            # them (kept as written: a committed list's levels must not change).
            checked_identifier(f"strata.{name}", level, RandomizationError)
        bad = [lv for lv in levels_t if not lv or any(c in lv for c in "|=,")]
        if not levels_t or bad or len(set(levels_t)) != len(levels_t):
            raise RandomizationError(
                f"strata.{name}: got levels {list(levels_t)!r}, expected one or more distinct, "
                "non-empty levels without '|', '=' or ','"
            )
        checked.append(Factor(name, levels_t))
    return tuple(checked)


def design_from_protocol(
    arms: Sequence[Arm],
    randomization: Randomization,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> AllocationDesign:
    """Build the design from a protocol's arms and ``[randomization]`` section.

    ``levels`` gives the levels of every factor the protocol names (for example the
    centres); the protocol file names the factors but cannot know the centres.

    >>> from mmntrial.protocol.model import Arm, Randomization
    >>> arms = (Arm("mmf", "MMF", "mmf", (), 1), Arm("placebo", "Placebo", "placebo", (), 1))
    >>> r = Randomization("stratified_blocks", block_sizes=(2, 4), strata=("centre",))
    >>> design_from_protocol(arms, r, {"centre": ["AMC", "UMCU"]}).strata()
    ('centre=AMC', 'centre=UMCU')
    """
    given = dict(levels or {})
    mini = randomization.minimization
    names = list(randomization.factors)
    missing = [n for n in names if n not in given]
    extra = sorted(set(given) - set(names))
    if missing or extra:
        raise RandomizationError(
            f"strata: got levels for {sorted(given)!r}, expected levels for exactly the "
            f"protocol's factors {names!r} (for example --strata {(names or ['centre'])[0]}=A,B)"
        )
    return make_design(
        randomization.method,
        [(arm.name, arm.ratio) for arm in arms],
        block_sizes=randomization.block_sizes,
        factors={n: given[n] for n in names},
        imbalance=mini.imbalance if mini else Imbalance.RANGE,
        weights=dict(mini.factor_weights) if mini else None,
        p_preferred=mini.p_preferred if mini else 0.8,
    )


def design_from_parameters(method: str, parameters: Mapping[str, Any]) -> AllocationDesign:
    """Rebuild a design from :meth:`AllocationDesign.parameters` (as read from a list file).

    >>> d = make_design("blocks", [("a", 1), ("b", 1)], block_sizes=[2])
    >>> design_from_parameters("blocks", d.parameters()) == d
    True
    """
    try:
        arms = [(str(a["name"]), int(a["ratio"])) for a in parameters["arms"]]
        factors = {str(f["name"]): list(f["levels"]) for f in parameters["factors"]}
        sizes = [int(s) for s in parameters["block_sizes"]]
        mini = parameters.get("minimization")
        extra: dict[str, Any] = {}
        if isinstance(mini, Mapping):
            names = list(factors)
            extra = {
                "imbalance": str(mini["imbalance"]),
                "weights": dict(zip(names, (float(w) for w in mini["weights"]), strict=True)),
                "p_preferred": float(mini["p_preferred"]),
            }
    except (KeyError, TypeError, ValueError) as error:
        raise RandomizationError(
            f"parameters: got {dict(parameters)!r}, expected arms, block_sizes, factors and "
            f"minimization as written by `mmntrial randomize generate` ({error!r})"
        ) from None
    return make_design(method, arms, block_sizes=sizes, factors=factors, **extra)

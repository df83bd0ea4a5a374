"""Allocation lists: generate, extend, commit and verify.

A list is derived from four things only: the method, its parameters, the size per
stratum and the secret seed. Each stratum has its own random stream (see
:mod:`.streams`), so adding a stratum or lengthening the list leaves every row that was
already committed unchanged; :func:`extend` checks that and keeps the earlier
commitments, and :func:`verify` re-checks each of them.

The commitment is SHA-256 over a canonical JSON text, which anyone can recompute::

    text = json.dumps({"method": METHOD, "parameters": PARAMETERS, "rows": ROWS},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    commitment = sha256(text.encode("utf-8")).hexdigest()

where PARAMETERS is the list file's ``parameters`` object (arms and ratios, block sizes,
factors and levels, minimization settings, size per stratum) and ROWS is
``[[seq, stratum, arm, kit], ...]`` sorted by stratum, then seq (``arm`` is ``null`` in
a minimization list, whose arms are decided at allocation). The seed is not part of the
text: publish the commitment, keep the list file (with its seed) secret.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mmntrial.errors import ListTampered, RandomizationError
from mmntrial.randomization.blinding import kit_code, kit_key
from mmntrial.randomization.design import (
    AllocationDesign,
    Factor,
    design_from_parameters,
)
from mmntrial.randomization.limits import check_list_size
from mmntrial.randomization.streams import check_seed, stream


@dataclass(frozen=True)
class Row:
    """One slot of a list: sequence number within its stratum, stratum, arm, kit code."""

    seq: int
    stratum: str
    arm: str | None  # None in a minimization list: the arm is chosen at allocation
    kit: str


@dataclass(frozen=True)
class Commitment:
    """A published commitment and the parameters of the list it was made for."""

    parameters: Mapping[str, Any]
    sha256: str


@dataclass(frozen=True)
class AllocationList:
    """A list as generated or as read from its file (read lists may have been tampered with)."""

    design: AllocationDesign
    size_per_stratum: int
    seed: int
    rows: tuple[Row, ...]
    history: tuple[Commitment, ...]  # the first commitment first, the current one last

    @property
    def method(self) -> str:
        """The method's name as written in the file."""
        return self.design.method.value

    @property
    def commitment(self) -> str:
        """The current commitment (the last of :attr:`history`)."""
        return self.history[-1].sha256

    def parameters(self) -> dict[str, Any]:
        """The committed parameters: the design plus the size per stratum."""
        return list_parameters(self.design, self.size_per_stratum)

    def slots(self, stratum: str) -> tuple[Row, ...]:
        """The rows of one stratum in sequence order."""
        return tuple(r for r in self.rows if r.stratum == stratum)


def list_parameters(design: AllocationDesign, size_per_stratum: int) -> dict[str, Any]:
    """The ``parameters`` object of a list file (see the module docstring)."""
    return {**design.parameters(), "size_per_stratum": size_per_stratum}


def canonical_text(method: str, parameters: Mapping[str, Any], rows: Sequence[Row]) -> str:
    """The canonical JSON text the commitment hashes.

    >>> canonical_text("simple", {"b": 1, "a": 2}, [Row(1, "all", "mmf", "K")])
    '{"method":"simple","parameters":{"a":2,"b":1},"rows":[[1,"all","mmf","K"]]}'
    """
    ordered = sorted(rows, key=lambda r: (r.stratum, r.seq))
    doc = {
        "method": method,
        "parameters": parameters,
        "rows": [[r.seq, r.stratum, r.arm, r.kit] for r in ordered],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def commitment_of(method: str, parameters: Mapping[str, Any], rows: Sequence[Row]) -> str:
    """SHA-256 (hex) of :func:`canonical_text`."""
    return hashlib.sha256(canonical_text(method, parameters, rows).encode("utf-8")).hexdigest()


def _rows(design: AllocationDesign, size_per_stratum: int, seed: int) -> tuple[Row, ...]:
    key = kit_key(seed)
    rows: list[Row] = []
    for stratum in sorted(design.strata()):
        rng = stream(seed, "list", stratum)
        arms = design.allocator.list_arms(design, size_per_stratum, rng)
        rows.extend(
            Row(i, stratum, None if a is None else design.arms[a], kit_code(key, stratum, i))
            for i, a in enumerate(arms, start=1)
        )
    kits = {r.kit for r in rows}
    if len(kits) != len(rows):
        # 50-bit codes make this about a 1-in-10^7 event for 10^4 rows; never reuse a code.
        raise RandomizationError(
            f"seed: got {seed}, which gives two slots the same kit code; choose another seed"
        )
    return tuple(rows)


def generate(design: AllocationDesign, size_per_stratum: int, seed: int) -> AllocationList:
    """Generate the list: ``size_per_stratum`` slots per stratum (blocks: in whole blocks).

    Size each stratum with headroom (the most patients a centre could enrol, and more):
    running out mid-trial stops allocation in that stratum until the list is extended.

    >>> from mmntrial.randomization.design import make_design
    >>> d = make_design("blocks", [("mmf", 1), ("placebo", 1)], block_sizes=[2, 4])
    >>> lst = generate(d, 10, seed=2024)
    >>> len(lst.rows) >= 10, lst == generate(d, 10, seed=2024)
    (True, True)
    """
    seed = check_seed(seed)
    check_list_size(design, size_per_stratum)
    rows = _rows(design, size_per_stratum, seed)
    parameters = list_parameters(design, size_per_stratum)
    sha = commitment_of(design.method.value, parameters, rows)
    return AllocationList(design, size_per_stratum, seed, rows, (Commitment(parameters, sha),))


def extend(
    allocation_list: AllocationList,
    size_per_stratum: int | None = None,
    add_levels: Mapping[str, Sequence[str]] | None = None,
) -> AllocationList:
    """A longer list (or one with new factor levels) whose committed rows are unchanged.

    The new list keeps every earlier commitment in its history and adds its own.

    >>> from mmntrial.randomization.design import make_design
    >>> d = make_design("stratified_blocks", [("a", 1), ("b", 1)], block_sizes=[2],
    ...                 factors={"centre": ["AMC"]})
    >>> old = generate(d, 4, seed=7)
    >>> new = extend(old, 8, add_levels={"centre": ["UMCU"]})
    >>> set(old.rows) <= set(new.rows), len(new.history)
    (True, 2)
    """
    old = allocation_list
    size = old.size_per_stratum if size_per_stratum is None else size_per_stratum
    if isinstance(size, bool) or not isinstance(size, int) or size < old.size_per_stratum:
        raise RandomizationError(
            f"size: got {size!r}, expected at least the current size per stratum "
            f"{old.size_per_stratum}: an extension never removes committed rows"
        )
    design = _with_levels(old.design, dict(add_levels or {}))
    if size == old.size_per_stratum and design == old.design:
        raise RandomizationError(
            f"size: got {size}, the current size, and no new levels: expected a larger size "
            "(--size) or a new level (--add-level factor=value)"
        )
    new = generate(design, size, old.seed)
    _check_prefix(old.rows, new.rows)
    return replace(new, history=(*old.history, *new.history))


def _with_levels(design: AllocationDesign, add: dict[str, Sequence[str]]) -> AllocationDesign:
    names = [f.name for f in design.factors]
    unknown = sorted(set(add) - set(names))
    if unknown:
        raise RandomizationError(
            f"add_levels: got factors {unknown!r}, expected one of the list's factors {names!r}"
        )
    factors = []
    for factor in design.factors:
        new = [str(level) for level in add.get(factor.name, ())]
        clash = [level for level in new if level in factor.levels]
        if clash:
            raise RandomizationError(
                f"add_levels.{factor.name}: got {clash!r}, expected levels the list does not "
                f"have yet (it has {list(factor.levels)!r})"
            )
        factors.append(Factor(factor.name, (*factor.levels, *new)))
    params = {
        **design.parameters(),
        "factors": [{"name": f.name, "levels": list(f.levels)} for f in factors],
    }
    return design_from_parameters(design.method.value, params)


def _check_prefix(old: Sequence[Row], new: Sequence[Row]) -> None:
    new_by_slot = {(r.stratum, r.seq): r for r in new}
    for row in sorted(old, key=lambda r: (r.stratum, r.seq)):
        if new_by_slot.get((row.stratum, row.seq)) != row:
            raise ListTampered(
                f"row stratum {row.stratum!r} seq {row.seq}: committed with kit {row.kit!r}, "
                "differs after re-derivation (its arm or kit changed, or it is missing)"
            )


def verify(allocation_list: AllocationList, published: str | None = None) -> str:
    """Re-derive the list from its parameters and seed; return its commitment if all agree.

    Checks, in this order: every row against the re-derived list (naming the first row
    that differs), the current commitment, every earlier commitment in the history and
    that its rows are unchanged, and the ``published`` commitment when given (it must be
    one of the history's). Raises :class:`~mmntrial.errors.ListTampered` otherwise.

    >>> from mmntrial.randomization.design import make_design
    >>> d = make_design("simple", [("mmf", 1), ("placebo", 1)])
    >>> lst = generate(d, 5, seed=11)
    >>> verify(lst) == lst.commitment
    True
    """
    lst = allocation_list
    derived = generate(lst.design, lst.size_per_stratum, lst.seed)
    ours = sorted(lst.rows, key=lambda r: (r.stratum, r.seq))
    for number, (got, want) in enumerate(zip(ours, derived.rows, strict=False), start=1):
        if got != want:
            # Named by slot and kit, never by arm: a message may be seen by anyone.
            differs = "its arm" if got.arm != want.arm else f"kit {want.kit!r}"
            raise ListTampered(
                f"row {number} (stratum {got.stratum!r}, seq {got.seq}): the file has kit "
                f"{got.kit!r}, the seed and parameters give stratum {want.stratum!r} seq "
                f"{want.seq} with {differs}: the row was changed"
            )
    if len(ours) != len(derived.rows):
        raise ListTampered(
            f"rows: the file has {len(ours)} rows, the seed and parameters give "
            f"{len(derived.rows)}; first missing or extra row is number "
            f"{min(len(ours), len(derived.rows)) + 1}"
        )
    if lst.commitment != derived.commitment:
        raise ListTampered(
            f"commitment: the file says {lst.commitment}, its rows and parameters hash to "
            f"{derived.commitment}"
        )
    for number, entry in enumerate(lst.history, start=1):
        _verify_entry(lst, number, entry)
    if published is not None and published.lower() not in {c.sha256 for c in lst.history}:
        raise ListTampered(
            f"commitment: got published {published!r}, expected one of this list's "
            f"commitments {[c.sha256 for c in lst.history]!r}"
        )
    return derived.commitment


def _verify_entry(lst: AllocationList, number: int, entry: Commitment) -> None:
    params = dict(entry.parameters)
    try:
        size = int(params.pop("size_per_stratum"))
    except (KeyError, TypeError, ValueError):
        raise ListTampered(
            f"history[{number}].parameters: got {entry.parameters!r}, expected a size_per_stratum"
        ) from None
    earlier = generate(design_from_parameters(lst.method, params), size, lst.seed)
    if earlier.commitment != entry.sha256:
        raise ListTampered(
            f"history[{number}]: commitment {entry.sha256} does not match the list its "
            f"parameters and the seed give ({earlier.commitment})"
        )
    try:
        _check_prefix(earlier.rows, lst.rows)
    except ListTampered as error:
        raise ListTampered(f"history[{number}] {entry.sha256[:12]}: {error}") from None

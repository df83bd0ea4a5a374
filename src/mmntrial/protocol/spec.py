"""The building blocks of the protocol schema: what one key may hold.

A :class:`Spec` says a key's TOML shape (:class:`Kind`), its range or allowed values,
whether it is required, its default, and when it applies at all. The schema itself,
one Spec per key of the file, is :data:`mmntrial.protocol.schema.ROOT`.

>>> describe_type(number("a level", minimum=0, maximum=100, max_open=True))
'number >= 0 and < 100'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """The TOML shape a key holds."""

    STR = "string"
    INT = "integer"
    FLOAT = "number"
    BOOL = "boolean"
    ENUM = "enum"
    LIST = "list"
    TABLE = "table"
    TABLES = "array of tables"
    MAP = "map"  # a table whose keys are names chosen by the author


@dataclass(frozen=True)
class Spec:
    """What one key may hold; see the helper constructors below."""

    kind: Kind
    meaning: str
    required: bool = True
    default: object = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_open: bool = False  # the minimum itself is not allowed
    max_open: bool = False
    pattern: str | None = None  # STR values and MAP keys must match it in full
    pattern_text: str = ""
    item: Spec | None = None  # LIST items and MAP values
    fields: Mapping[str, Spec] = field(default_factory=dict)  # TABLE and TABLES
    min_items: int = 0
    # (sibling key, values): the key is required when the sibling holds one of the
    # values and not allowed otherwise (step_percent only with mode = "percent_step").
    only_when: tuple[str, tuple[str, ...]] | None = None


SLUG = r"[a-z0-9][a-z0-9_.-]*"
SLUG_TEXT = "a lowercase name: letters a-z, digits, '_', '-', '.'"


def text(meaning: str, *, pattern: str | None = None, pattern_text: str = "", **kw: Any) -> Spec:
    """A string; with ``pattern``, one that matches it in full."""
    return Spec(Kind.STR, meaning, pattern=pattern, pattern_text=pattern_text, **kw)


def name(meaning: str, **kw: Any) -> Spec:
    """A lowercase identifier (arm names, exclusion ids, strata)."""
    return text(meaning, pattern=SLUG, pattern_text=SLUG_TEXT, **kw)


def integer(meaning: str, **kw: Any) -> Spec:
    """An integer (a boolean or a float is refused)."""
    return Spec(Kind.INT, meaning, **kw)


def number(meaning: str, **kw: Any) -> Spec:
    """A finite number; integers are accepted."""
    return Spec(Kind.FLOAT, meaning, **kw)


def flag(meaning: str, **kw: Any) -> Spec:
    """A boolean."""
    return Spec(Kind.BOOL, meaning, **kw)


def choice(meaning: str, choices: tuple[str, ...], **kw: Any) -> Spec:
    """A string from a fixed set."""
    return Spec(Kind.ENUM, meaning, choices=choices, **kw)


def listing(meaning: str, item: Spec, **kw: Any) -> Spec:
    """A list of values, each checked against ``item``."""
    return Spec(Kind.LIST, meaning, item=item, **kw)


def table(meaning: str, fields: Mapping[str, Spec], **kw: Any) -> Spec:
    """A table with the given keys."""
    return Spec(Kind.TABLE, meaning, fields=fields, **kw)


def tables(meaning: str, fields: Mapping[str, Spec], **kw: Any) -> Spec:
    """An array of tables (``[[arms]]``, or an inline list of ``{...}``)."""
    return Spec(Kind.TABLES, meaning, fields=fields, **kw)


def describe_type(spec: Spec) -> str:
    """The type of a key in words, with its range: ``integer >= 0``, ``list of string``."""
    if spec.kind is Kind.ENUM:
        return "one of " + ", ".join(f'"{c}"' for c in spec.choices)
    if spec.kind in (Kind.INT, Kind.FLOAT):
        return f"{spec.kind.value} {bounds_text(spec)}".strip()
    if spec.kind is Kind.STR:
        return f"string: {spec.pattern_text}" if spec.pattern_text else "string"
    at_least = f" (at least {spec.min_items})" if spec.min_items else ""
    if spec.kind is Kind.LIST and spec.item is not None:
        return f"list{at_least} of {describe_type(spec.item)}"
    if spec.kind is Kind.MAP and spec.item is not None:
        return f"table{at_least} of name = {describe_type(spec.item)}"
    return spec.kind.value + at_least


def bounds_text(spec: Spec) -> str:
    """The range of a number in words (``>= 0``, ``> 0 and <= 100``), or ``''``."""
    low = None if spec.minimum is None else f"{'>' if spec.min_open else '>='} {spec.minimum:g}"
    high = None if spec.maximum is None else f"{'<' if spec.max_open else '<='} {spec.maximum:g}"
    return " and ".join(part for part in (low, high) if part)


@dataclass(frozen=True)
class SchemaRow:
    """One key of the file format, as docs/protocol.md lists it."""

    key: str  # dotted, with [] for arrays: arms[].regimen[].from_day
    type_text: str
    requirement: str  # "required", "optional", "default: ..." or a condition
    meaning: str


def _requirement(spec: Spec, parent: str) -> str:
    if spec.only_when is not None:
        sibling, values = spec.only_when
        where = f"{parent}.{sibling}" if parent else sibling
        shown = " or ".join(f'"{v}"' for v in values)
        return f"required when {where} = {shown}; not allowed otherwise"
    if spec.required:
        return "required"
    if spec.default is None:
        return "optional"
    shown = "[]" if spec.default == [] else repr(spec.default).replace("'", '"')
    if isinstance(spec.default, bool):
        shown = str(spec.default).lower()
    return f"default {shown}"


def rows(spec: Spec, prefix: str = "") -> Iterator[SchemaRow]:
    """A row per key under ``spec``, depth first; arrays of tables show as ``name[]``."""
    for key, sub in spec.fields.items():
        dotted = f"{prefix}.{key}" if prefix else key
        shown = f"{dotted}[]" if sub.kind is Kind.TABLES else dotted
        yield SchemaRow(dotted, describe_type(sub), _requirement(sub, prefix), sub.meaning)
        if sub.kind in (Kind.TABLE, Kind.TABLES):
            yield from rows(sub, shown)


__all__ = [
    "SLUG",
    "SLUG_TEXT",
    "Kind",
    "SchemaRow",
    "Spec",
    "bounds_text",
    "choice",
    "describe_type",
    "flag",
    "integer",
    "listing",
    "name",
    "number",
    "rows",
    "table",
    "tables",
    "text",
]

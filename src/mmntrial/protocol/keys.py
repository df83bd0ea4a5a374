"""Model fields that are keys of the protocol file: the format stated once, in the model.

A field of a :mod:`mmntrial.protocol.model` dataclass declared with :func:`key` carries
what the file may hold for it (meaning, range, pattern, default, condition); its type
annotation says the rest: ``int``, ``float``, ``bool`` and ``str`` keys, enums (the
allowed values), nested dataclasses (tables), tuples of dataclasses (arrays of tables)
and tuples of values (lists). :func:`table_fields` turns a dataclass into the
:class:`~mmntrial.protocol.spec.Spec` of each of its keys, from which
:data:`mmntrial.protocol.schema.ROOT` is assembled; :func:`build` reads checked data
back into the dataclass. The population file follows the same pattern
(:mod:`mmntrial.simulate.population._params`).

>>> from dataclasses import dataclass
>>> from mmntrial.protocol.spec import describe_type
>>> @dataclass(frozen=True)
... class Step:
...     day: int = key("study day", minimum=0)
...     every_days: int = key("interval", minimum=1, default=1, field_default=1)
>>> [f"{k}: {describe_type(s)}" for k, s in table_fields(Step).items()]
['day: integer >= 0', 'every_days: integer >= 1']
>>> build(Step, {"day": 3})
Step(day=3, every_days=1)
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import Any

from mmntrial.protocol.spec import Kind, Spec

_KEY = "protocol_key"
_TABLE_KINDS = (
    Kind.TABLE,
    Kind.TABLES,
    Kind.MAP,
)  # the metadata entry of a field declared with key()

# The kind a list item's Spec must have for each element type of a tuple field.
_ITEM_KINDS = {
    int: (Kind.INT,),
    float: (Kind.FLOAT,),
    bool: (Kind.BOOL,),
    str: (Kind.STR, Kind.ENUM),
}


def key(
    meaning: str,
    *,
    field_default: Any = dataclasses.MISSING,
    item: Spec | None = None,
    spec: Spec | None = None,
    context: Mapping[str, str] | None = None,
    **options: Any,
) -> Any:
    """A dataclass field that is also a key of the file.

    ``options`` are those of :class:`~mmntrial.protocol.spec.Spec` (``minimum``,
    ``pattern``, ``choices``, ``only_when`` ...); a ``default`` is the value the reader
    fills in when the file leaves the key out (and makes the key optional), while
    ``field_default`` is the dataclass's own default. ``item`` is the Spec of each
    value of a list; ``spec`` states a shape the type cannot (a table of named
    numbers); ``context`` fills ``{name}`` placeholders in the meanings of the keys of
    a nested table (a criterion of the rescue, or of the deterioration rule).
    """
    if "default" in options:
        options.setdefault("required", False)
    metadata = {_KEY: {"meaning": meaning, "item": item, "spec": spec, "context": context,
                       "options": options}}  # fmt: skip
    if field_default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=field_default, metadata=metadata)


_HINTS: dict[type, dict[str, Any]] = {}  # a class's resolved annotations, once


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _unwrap(hint: Any) -> Any:
    """``X`` of ``X | None``; anything else as it is."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        rest = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return hint


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _is_enum(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, StrEnum)


def _element(hint: Any) -> Any | None:
    """The element type of ``tuple[X, ...]``, or None for any other type."""
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
    return None


def _field_spec(cls: type, field: dataclasses.Field[Any], context: Mapping[str, str]) -> Spec:
    declared = field.metadata[_KEY]
    meaning = declared["meaning"].format_map(context) if context else declared["meaning"]
    options = declared["options"]
    if declared["spec"] is not None:
        given: Spec = declared["spec"]
        return dataclasses.replace(given, meaning=meaning, **options)
    hint = _unwrap(_hints(cls)[field.name])
    inner = declared["context"] or {}
    element = _element(hint)
    if _is_model(hint):
        return Spec(Kind.TABLE, meaning, fields=table_fields(hint, inner), **options)
    if element is not None and _is_model(element):
        return Spec(Kind.TABLES, meaning, fields=table_fields(element, inner), **options)
    if element is not None:
        item = declared["item"]
        if item is None or item.kind not in _ITEM_KINDS.get(element, (Kind.ENUM,)):
            raise TypeError(
                f"{cls.__name__}.{field.name}: got item {item!r}, expected the Spec of a "
                f"list item of type {element!r}"
            )
        return Spec(Kind.LIST, meaning, item=item, **options)
    if _is_enum(hint):
        return Spec(Kind.ENUM, meaning, choices=tuple(m.value for m in hint), **options)
    if hint is str:
        return Spec(Kind.ENUM if "choices" in options else Kind.STR, meaning, **options)
    kinds = {int: Kind.INT, float: Kind.FLOAT, bool: Kind.BOOL}
    if hint not in kinds:
        raise TypeError(f"{cls.__name__}.{field.name}: no file key for type {hint!r}")
    return Spec(kinds[hint], meaning, **options)


def table_fields(cls: type, context: Mapping[str, str] | None = None) -> dict[str, Spec]:
    """The Spec of each key of ``cls``'s table (fields without key() skipped).

    Keys come in the order a TOML file writes them: the plain values in field order,
    then the tables and arrays of tables in field order (TOML puts a table's own keys
    before its sub-tables), which is also the order in which problems are reported.
    ``context`` fills the ``{name}`` placeholders of the keys' meanings.
    """
    specs = [
        (field.name, _field_spec(cls, field, context or {}))
        for field in dataclasses.fields(cls)
        if _KEY in field.metadata
    ]
    return dict(sorted(specs, key=lambda pair: pair[1].kind in _TABLE_KINDS))


def build(cls: type[Any], data: Mapping[str, Any]) -> Any:
    """An instance of ``cls`` from checked data: tables become dataclasses, lists
    tuples, strings enums, a table of named values a tuple of pairs; keys left out take
    the field's default.
    """
    hints = _hints(cls)
    given = {
        field.name: _convert(hints[field.name], data[field.name])
        for field in dataclasses.fields(cls)
        if field.name in data
    }
    return cls(**given)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    hint = _unwrap(hint)
    if _is_model(hint):
        return build(hint, value)
    element = _element(hint)
    if element is not None:
        if isinstance(value, Mapping):
            return tuple(value.items())
        return tuple(_convert(element, item) for item in value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    return value


__all__ = ["build", "key", "table_fields"]

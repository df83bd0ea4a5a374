"""Read raw TOML data against the schema, collecting every problem instead of stopping.

:func:`read` returns the data with each valid value converted (ints accepted as floats,
defaults filled in) and every invalid or missing value left out, so that the checks of
contradictions (:mod:`mmntrial.protocol.checks`) can run on what is left and the user
sees all the problems of a file at once.

>>> data, problems, given = read({"protocol": {"name": "x", "titel": "y"}})
>>> for problem in problems[:2]:
...     print(problem)
PROTO-E004 protocol.titel: got 'titel', expected a key of [protocol] (did you mean 'title'?)
PROTO-E005 protocol.title: got nothing, expected string: one line of at most 200 ...
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sized
from typing import Any, Final

from mmntrial.errors import Problem
from mmntrial.protocol.schema import ROOT
from mmntrial.protocol.spec import Kind, Spec, bounds_text, describe_type


class _Missing:
    """The ``received`` of a missing key; prints as ``nothing``."""

    def __repr__(self) -> str:
        return "nothing"


MISSING: Final = _Missing()
_INVALID: Final = object()  # a value that failed its check; never leaves this module

Data = dict[str, Any]


def join(prefix: str, key: str) -> str:
    """The dotted key of ``key`` inside ``prefix`` (``''`` is the top level)."""
    return f"{prefix}.{key}" if prefix else key


def type_name(value: object) -> str:
    """What a TOML value is, in the words a protocol author uses."""
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    for kind, word in names.items():
        if type(value) is kind:
            return word
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.given: set[str] = set()  # dotted keys present in the file, valid or not

    def add(self, code: str, key: str, received: object, expected: str) -> None:
        self.problems.append(Problem(code, key, received, expected))

    def value(self, raw: object, spec: Spec, key: str) -> Any:
        """The checked value of ``raw``, or _INVALID after recording why."""
        kind = spec.kind
        if kind is Kind.TABLE:
            return self.table(raw, spec, key)
        if kind is Kind.TABLES:
            return self.tables(raw, spec, key)
        if kind is Kind.LIST:
            return self.listing(raw, spec, key)
        if kind is Kind.MAP:
            return self.mapping(raw, spec, key)
        return self.scalar(raw, spec, key)

    def wrong_type(self, raw: object, spec: Spec, key: str) -> Any:
        self.add("PROTO-E006", key, raw, f"{_article(spec)}, not {type_name(raw)}")
        return _INVALID

    def scalar(self, raw: object, spec: Spec, key: str) -> Any:
        kind = spec.kind
        if kind is Kind.BOOL:
            return raw if isinstance(raw, bool) else self.wrong_type(raw, spec, key)
        if kind is Kind.STR or kind is Kind.ENUM:
            if not isinstance(raw, str):
                return self.wrong_type(raw, spec, key)
            if kind is Kind.ENUM and raw not in spec.choices:
                self.add("PROTO-E008", key, raw, describe_type(spec))
                return _INVALID
            if spec.pattern is not None and not re.fullmatch(spec.pattern, raw):
                self.add("PROTO-E009", key, raw, spec.pattern_text)
                return _INVALID
            return raw
        # bool is a subclass of int in Python but never a number in a protocol file.
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return self.wrong_type(raw, spec, key)
        if kind is Kind.INT and not isinstance(raw, int):
            return self.wrong_type(raw, spec, key)
        try:
            number: int | float = raw if kind is Kind.INT else float(raw)
        except OverflowError:  # an int too large for a float: only from non-TOML data
            number = math.inf
        if not math.isfinite(number):
            self.add("PROTO-E007", key, raw, f"a finite number {bounds_text(spec)}".strip())
            return _INVALID
        if not _in_bounds(number, spec):
            self.add("PROTO-E007", key, raw, f"{_article(spec)} {bounds_text(spec)}")
            return _INVALID
        return number

    def listing(self, raw: object, spec: Spec, key: str) -> Any:
        if not isinstance(raw, list | tuple) or spec.item is None:
            return self.wrong_type(raw, spec, key)
        items = [self.value(item, spec.item, f"{key}[{i}]") for i, item in enumerate(raw)]
        if len(items) < spec.min_items:
            self.too_few(raw, spec, key)
            return _INVALID
        # One bad item spoils the list: cross-checks then skip it rather than misjudge.
        return _INVALID if any(item is _INVALID for item in items) else items

    def too_few(self, raw: Sized, spec: Spec, key: str) -> None:
        # The count, not the list: a list of tables would print as a page of text.
        noun = "item" if spec.min_items == 1 else "items"
        self.add("PROTO-E017", key, len(raw), f"at least {spec.min_items} {noun}")

    def mapping(self, raw: object, spec: Spec, key: str) -> Any:
        if not isinstance(raw, Mapping) or spec.item is None:
            return self.wrong_type(raw, spec, key)
        out: Data = {}
        for name, item in raw.items():
            if spec.pattern is not None and not re.fullmatch(spec.pattern, str(name)):
                self.add("PROTO-E009", join(key, str(name)), name, spec.pattern_text)
                continue
            checked = self.value(item, spec.item, join(key, str(name)))
            if checked is not _INVALID:
                out[str(name)] = checked
        if len(raw) < spec.min_items:
            self.too_few(raw, spec, key)
            return _INVALID
        return out if len(out) == len(raw) else _INVALID

    def tables(self, raw: object, spec: Spec, key: str) -> Any:
        if not isinstance(raw, list | tuple):
            return self.wrong_type(raw, spec, key)
        # Items keep their places (None for a non-table) so later messages keep indices.
        items = [self.table(item, spec, f"{key}[{i}]") for i, item in enumerate(raw)]
        if len(items) < spec.min_items:
            self.too_few(raw, spec, key)
        return [None if item is _INVALID else item for item in items]

    def table(self, raw: object, spec: Spec, key: str) -> Any:
        if not isinstance(raw, Mapping):
            self.add("PROTO-E006", key or "(top level)", raw, f"a table, not {type_name(raw)}")
            return _INVALID
        fields = spec.fields
        for given in raw:
            if given not in fields:
                self.unknown(str(given), key, fields)
        out: Data = {}
        # Conditional keys last: they depend on the value of a sibling read before them.
        ordered = sorted(fields.items(), key=lambda item: item[1].only_when is not None)
        for name, sub in ordered:
            subkey = join(key, name)
            if name in raw:
                self.given.add(subkey)
            applies = self.applies(sub, out)
            if name in raw:
                if applies is False and sub.only_when is not None:
                    sibling, values = sub.only_when
                    shown = " or ".join(f'"{v}"' for v in values)
                    self.add(
                        "PROTO-E020",
                        subkey,
                        raw[name],
                        f'no {name} when {join(key, sibling)} = "{out[sibling]}" '
                        f"(it applies only when {sibling} = {shown})",
                    )
                    continue
                checked = self.value(raw[name], sub, subkey)
                if checked is not _INVALID:
                    out[name] = checked
            elif applies is True and sub.required:
                sibling, values = sub.only_when or ("", ())
                self.add(
                    "PROTO-E019",
                    subkey,
                    MISSING,
                    f'{describe_type(sub)} (required when {join(key, sibling)} = "{out[sibling]}")',
                )
            elif sub.only_when is None and sub.required:
                self.add("PROTO-E005", subkey, MISSING, f"{describe_type(sub)} (required)")
            elif sub.default is not None:
                # A copy: the schema's default list must never be shared with the output.
                out[name] = list(sub.default) if isinstance(sub.default, list) else sub.default
        return out

    @staticmethod
    def applies(spec: Spec, out: Data) -> bool | None:
        """Whether a conditional key applies here; None when unconditional or unknown."""
        if spec.only_when is None:
            return None
        sibling, values = spec.only_when
        if sibling not in out:  # missing or invalid: already reported, judge nothing
            return None
        return out[sibling] in values

    def unknown(self, given: str, key: str, fields: Mapping[str, Spec]) -> None:
        where = f"[{key}]" if key else "the top level"
        close = difflib.get_close_matches(given, list(fields), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "known keys: " + ", ".join(fields)
        self.add("PROTO-E004", join(key, given), given, f"a key of {where} ({hint})")


def _article(spec: Spec) -> str:
    words = {
        Kind.INT: "an integer",
        Kind.FLOAT: "a number",
        Kind.BOOL: "true or false",
        Kind.STR: "a string",
        Kind.ENUM: "a string",
        Kind.LIST: "a list",
        Kind.MAP: "a table",
        Kind.TABLE: "a table",
        Kind.TABLES: "a list of tables",
    }
    return words[spec.kind]


def _in_bounds(number: float, spec: Spec) -> bool:
    low, high = spec.minimum, spec.maximum
    if low is not None and (number < low or (spec.min_open and number == low)):
        return False
    return not (high is not None and (number > high or (spec.max_open and number == high)))


def read(data: object, spec: Spec = ROOT) -> tuple[Data, list[Problem], frozenset[str]]:
    """Check ``data`` against ``spec``.

    Returns the valid part, every problem found, and the dotted keys present in the
    file (valid or not), which later checks use so as not to report a bad key twice.
    """
    reader = _Reader()
    out = reader.table(data, spec, "")
    return (out if isinstance(out, dict) else {}), reader.problems, frozenset(reader.given)


__all__ = ["MISSING", "Data", "join", "read", "type_name"]

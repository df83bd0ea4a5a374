"""Load a protocol: a built-in name or a TOML file, validated, as a frozen Protocol.

Loading never stops at the first mistake: the schema (types, ranges, allowed values,
unknown and missing keys) and the contradiction checks both run over the whole file,
and one :class:`~mmntrial.errors.ProtocolError` lists every problem, each with a stable
code from :data:`mmntrial.protocol.codes.CODES`.

>>> protocol = load_protocol("piepers-2007")
>>> protocol.taper.dose_levels_percent()
(100.0, 75.0, 50.0, 25.0, 0.0)
>>> load_protocol("piepers-2008")
Traceback (most recent call last):
...
mmntrial.errors.ProtocolError: protocol piepers-2008: 1 problem
  PROTO-E001 protocol: got 'piepers-2008', expected a built-in protocol (...) or a path ...
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from mmntrial.errors import Problem, ProtocolError
from mmntrial.inputs import MAX_TOML_BYTES, limit_text, read_bounded
from mmntrial.protocol.checks import check
from mmntrial.protocol.keys import build
from mmntrial.protocol.model import Protocol
from mmntrial.protocol.reader import Data, read

_SUFFIX = ".toml"


def _builtin_folder() -> Traversable:
    # Through the parent package: builtin/ holds data only and is no package itself.
    return resources.files("mmntrial.protocol").joinpath("builtin")


def builtin_names() -> list[str]:
    """The names of the protocols shipped inside the package, sorted.

    >>> "piepers-2007" in builtin_names()
    True
    """
    folder = _builtin_folder()
    return sorted(
        entry.name.removesuffix(_SUFFIX)
        for entry in folder.iterdir()
        if entry.name.endswith(_SUFFIX) and entry.is_file()
    )


def _looks_like_path(text: str) -> bool:
    return text.endswith(_SUFFIX) or "/" in text or "\\" in text


def load_protocol(name_or_path: str | Path) -> Protocol:
    """A validated Protocol from a built-in name or a path to a TOML file.

    A name with no slash and no ``.toml`` suffix is looked up among the built-ins first
    (``--protocol piepers-2007``); anything else is a path. Raises ProtocolError with
    every problem found.

    >>> load_protocol("piepers-2007").origin
    'builtin:piepers-2007'
    """
    if isinstance(name_or_path, str) and not _looks_like_path(name_or_path):
        if name_or_path in builtin_names():
            resource = _builtin_folder().joinpath(name_or_path + _SUFFIX)
            content = resource.read_bytes()
            return _from_bytes(content, name_or_path, f"builtin:{name_or_path}")
        if not Path(name_or_path).is_file():
            shown = ", ".join(builtin_names())
            raise ProtocolError(
                name_or_path,
                [
                    Problem(
                        "PROTO-E001",
                        "protocol",
                        name_or_path,
                        f"a built-in protocol ({shown}) or a path to a .toml file",
                    )
                ],
            )
    path = Path(name_or_path)
    source = str(path)
    try:
        bounded = read_bounded(path, MAX_TOML_BYTES)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ProtocolError(
            source,
            [Problem("PROTO-E003", "file", source, f"a readable TOML file ({reason})")],
        ) from None
    if bounded is None:
        too_large = Problem("PROTO-E003", "file", source, f"{limit_text(MAX_TOML_BYTES)}")
        raise ProtocolError(source, [too_large])
    return _from_bytes(bounded, source, source)


def _from_bytes(content: bytes, source: str, origin: str) -> Protocol:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        problem = Problem("PROTO-E003", "file", source, f"a UTF-8 text file ({error.reason})")
        raise ProtocolError(source, [problem]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProtocolError(source, [_syntax_problem(error, text)]) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        nested = Problem(
            "PROTO-E002",
            "file",
            source,
            "TOML whose arrays and tables nest a few levels deep, as a protocol's do",
        )
        raise ProtocolError(source, [nested]) from None
    return replace(parse_protocol(data, source), origin=origin)


_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _syntax_problem(error: tomllib.TOMLDecodeError, text: str) -> Problem:
    """PROTO-E002, naming the line and column and quoting the offending line."""
    message = str(error)
    found = _POSITION.search(message)
    if found is None:  # no position in the message: quote it whole
        return Problem("PROTO-E002", "file", message, "valid TOML (https://toml.io)")
    reason = message[: found.start()]
    lines = text.splitlines()
    if found.group(1) is None:  # "at end of document": an unclosed string or array
        last = next((line.strip() for line in reversed(lines) if line.strip()), "")
        return Problem("PROTO-E002", "end of file", last, f"valid TOML: {reason}")
    line, column = int(found.group(1)), int(found.group(2))
    quoted = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return Problem("PROTO-E002", f"line {line}, column {column}", quoted, f"valid TOML: {reason}")


def parse_protocol(data: Mapping[str, Any], source: str) -> Protocol:
    """A validated Protocol from already-parsed TOML data (``origin`` is ``source``).

    Raises ProtocolError listing every problem: schema problems and contradictions.

    >>> import tomllib
    >>> from importlib import resources
    >>> raw = resources.files("mmntrial.protocol").joinpath("builtin/piepers-2007.toml")
    >>> data = tomllib.loads(raw.read_text(encoding="utf-8"))
    >>> data["taper"]["start_day"] = 400
    >>> parse_protocol(data, "edited")
    Traceback (most recent call last):
    ...
    mmntrial.errors.ProtocolError: protocol edited: 2 problems
      PROTO-E012 taper.start_day: got 400, expected a day before the last visit (365)
      PROTO-E030 endpoints.primary.day: got 365, expected a day after taper.start_day (400): ...
    """
    checked, problems, given = read(data)
    problems += check(checked, given)
    if problems:
        raise ProtocolError(source, problems)
    return _build(checked, source)


def _build(data: Data, origin: str) -> Protocol:
    """The Protocol of a checked data tree; only called when there is no problem."""
    protocol: Protocol = build(Protocol, {**data, **data["protocol"], "origin": origin})
    return protocol


__all__ = ["builtin_names", "load_protocol", "parse_protocol"]

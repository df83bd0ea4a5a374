"""A Protocol as plain data: the shape of its TOML file, ready for JSON.

:func:`protocol_to_dict` gives back the tables of the file format (``protocol``,
``arms``, ``taper`` ...), enums as their values, tuples as lists, and leaves out the
optional keys a protocol does not use; so ``parse_protocol(protocol_to_dict(p), ...)``
rebuilds an equal Protocol. ``origin`` is where a protocol was loaded from, not part of
its content, and is left out.

>>> from mmntrial.protocol.loader import load_protocol, parse_protocol
>>> protocol = load_protocol("piepers-2007")
>>> data = protocol_to_dict(protocol)
>>> data["taper"]["mode"], data["arms"][0]["regimen"][1]["dose_mg"]
('percent_step', 1000.0)
>>> parse_protocol(data, "round trip") == protocol
True
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from mmntrial.protocol.model import HEAD_FIELDS, Minimization, Protocol


def _plain(value: object) -> Any:
    """``value`` as JSON-ready data: dataclasses as dicts, enums as values, lists."""
    if isinstance(value, Minimization):
        return {
            "imbalance": _plain(value.imbalance),
            "p_preferred": value.p_preferred,
            "factor_weights": dict(value.factor_weights),
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for spec in dataclasses.fields(value):
            item = getattr(value, spec.name)
            # Optional keys at their "not used" default have no place in the file format.
            if item is None or (item == () and spec.default == ()):
                continue
            out[spec.name] = _plain(item)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def protocol_to_dict(protocol: Protocol) -> dict[str, Any]:
    """The whole protocol as nested dicts and lists, in the TOML file's layout."""
    head = {key: _plain(getattr(protocol, key)) for key in HEAD_FIELDS}
    body = {
        spec.name: _plain(getattr(protocol, spec.name))
        for spec in dataclasses.fields(protocol)
        if spec.name not in HEAD_FIELDS
        and spec.name != "origin"
        # An optional table left out (a protocol without [safety]) stays out.
        and getattr(protocol, spec.name) != spec.default
    }
    return {"protocol": head, **body}


__all__ = ["protocol_to_dict"]

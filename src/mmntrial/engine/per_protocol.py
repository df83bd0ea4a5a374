"""A cache of what is derived from a protocol, kept per protocol object.

Keyed by identity, not by value: hashing a whole protocol on every engine call would
cost more than the engine step itself. Protocols are frozen, so identity is enough; the
entry keeps its protocol alive, so an id is never reused while its entry exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from mmntrial.protocol.model import Protocol

T = TypeVar("T")

_MAX_ENTRIES = 64


def per_protocol(derive: Callable[[Protocol], T]) -> Callable[[Protocol], T]:
    """Compute ``derive(protocol)`` once per protocol object.

    >>> calls = []
    >>> @per_protocol
    ... def name_length(protocol):
    ...     calls.append(1)
    ...     return len(protocol.name)
    >>> from mmntrial.protocol.loader import load_protocol
    >>> p = load_protocol("piepers-2007")
    >>> name_length(p) == name_length(p), len(calls)
    (True, 1)
    """
    entries: dict[int, tuple[Protocol, T]] = {}

    @functools.wraps(derive)
    def cached(protocol: Protocol) -> T:
        hit = entries.get(id(protocol))
        if hit is not None and hit[0] is protocol:
            return hit[1]
        if len(entries) >= _MAX_ENTRIES:
            entries.clear()
        value = derive(protocol)
        entries[id(protocol)] = (protocol, value)
        return value

    return cached

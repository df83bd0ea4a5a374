"""Identifiers typed by people (subject IDs, site codes, user names): one check for all.

An identifier is printed in terminals, written into reports and hashed into audit
trails, so it must be one visible line: control characters (newlines, ANSI escapes,
NUL, DEL) would let one record masquerade as two, or rewrite a terminal. Every reader
of an identifier (histories, datasets, the randomization ledger, the capture app) calls
:func:`checked_identifier`, and every refusal names the field, the value (escaped, so
the message itself is safe to print) and what was expected.
"""

from __future__ import annotations

import unicodedata

MAX_IDENTIFIER_LENGTH = 64
"""Longer than any subject, site or user code in practice; long enough to hold a UUID."""


def identifier_problem(value: object) -> str | None:
    """Why ``value`` is not an identifier, or ``None`` when it is one.

    >>> identifier_problem("MMN-001") is None
    True
    >>> identifier_problem("MMN\\n001")
    'a control character at position 3'
    >>> identifier_problem("  ")
    'an empty identifier'
    """
    if not isinstance(value, str):
        return f"a {type(value).__name__}, not text"
    if not value.strip():
        return "an empty identifier"
    if len(value) > MAX_IDENTIFIER_LENGTH:
        return f"{len(value)} characters, more than {MAX_IDENTIFIER_LENGTH}"
    for position, char in enumerate(value):
        # Cc: C0/C1 controls (newline, ESC, DEL); Cf: invisible format characters such
        # as right-to-left overrides, which make a printed identifier lie.
        if unicodedata.category(char) in ("Cc", "Cf"):
            return f"a control character at position {position}"
    return None


def checked_identifier(field: str, value: object, error: type[Exception]) -> str:
    """``value`` stripped of surrounding blanks, or ``error`` naming ``field`` and why.

    >>> checked_identifier("subject", " MMN-001 ", ValueError)
    'MMN-001'
    >>> checked_identifier("subject", "MMN\\x1b[31m", ValueError)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: subject: got 'MMN\\x1b[31m', expected one printable line of ... (found a control ...
    """
    problem = identifier_problem(value)
    if problem is not None:
        raise error(
            f"{field}: got {value!r}, expected one printable line of at most "
            f"{MAX_IDENTIFIER_LENGTH} characters (found {problem})"
        )
    assert isinstance(value, str)
    return value.strip()


__all__ = ["MAX_IDENTIFIER_LENGTH", "checked_identifier", "identifier_problem"]

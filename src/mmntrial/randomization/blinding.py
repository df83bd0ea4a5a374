"""Blinding: kit codes that hide the arm, and the record of every unblinding.

A kit code names a *slot* of the allocation list (stratum and sequence number), never an
arm: site staff, patients and blinded assessors see only the code. Codes are derived
from the list's secret seed, so they look random and are reproducible::

    kit_key = SHA-256("mmntrial-kit-v1" + "\\x1f" + decimal seed, UTF-8)
    digest  = HMAC-SHA-256(kit_key, stratum + "\\x1f" + decimal sequence number)
    code    = the first 50 bits of digest in Crockford base32, as XXXXX-XXXXX

Without the seed nobody can link a code to a slot, let alone to an arm; two codes of the
same arm share nothing. Revealing the arm behind a code needs a reason and a person and
is written to the ledger for good (:meth:`mmntrial.randomization.ledger.Ledger.reveal`).
Who may reveal is decided by the capture app's roles: emergency unblinding by the
investigator, full access for the unblinded pharmacist and the DSMB statistician.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from mmntrial.errors import RandomizationError

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_KIT_BITS = 50


def kit_key(seed: int) -> bytes:
    """The secret HMAC key for the kit codes of a list with this seed.

    >>> len(kit_key(42)), kit_key(42) != kit_key(43)
    (32, True)
    """
    return hashlib.sha256(f"mmntrial-kit-v1\x1f{seed}".encode()).digest()


def kit_code(key: bytes, stratum: str, seq: int) -> str:
    """The kit code of slot ``seq`` of ``stratum`` (see the module docstring).

    >>> kit_code(kit_key(42), "centre=AMC", 1)
    '...-...'
    >>> kit_code(kit_key(42), "centre=AMC", 1) == kit_code(kit_key(42), "centre=AMC", 1)
    True
    """
    digest = hmac.new(key, f"{stratum}\x1f{seq}".encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big") >> (64 - _KIT_BITS)
    chars = [_CROCKFORD[(value >> shift) & 31] for shift in range(_KIT_BITS - 5, -1, -5)]
    return "".join(chars[:5]) + "-" + "".join(chars[5:])


@dataclass(frozen=True)
class Revelation:
    """One unblinding: which subject's arm was revealed, to whom, why and when (UTC)."""

    subject: str
    kit: str
    arm: str
    reason: str
    revealed_by: str
    revealed_at_utc: datetime


def check_reveal_request(reason: str, by: str) -> tuple[str, str]:
    """Both a reason and a person are required to unblind; return them stripped.

    >>> check_reveal_request(" SUSAR, treatment decision ", "dr. Jansen")
    ('SUSAR, treatment decision', 'dr. Jansen')
    >>> check_reveal_request("", "dr. Jansen")
    Traceback (most recent call last):
    ...
    mmntrial.errors.RandomizationError: reason: got '', expected why the arm must be revealed ...
    """
    if not reason.strip():
        raise RandomizationError(
            f"reason: got {reason!r}, expected why the arm must be revealed "
            "(for example 'SUSAR: treating physician needs the arm')"
        )
    if not by.strip():
        raise RandomizationError(f"by: got {by!r}, expected the person who asks for the arm")
    return reason.strip(), by.strip()

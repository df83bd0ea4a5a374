"""Blinding: kit codes that hide the arm, and the record of every unblinding.

A kit code names a *slot* of the allocation list (stratum and sequence number), never an
arm: site staff, patients and blinded assessors see only the code. Codes are derived
from the list's secret seed, so they look random and are reproducible::

    kit_key = SHA-256("mmntrial-kit-v1" + "\\x1f" + decimal seed, UTF-8)
    digest  = HMAC-SHA-256(kit_key, stratum + "\\x1f" + decimal sequence number)
    code    = the first 50 bits of digest in Crockford base32, as XXXXX-XXXXX

Without the seed nobody can link a code to a slot, let alone to an arm; two codes of the
same arm share nothing.

A minimization arm is chosen at allocation, so the ledger must keep it; it keeps it
*sealed*, with a one-time pad per slot derived from the seed::

    arm_key = SHA-256("mmntrial-arm-v1" + "\x1f" + decimal seed, UTF-8)
    pad     = first 8 bytes of HMAC-SHA-256(arm_key, stratum + "\x1f" + decimal seq)
    sealed  = (pad + arm index) mod 2^64, as 16 hexadecimal digits

Each slot is used once, so the sealed value says nothing about the arm without the seed;
the hash chain (:mod:`mmntrial.storage.chain`) makes any change to it visible.

Revealing the arm behind a code needs the sealed key, a reason and a person, and is
written to the ledger for good (:meth:`mmntrial.randomization.ledger.Ledger.reveal`).
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


def arm_key(seed: int) -> bytes:
    """The secret key that seals the minimization arms of a list with this seed."""
    return hashlib.sha256(f"mmntrial-arm-v1\x1f{seed}".encode()).digest()


def _pad(key: bytes, stratum: str, seq: int) -> int:
    digest = hmac.new(key, f"{stratum}\x1f{seq}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def seal_arm(key: bytes, stratum: str, seq: int, arm: int) -> str:
    """The arm index ``arm`` of slot (``stratum``, ``seq``), sealed (see the module docstring).

    >>> sealed = seal_arm(arm_key(42), "all", 1, 1)
    >>> len(sealed), unseal_arm(arm_key(42), "all", 1, sealed, arms=2)
    (16, 1)
    """
    return f"{(_pad(key, stratum, seq) + arm) % 2**64:016x}"


def unseal_arm(key: bytes, stratum: str, seq: int, sealed: object, arms: int) -> int:
    """The arm index sealed in ``sealed``; a RandomizationError if it does not open.

    The message never names an arm: it names the slot only.
    """
    try:
        value = int(str(sealed), 16) if len(str(sealed)) == 16 else -1
    except ValueError:
        value = -1
    index = (value - _pad(key, stratum, seq)) % 2**64 if value >= 0 else -1
    if not 0 <= index < arms:
        raise RandomizationError(
            f"sealed arm of slot {stratum} #{seq}: got a value that does not open with this "
            "list's key, expected one sealed by this list (the ledger or the key file changed)"
        )
    return index


@dataclass(frozen=True)
class Revelation:
    """One unblinding: which subject's arm was revealed, to whom, why and when (UTC)."""

    subject: str
    kit: str
    arm: str
    reason: str
    revealed_by: str
    revealed_at_utc: datetime


@dataclass(frozen=True)
class Unblinding:
    """The record of one unblinding as the ledger keeps it: no arm, only who, when and why."""

    subject: str
    kit: str
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

"""Password hashes: argon2id with the library's current parameters.

A hash records its own parameters, so hashes made with older parameters still verify;
:func:`needs_rehash` says when to store a new one at the next sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mmntrial.errors import CaptureError

_HASHER = PasswordHasher()

#: Shorter passwords are refused (NIST SP 800-63B asks for at least 8).
MIN_PASSWORD = 10
MAX_PASSWORD = 200


def check_password(password: str) -> str:
    """``password`` when its length is acceptable; a :class:`CaptureError` otherwise."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise CaptureError(
            f"password: got {len(password)} characters, expected {MIN_PASSWORD} to "
            f"{MAX_PASSWORD} (the password itself is never shown)"
        )
    return password


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``; a :class:`CaptureError` for a weak one."""
    return _HASHER.hash(check_password(password))


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (never raises for a mismatch)."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash of nothing anyone can type, verified for unknown user names, so that a sign-in
# with an unknown name takes as long as one with a wrong password.
DUMMY_HASH = _HASHER.hash("\x00unknown user\x00")

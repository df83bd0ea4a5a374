"""Seeded random streams that stay the same on every machine and numpy version.

Lists must be re-derivable years later by ``verify``, so they depend only on what numpy
promises never to change: :class:`numpy.random.SeedSequence` and the raw 64-bit output
of the :class:`numpy.random.PCG64` bit generator. Integers and shuffles are built here
from those raw words (the ``Generator`` methods may change between numpy releases).

Stream derivation, for a secret integer ``seed``, a purpose and a key (a stratum key such
as ``"centre=AMC"``, or a slot number for minimization)::

    digest    = SHA-256(purpose + "\\x1f" + key, UTF-8)
    spawn_key = the first 16 bytes of digest, as four little-endian uint32 words
    stream    = PCG64(SeedSequence(entropy=seed, spawn_key=spawn_key))

Each stratum thus has its own stream that depends on nothing but the seed and its own
name: adding a stratum or lengthening a list never changes a row already written.
"""

from __future__ import annotations

import hashlib

import numpy as np

from mmntrial.errors import RandomizationError

_TWO_64 = 1 << 64


def stream(seed: int, purpose: str, key: str) -> np.random.Generator:
    """The generator for one purpose and key, derived from ``seed`` as documented above.

    >>> a = stream(42, "list", "centre=AMC").bit_generator.random_raw()
    >>> b = stream(42, "list", "centre=AMC").bit_generator.random_raw()
    >>> a == b != stream(42, "list", "centre=UMCU").bit_generator.random_raw()
    True
    """
    check_seed(seed)
    digest = hashlib.sha256(f"{purpose}\x1f{key}".encode()).digest()
    words = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=words)))


def check_seed(seed: object) -> int:
    """Return ``seed`` if it is a whole number >= 0, else raise a RandomizationError.

    >>> check_seed(2**100) == 2**100
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise RandomizationError(f"seed: got {seed!r}, expected a whole number >= 0")
    return int(seed)


def below(rng: np.random.Generator, n: int) -> int:
    """A uniform integer in ``[0, n)`` from raw 64-bit words, without modulo bias.

    >>> rng = stream(1, "doc", "x")
    >>> all(0 <= below(rng, 3) < 3 for _ in range(100))
    True
    """
    if n < 1:
        raise RandomizationError(f"below: got n={n}, expected n >= 1")
    limit = _TWO_64 - _TWO_64 % n  # reject the top partial range so every value is equally likely
    while True:
        word = int(rng.bit_generator.random_raw())
        if word < limit:
            return word % n


def uniform(rng: np.random.Generator) -> float:
    """A uniform double in ``[0, 1)`` from the top 53 bits of one raw word.

    >>> 0.0 <= uniform(stream(1, "doc", "x")) < 1.0
    True
    """
    return (int(rng.bit_generator.random_raw()) >> 11) * 2.0**-53


def shuffle(rng: np.random.Generator, items: list[int]) -> list[int]:
    """A Fisher-Yates shuffle of a copy of ``items`` using :func:`below`.

    >>> sorted(shuffle(stream(3, "doc", "x"), [0, 0, 1, 1])) == [0, 0, 1, 1]
    True
    """
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = below(rng, i + 1)
        out[i], out[j] = out[j], out[i]
    return out


def resolve_rng(seed: int | None, rng: np.random.Generator | None) -> np.random.Generator:
    """A generator from a seed OR a generator; both or neither is an error.

    >>> a, b = resolve_rng(7, None), resolve_rng(7, None)
    >>> a.bit_generator.random_raw() == b.bit_generator.random_raw()
    True
    """
    if (seed is None) == (rng is None):
        raise RandomizationError(
            f"seed/rng: got seed={seed!r} and rng={rng!r}, expected exactly one of them"
        )
    if rng is not None:
        return rng
    return np.random.Generator(np.random.PCG64(check_seed(seed)))

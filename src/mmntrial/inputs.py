"""Reading a user's file with a bound on its size, so that a wrong path cannot exhaust memory.

Every reader of a file a person names (protocols, populations, sweep files, patient
histories, dataset tables) reads it through :func:`read_bounded`, with the limit stated
beside the reader (1 MiB for TOML files, 64 MiB for a history, 256 MiB for a dataset
table), and refuses a larger file with a message that states the limit
(:func:`limit_text`). At most one byte more than the limit is ever read, so a device or a
multi-gigabyte log given by mistake costs nothing.
"""

from __future__ import annotations

from pathlib import Path

MAX_TOML_BYTES = 1024 * 1024
"""The largest TOML file read (protocol, population, sweep): 1 MiB, a hundred times a protocol."""


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path``, or ``None`` when it holds more than ``limit`` bytes.

    OSError (a missing file, a directory) is left to the caller, which names the file.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "f.toml"
    ...     _ = path.write_bytes(b"x" * 10)
    ...     read_bounded(path, 10), read_bounded(path, 9)
    (b'xxxxxxxxxx', None)
    """
    with path.open("rb") as file:
        content = file.read(limit + 1)
    return None if len(content) > limit else content


def limit_text(limit: int) -> str:
    """The limit in words, for messages.

    >>> limit_text(MAX_TOML_BYTES)
    'a file of at most 1,048,576 bytes (1 MiB)'
    """
    return f"a file of at most {limit:,} bytes ({limit / 2**20:g} MiB)"


__all__ = ["MAX_TOML_BYTES", "limit_text", "read_bounded"]

"""The public API of the protocol package is pinned."""

from __future__ import annotations

from mmntrial.protocol import codes, loader, serialize


def test_loader_exports() -> None:
    assert loader.__all__ == ["builtin_names", "load_protocol", "parse_protocol"]


def test_serialize_exports() -> None:
    assert serialize.__all__ == ["protocol_to_dict"]


def test_codes_are_stable_and_numbered_without_gaps() -> None:
    assert codes.__all__ == ["CODES"]
    assert list(codes.CODES) == [f"PROTO-E{n:03d}" for n in range(1, len(codes.CODES) + 1)]

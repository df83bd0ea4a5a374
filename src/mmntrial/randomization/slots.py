"""The allocator's file: the slots and kit codes of a list, without its arms or seed.

The list file (:mod:`.listfile`) is the sealed *key*: seed and arms, for the unblinded
statistician, pharmacist and DSMB. Whoever allocates needs only which slot comes next
in a stratum and its kit code, so ``mmntrial randomize generate`` also writes this file::

    {
      "format": "mmntrial-allocation-slots",
      "format_version": 1,
      "method": "stratified_blocks",
      "parameters": {...},                    (as in the list file: arm names, not arms)
      "commitment": "9f2c...",                (the list's current commitment)
      "history": ["9f2c...", ...],            (every commitment of the list, first first)
      "slots_sha256": "51ab...",              (SHA-256 of the canonical slots text)
      "rows": [{"seq": 1, "stratum": "centre=AMC", "kit": "4K7QD-M2X9T"}, ...]
    }

``slots_sha256`` is SHA-256 over ``json.dumps({"commitment": C, "rows": [[seq, stratum,
kit], ...]})`` (rows sorted by stratum, then seq; sorted keys, no spaces). The ledger
records it with the list's commitment and refuses a slots file for the same commitment
whose slots differ; ``mmntrial randomize verify LIST --slots FILE`` lets the key holder
check that a slots file belongs to the list.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmntrial.atomic import write_text
from mmntrial.errors import RandomizationError
from mmntrial.randomization.design import AllocationDesign, design_from_parameters
from mmntrial.randomization.limits import check_list_size
from mmntrial.randomization.listfile import FORMAT as LIST_FORMAT
from mmntrial.randomization.listfile import from_document as list_from_document
from mmntrial.randomization.lists import AllocationList, list_parameters

FORMAT = "mmntrial-allocation-slots"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Slot:
    """One slot: its sequence number within its stratum, the stratum and its kit code."""

    seq: int
    stratum: str
    kit: str


@dataclass(frozen=True)
class SlotList:
    """What an allocator holds: the design, the slots and the list's commitments."""

    design: AllocationDesign
    size_per_stratum: int
    rows: tuple[Slot, ...]
    history: tuple[str, ...]  # every commitment of the list, the current one last

    @property
    def commitment(self) -> str:
        """The list's current commitment."""
        return self.history[-1]

    @property
    def sha256(self) -> str:
        """SHA-256 of the canonical slots text (see the module docstring)."""
        ordered = sorted(self.rows, key=lambda r: (r.stratum, r.seq))
        text = json.dumps(
            {"commitment": self.commitment, "rows": [[r.seq, r.stratum, r.kit] for r in ordered]},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def slots(self, stratum: str) -> tuple[Slot, ...]:
        """The slots of one stratum in sequence order."""
        return tuple(sorted((r for r in self.rows if r.stratum == stratum), key=lambda r: r.seq))


def slots_of(allocation_list: AllocationList) -> SlotList:
    """The allocator's part of a list: everything but its arms and seed.

    >>> from mmntrial.randomization.design import make_design
    >>> from mmntrial.randomization.lists import generate
    >>> lst = generate(make_design("blocks", [("a", 1), ("b", 1)], block_sizes=[2]), 4, seed=5)
    >>> slots = slots_of(lst)
    >>> [s.kit for s in slots.rows] == [r.kit for r in lst.rows], "seed" in repr(slots)
    (True, False)
    """
    lst = allocation_list
    return SlotList(
        lst.design,
        lst.size_per_stratum,
        tuple(Slot(r.seq, r.stratum, r.kit) for r in lst.rows),
        tuple(c.sha256 for c in lst.history),
    )


def to_document(slot_list: SlotList) -> dict[str, Any]:
    """The slots file's JSON-ready document (see the module docstring)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "method": slot_list.design.method.value,
        "parameters": list_parameters(slot_list.design, slot_list.size_per_stratum),
        "commitment": slot_list.commitment,
        "history": list(slot_list.history),
        "slots_sha256": slot_list.sha256,
        "rows": [{"seq": r.seq, "stratum": r.stratum, "kit": r.kit} for r in slot_list.rows],
    }


def from_document(doc: Any, source: str = "<slots>") -> SlotList:
    """Read a slots document; its ``slots_sha256`` must match its rows.

    >>> from mmntrial.randomization.design import make_design
    >>> from mmntrial.randomization.lists import generate
    >>> lst = generate(make_design("simple", [("a", 1), ("b", 1)]), 3, seed=1)
    >>> from_document(to_document(slots_of(lst))) == slots_of(lst)
    True
    """
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise RandomizationError(
            f"{source}: got a document without format {FORMAT!r}, expected the slots file "
            "written by `mmntrial randomize generate` (the list file is the sealed key)"
        )
    if doc.get("format_version") != FORMAT_VERSION:
        raise RandomizationError(
            f"{source}: format_version: got {doc.get('format_version')!r}, "
            f"expected {FORMAT_VERSION}"
        )
    try:
        params = dict(doc["parameters"])
        size = params.pop("size_per_stratum")
        design = design_from_parameters(str(doc["method"]), params)
        check_list_size(design, size, f"{source}: parameters.size_per_stratum")
        rows = tuple(_slot(r) for r in doc["rows"])
        history = tuple(_text(c) for c in doc["history"])
    except (KeyError, TypeError, ValueError) as error:
        raise RandomizationError(
            f"{source}: got a document missing or mangling {error!s}, expected the fields "
            "method, parameters, history and rows"
        ) from None
    if not history or history[-1] != doc.get("commitment"):
        raise RandomizationError(
            f"{source}: commitment: got {doc.get('commitment')!r}, expected the last history entry"
        )
    slot_list = SlotList(design, size, rows, history)
    if doc.get("slots_sha256") != slot_list.sha256:
        raise RandomizationError(
            f"{source}: slots_sha256: got {doc.get('slots_sha256')!r}, expected "
            f"{slot_list.sha256}, the hash of its rows: the file was edited"
        )
    return slot_list


def _slot(row: Any) -> Slot:
    seq = row["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise ValueError(f"seq {seq!r}")
    return Slot(seq, _text(row["stratum"]), _text(row["kit"]))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r}, not text")
    return value


def save(slot_list: SlotList, path: str | Path) -> Path:
    """Write the slots file (created readable by its owner only), whole or not at all.

    >>> import tempfile, pathlib
    >>> from mmntrial.randomization.design import make_design
    >>> from mmntrial.randomization.lists import generate
    >>> slots = slots_of(generate(make_design("simple", [("a", 1), ("b", 1)]), 3, seed=1))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     read_either(save(slots, pathlib.Path(tmp) / "slots.json")) == slots
    True
    """
    text = json.dumps(to_document(slot_list), indent=1, ensure_ascii=False) + "\n"
    # Atomic, as the list file: a crash leaves the old slots file or the new, never half.
    return write_text(path, text, mode=0o600)


def read_either(path: str | Path) -> SlotList | AllocationList:
    """A slots file (what an allocator holds) or a list file (the sealed key), by its format."""
    source = Path(path)
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise RandomizationError(
            f"list: got {str(source)!r}, expected a readable slots or list file ({error.strerror})"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise RandomizationError(
            f"list: got {str(source)!r}, expected JSON ({type(error).__name__})"
        ) from None
    if isinstance(doc, dict) and doc.get("format") == LIST_FORMAT:
        return list_from_document(doc, str(source))
    return from_document(doc, str(source))


__all__ = [
    "FORMAT",
    "Slot",
    "SlotList",
    "from_document",
    "read_either",
    "save",
    "slots_of",
    "to_document",
]

"""The allocation list file: one JSON document, the trial statistician's secret.

::

    {
      "format": "mmntrial-allocation-list",
      "format_version": 1,
      "method": "stratified_blocks",
      "parameters": {"arms": [{"name": "mmf", "ratio": 1}, ...],
                     "block_sizes": [2, 4],
                     "factors": [{"name": "centre", "levels": ["AMC", "UMCU"]}],
                     "minimization": null,
                     "size_per_stratum": 16},
      "seed": "301...",                       (a decimal string: seeds exceed 2^53)
      "commitment": "9f2c...",                (SHA-256 of the current list)
      "history": [{"parameters": {...}, "commitment": "..."}, ...],
      "rows": [{"seq": 1, "stratum": "centre=AMC", "arm": "mmf", "kit": "4K7QD-M2X9T"}, ...]
    }

``history`` holds every commitment the list has had, the first (published before the
first patient) first; each extension appends one. The seed is in the file because
``verify`` must re-derive the list: keep the file where only the unblinded statistician
and the allocation service can read it, and publish only the commitment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmntrial.atomic import write_text
from mmntrial.errors import RandomizationError
from mmntrial.randomization.design import design_from_parameters
from mmntrial.randomization.limits import check_list_size
from mmntrial.randomization.lists import AllocationList, Commitment, Row

FORMAT = "mmntrial-allocation-list"
FORMAT_VERSION = 1


def to_document(allocation_list: AllocationList) -> dict[str, Any]:
    """The list as the JSON-ready document described above."""
    lst = allocation_list
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "method": lst.method,
        "parameters": lst.parameters(),
        "seed": str(lst.seed),
        "commitment": lst.commitment,
        "history": [{"parameters": c.parameters, "commitment": c.sha256} for c in lst.history],
        "rows": [
            {"seq": r.seq, "stratum": r.stratum, "arm": r.arm, "kit": r.kit} for r in lst.rows
        ],
    }


def from_document(doc: Any, source: str = "<document>") -> AllocationList:
    """Read a list document without verifying it (that is :func:`.lists.verify`'s job).

    >>> from mmntrial.randomization.design import make_design
    >>> from mmntrial.randomization.lists import generate
    >>> lst = generate(make_design("simple", [("a", 1), ("b", 1)]), 3, seed=1)
    >>> from_document(to_document(lst)) == lst
    True
    """
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise RandomizationError(
            f"{source}: got {type(doc).__name__} without format {FORMAT!r}, expected an "
            "allocation list written by `mmntrial randomize generate`"
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
        # Before any row is read or any list derived: a claimed size beyond the caps
        # would otherwise take all memory (or hours) in verify.
        check_list_size(design, size, f"{source}: parameters.size_per_stratum")
        rows = tuple(_row(number, r, source) for number, r in enumerate(doc["rows"], start=1))
        history = tuple(
            Commitment(dict(c["parameters"]), str(c["commitment"])) for c in doc["history"]
        )
        seed = int(doc["seed"])
    except (KeyError, TypeError, ValueError) as error:
        raise RandomizationError(
            f"{source}: got a document missing or mangling {error!s}, expected the fields "
            "method, parameters, seed, history and rows"
        ) from None
    if not history or history[-1].sha256 != doc.get("commitment"):
        raise RandomizationError(
            f"{source}: commitment: got {doc.get('commitment')!r}, expected the last "
            "history entry's commitment"
        )
    return AllocationList(design, size, seed, rows, history)


def _row(number: int, row: Any, source: str) -> Row:
    # Taken as written, never coerced: a seq of 1.9, "1" or true is a different file.
    seq, stratum, arm, kit = row["seq"], row["stratum"], row["arm"], row["kit"]
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise RandomizationError(
            f"{source}: rows[{number}].seq: got {seq!r}, expected a whole number (1, 2, ...)"
        )
    texts = {"stratum": stratum, "kit": kit} | ({} if arm is None else {"arm": arm})
    for name, value in texts.items():
        if not isinstance(value, str):
            # The value itself is not shown: in the arm field it could be an arm.
            raise RandomizationError(
                f"{source}: rows[{number}].{name}: got a {type(value).__name__}, expected text"
            )
    return Row(seq, stratum, arm, kit)


def save(allocation_list: AllocationList, path: str | Path) -> Path:
    """Write the list file; the file is created readable by its owner only.

    >>> import tempfile, pathlib
    >>> from mmntrial.randomization.design import make_design
    >>> from mmntrial.randomization.lists import generate
    >>> lst = generate(make_design("simple", [("a", 1), ("b", 1)]), 3, seed=1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     load(save(lst, pathlib.Path(tmp) / "list.json")) == lst
    True
    """
    text = json.dumps(to_document(allocation_list), indent=1, ensure_ascii=False) + "\n"
    # Atomic: a crash leaves the old list or the new, never half of one.
    return write_text(path, text, mode=0o600)


def load(path: str | Path) -> AllocationList:
    """Read a list file (see :func:`from_document`); raise a RandomizationError if unreadable.

    >>> load("/nonexistent/list.json")
    Traceback (most recent call last):
    ...
    mmntrial.errors.RandomizationError: list: got '/nonexistent/list.json', expected a readable...
    """
    source = Path(path)
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise RandomizationError(
            f"list: got {str(source)!r}, expected a readable list file ({error.strerror})"
        ) from None
    except json.JSONDecodeError as error:
        raise RandomizationError(
            f"list: got {str(source)!r}, expected JSON (line {error.lineno}: {error.msg})"
        ) from None
    except (UnicodeDecodeError, RecursionError) as error:
        raise RandomizationError(
            f"list: got {str(source)!r}, expected UTF-8 JSON of sensible depth "
            f"({type(error).__name__})"
        ) from None
    return from_document(doc, str(source))

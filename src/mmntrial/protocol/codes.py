"""The stable diagnostic codes of protocol loading, in one table.

Every :class:`~mmntrial.errors.Problem` the loader reports carries one of these codes.
A code never changes meaning and is never reused; docs/protocol.md renders this table
(a test keeps the two in step).

>>> CODES["PROTO-E012"]
'the taper starts on or after the last visit'
"""

from __future__ import annotations

from typing import Final

CODES: Final[dict[str, str]] = {
    "PROTO-E001": "unknown protocol name: neither a built-in protocol nor a file path",
    "PROTO-E002": "the file is not valid TOML",
    "PROTO-E003": "the file cannot be read (missing, a directory, not UTF-8)",
    "PROTO-E004": "unknown key",
    "PROTO-E005": "required key missing",
    "PROTO-E006": "wrong type (a boolean is not a number, a float is not an integer)",
    "PROTO-E007": "value out of range",
    "PROTO-E008": "value not one of the allowed values",
    "PROTO-E009": "text not in the required format (names, source tags), or empty",
    "PROTO-E010": "duplicate name in a list that needs unique names",
    "PROTO-E011": "visit days not strictly increasing",
    "PROTO-E012": "the taper starts on or after the last visit",
    "PROTO-E013": "a criterion watches a measure that no visit collects",
    "PROTO-E014": "a criterion's direction is not the measure's worse direction",
    "PROTO-E015": "side given for a measure that is not taken per side",
    "PROTO-E016": "side missing for a measure taken per side",
    "PROTO-E017": "a list with too few items",
    "PROTO-E018": "taper levels not strictly decreasing",
    "PROTO-E019": "a key that another setting requires is missing (mode-specific keys)",
    "PROTO-E020": "a key given that another setting makes meaningless (mode-specific keys)",
    "PROTO-E021": "the taper floor is above the first taper step",
    "PROTO-E022": "study-drug regimen steps not strictly increasing in from_day",
    "PROTO-E023": "study-drug regimen does not start on day 0",
    "PROTO-E024": "a change endpoint's measure is not collected on its day or on day 0",
    "PROTO-E025": "the primary endpoint day is after the last visit",
    "PROTO-E026": "a minimum above its maximum",
    "PROTO-E027": "a block size that is not a multiple of the sum of the arm ratios",
    "PROTO-E028": "a pre_taper reference with no visit collecting the measure by the taper start",
    "PROTO-E029": "the maximum interval leaves no interval step for any eligible patient",
    "PROTO-E030": "the primary endpoint day is not after the taper start",
    "PROTO-E031": "lab schedule phases not in increasing from_day, or ending before the last",
    "PROTO-E032": "a safety rule watches the grade of a lab the section does not grade",
}

__all__ = ["CODES"]

"""The laboratory tests a trial records, each with the one unit its values are in.

The safety labs of IVIg-sparing add-on trials: the blood counts an immunosuppressant
lowers (neutrophils, white cells, platelets, haemoglobin), the liver and kidney values
the safety rules watch (ALT, AST, bilirubin, creatinine) and the IgG level IVIg raises.
The dataset's ``labs`` table, the capture app's lab form and the plausibility bands
read the units here.

>>> LAB_UNITS["igg"]
'g/L'
"""

from __future__ import annotations

LAB_UNITS: dict[str, str] = {
    "neutrophils": "10^9/L",
    "wbc": "10^9/L",
    "alt": "U/L",
    "ast": "U/L",
    "igg": "g/L",
    "platelets": "10^9/L",
    "haemoglobin": "g/dL",
    "bilirubin": "umol/L",
    "creatinine": "umol/L",
}

__all__ = ["LAB_UNITS"]

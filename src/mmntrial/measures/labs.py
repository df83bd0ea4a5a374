"""The laboratory tests a trial records, each with the one unit its values are in.

The safety labs of IVIg-sparing add-on trials: the blood counts an immunosuppressant
lowers (neutrophils, white cells), the liver enzymes it raises (ALT, AST) and the IgG
level IVIg raises; the capture form also records platelets, haemoglobin, bilirubin and
creatinine (:data:`SAFETY_LAB_UNITS`) for the safety rules. The dataset's ``labs``
table, the capture app's lab form and the plausibility bands read the units here.

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
}

#: The labs the capture app's lab form records besides the dataset's, for the safety
#: rules: CTCAE v5.0 grades them against the lab's normal range (mmntrial.safety). Not
#: in the dataset's ``labs`` table (yet): its schema lists :data:`LAB_UNITS` only.
SAFETY_LAB_UNITS: dict[str, str] = {
    "platelets": "10^9/L",
    "haemoglobin": "g/dL",
    "bilirubin": "umol/L",
    "creatinine": "umol/L",
}

#: Every lab the capture app's lab form records, with its one unit.
FORM_LAB_UNITS: dict[str, str] = {**LAB_UNITS, **SAFETY_LAB_UNITS}

__all__ = ["FORM_LAB_UNITS", "LAB_UNITS", "SAFETY_LAB_UNITS"]

"""The EFNS/PNS 2010 criteria as data: thresholds and wording, read from the package.

The guideline ships as ``efns-pns-2010.toml`` beside this module, so a reviewer checks
every threshold and every criterion's wording against the guideline [S5] without
reading code. It is read on first use, not at import time.

>>> g = efns_pns_2010()
>>> g.source, g.thresholds["definite_area_reduction_percent"]
('S5', 50.0)
>>> g.wording("clinical.exclusion", "upper_motor_neuron_signs")
'8. Upper motor neuron signs [S5]'
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from mmntrial.errors import MeasureError

GUIDELINE_FILE = "efns-pns-2010.toml"

# The sections of numbers and of wording the code reads, and the keys each must hold.
_NUMBERS = {
    "clinical": (
        "min_affected_nerves",
        "min_weakness_months",
        "asymmetry_strong_above_grade",
        "asymmetry_grades_when_strong",
        "asymmetry_grades_when_weak",
    ),
    "conduction_block.thresholds": (
        "definite_area_reduction_percent",
        "definite_distal_amplitude_percent_of_lln",
        "definite_distal_amplitude_mv",
        "max_duration_increase_percent",
        "probable_long_segment_area_reduction_percent",
        "probable_dispersed_area_reduction_percent",
    ),
    "categories": (
        "definite_nerves",
        "probable_nerves",
        "probable_supported_nerves",
        "probable_min_supportive",
        "possible_min_supportive",
    ),
}
_WORDING = {
    "clinical.core": ("focal_asymmetric_weakness", "no_sensory_abnormality"),
    "clinical.supportive": (
        "predominant_upper_limb",
        "reduced_reflexes",
        "no_cranial_nerves",
        "cramps_fasciculations",
        "immunomodulation_response",
    ),
    "clinical.exclusion": (
        "upper_motor_neuron_signs",
        "marked_bulbar_involvement",
        "sensory_impairment",
        "diffuse_symmetric_weakness",
    ),
    "conduction_block": ("definite", "probable", "sensory", "entrapment"),
    "supportive": ("anti_gm1", "csf_protein", "mri_plexus", "ivig_improvement"),
}


@dataclass(frozen=True)
class Guideline:
    """The criteria of one guideline: its source tag, its numbers and its wording.

    ``thresholds`` holds every number by key (the keys of all numeric sections are
    distinct); ``texts`` the wording of each criterion by ``(section, key)``.
    """

    source: str
    thresholds: Mapping[str, float]
    texts: Mapping[tuple[str, str], str]

    def wording(self, section: str, key: str) -> str:
        """The guideline's wording of one criterion, e.g. ``("supportive", "anti_gm1")``."""
        return self.texts[(section, key)]


def _section(data: Mapping[str, Any], dotted: str) -> Mapping[str, Any]:
    node: Any = data
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping):
        raise MeasureError(f"{GUIDELINE_FILE} [{dotted}]: got {node!r}, expected a table")
    return node


def parse_guideline(data: Mapping[str, Any]) -> Guideline:
    """Check a parsed guideline file and return it; MeasureError naming the key otherwise."""
    source = data.get("source")
    if not isinstance(source, str) or not source:
        raise MeasureError(f"{GUIDELINE_FILE} source: got {source!r}, expected a source tag")
    numbers: dict[str, float] = {}
    for dotted, keys in _NUMBERS.items():
        section = _section(data, dotted)
        for key in keys:
            value = section.get(key)
            # bool is an int, but true is no threshold.
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise MeasureError(
                    f"{GUIDELINE_FILE} {dotted}.{key}: got {value!r}, expected a number >= 0"
                )
            numbers[key] = float(value)
    texts: dict[tuple[str, str], str] = {}
    for dotted, keys in _WORDING.items():
        section = _section(data, dotted)
        for key in keys:
            text = section.get(key)
            if not isinstance(text, str) or f"[{source}]" not in text:
                raise MeasureError(
                    f"{GUIDELINE_FILE} {dotted}.{key}: got {text!r}, expected the guideline's "
                    f"wording ending with its source tag [{source}]"
                )
            texts[(dotted, key)] = text
    return Guideline(source, MappingProxyType(numbers), MappingProxyType(texts))


@cache
def efns_pns_2010() -> Guideline:
    """The EFNS/PNS 2010 criteria shipped with the package (read once)."""
    text = resources.files("mmntrial.diagnosis").joinpath(GUIDELINE_FILE).read_text("utf-8")
    return parse_guideline(tomllib.loads(text))


__all__ = ["GUIDELINE_FILE", "Guideline", "efns_pns_2010", "parse_guideline"]

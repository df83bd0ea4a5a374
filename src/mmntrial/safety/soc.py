"""The MedDRA system organ class of an adverse-event term, from ``soc-map.toml``.

The map is data beside this module ([S50]: CTCAE v5.0 lists each term under its MedDRA
SOC), read on first use and checked once. A term the map does not hold has no SOC here:
:func:`system_organ_class` says so in words (:data:`UNMAPPED`) rather than guess one, so
a DSMB reader sees the term under "Term not mapped to a SOC".

>>> system_organ_class("Infection"), system_organ_class("Tinnitus")
('Infections and infestations', 'Term not mapped to a SOC')
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources

from mmntrial.errors import SafetyError

SOC_MAP_FILE = "soc-map.toml"
UNMAPPED = "Term not mapped to a SOC"


def parse_soc_map(data: Mapping[str, object]) -> dict[str, str]:
    """The ``[terms]`` table of a parsed SOC map, lower-cased terms to SOC names.

    >>> parse_soc_map({"source": {"tag": "S50"}, "terms": {"Nausea": "Gastrointestinal disorders"}})
    {'nausea': 'Gastrointestinal disorders'}
    >>> parse_soc_map({"terms": {}})
    Traceback (most recent call last):
    mmntrial.errors.SafetyError: source.tag: got None, expected the DOMAIN.md source tag of the map
    """
    source = data.get("source")
    tag = source.get("tag") if isinstance(source, Mapping) else None
    if not isinstance(tag, str) or not tag:
        raise SafetyError(f"source.tag: got {tag!r}, expected the DOMAIN.md source tag of the map")
    terms = data.get("terms")
    if not isinstance(terms, Mapping) or not terms:
        raise SafetyError(f"terms: got {terms!r}, expected a table of term = SOC name")
    parsed: dict[str, str] = {}
    for term, soc in terms.items():
        if not isinstance(soc, str) or not soc.strip():
            raise SafetyError(f"terms.{term}: got {soc!r}, expected a MedDRA SOC name")
        parsed[str(term).strip().lower()] = soc
    return parsed


@cache
def soc_map() -> dict[str, str]:
    """The shipped map of lower-cased terms to MedDRA SOC names, read once."""
    text = resources.files("mmntrial.safety").joinpath(SOC_MAP_FILE).read_text(encoding="utf-8")
    return parse_soc_map(tomllib.loads(text))


def system_organ_class(term: str) -> str:
    """The SOC ``term`` is reported under (case and outer spaces ignored), or :data:`UNMAPPED`."""
    return soc_map().get(term.strip().lower(), UNMAPPED)


__all__ = ["SOC_MAP_FILE", "UNMAPPED", "parse_soc_map", "soc_map", "system_organ_class"]

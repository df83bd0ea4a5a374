"""The term -> MedDRA SOC map: shipped, sourced, and never a guessed SOC."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from mmntrial.errors import SafetyError
from mmntrial.safety.soc import UNMAPPED, parse_soc_map, soc_map, system_organ_class

# The MedDRA SOC names (as CTCAE v5.0 [S50] prints them) the map may use.
MEDDRA_SOCS = {
    "Blood and lymphatic system disorders",
    "Gastrointestinal disorders",
    "General disorders and administration site conditions",
    "Infections and infestations",
    "Injury, poisoning and procedural complications",
    "Investigations",
    "Nervous system disorders",
    "Renal and urinary disorders",
    "Skin and subcutaneous tissue disorders",
    "Vascular disorders",
}


def test_every_soc_is_a_meddra_soc_name() -> None:
    assert set(soc_map().values()) <= MEDDRA_SOCS


def test_the_map_carries_its_source_tag() -> None:
    text = resources.files("mmntrial.safety").joinpath("soc-map.toml").read_text("utf-8")
    assert tomllib.loads(text)["source"]["tag"] == "S50"


def test_the_simulators_terms_are_mapped() -> None:
    for term in ("neutrophil count decreased", "infection", "diarrhoea", "nausea", "fatigue"):
        assert system_organ_class(term) != UNMAPPED, term


def test_an_unknown_term_is_not_given_a_soc() -> None:
    assert system_organ_class("  Tinnitus ") == UNMAPPED
    assert system_organ_class(" NAUSEA ") == "Gastrointestinal disorders"


def test_a_broken_map_names_the_term() -> None:
    with pytest.raises(SafetyError, match=r"terms.nausea: got 5, expected a MedDRA SOC name"):
        parse_soc_map({"source": {"tag": "S50"}, "terms": {"nausea": 5}})
    with pytest.raises(SafetyError, match=r"terms: got \{\}"):
        parse_soc_map({"source": {"tag": "S50"}, "terms": {}})

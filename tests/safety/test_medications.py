"""The prohibited and cautioned medications: each entry matched by name, synonym, brand
and ATC code, and the near misses that must not match."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmntrial.errors import SafetyError
from mmntrial.safety.medications import (
    ALLOWED,
    CAUTIONED,
    PROHIBITED,
    check_medication,
    medication_list,
    medications_table,
    words,
)

# (what a site types, ATC code or None, the entry it must match, its category)
MATCHES = [
    ("Prednisone 20 mg", None, "corticosteroids", CAUTIONED),
    ("PREDNISOLONE", None, "corticosteroids", CAUTIONED),
    ("Prednisolon (Decortin H)", None, "corticosteroids", CAUTIONED),
    ("Solu-Médrol 1 g i.v.", None, "corticosteroids", CAUTIONED),
    ("methylprednisolone", None, "corticosteroids", CAUTIONED),
    ("dexamethasone", None, "corticosteroids", CAUTIONED),
    ("unnamed tablets", "H02AB06", "corticosteroids", CAUTIONED),
    ("  plasma exchange x5 ", None, "plasma_exchange", CAUTIONED),
    ("Plasmapheresis", None, "plasma_exchange", CAUTIONED),
    ("PLEX", None, "plasma_exchange", CAUTIONED),
    ("Cyclophosphamide", None, "cyclophosphamide", PROHIBITED),
    ("Endoxan", None, "cyclophosphamide", PROHIBITED),
    ("x", "L01AA01", "cyclophosphamide", PROHIBITED),
    ("Rituximab", None, "rituximab", PROHIBITED),
    ("MabThera", None, "rituximab", PROHIBITED),
    ("x", "L01FA01", "rituximab", PROHIBITED),
    ("x", "l01xc02", "rituximab", PROHIBITED),  # the code before the 2022 revision
    ("Azathioprine", None, "azathioprine", PROHIBITED),
    ("Imurek 50", None, "azathioprine", PROHIBITED),
    ("x", "L04AX01", "azathioprine", PROHIBITED),
    ("Cyclosporine", None, "ciclosporin", PROHIBITED),
    ("ciclosporin", None, "ciclosporin", PROHIBITED),
    ("Neoral", None, "ciclosporin", PROHIBITED),
    ("x", "L04AD01", "ciclosporin", PROHIBITED),
    ("Interferon beta-1a", None, "interferon_beta", PROHIBITED),
    ("IFN-β", None, "interferon_beta", PROHIBITED),
    ("Avonex", None, "interferon_beta", PROHIBITED),
    ("x", "L03AB07", "interferon_beta", PROHIBITED),
    ("x", "L03AB08", "interferon_beta", PROHIBITED),
]

# Names and codes close to a listed one that the list must not flag.
NEAR_MISSES = [
    ("azithromycin", None),  # close to azathioprine
    ("cyclopentolate eye drops", None),
    ("cyclobenzaprine", None),
    ("interferon alfa-2a", None),  # another interferon
    ("interferon gamma", None),
    ("fresh frozen plasma", None),  # plasma, not its exchange
    ("methylene blue", None),
    ("fludrocortisone", "H02AA02"),  # a mineralocorticoid, outside H02AB
    ("methotrexate", "L04AX03"),  # beside azathioprine's L04AX01
    ("chlorambucil", "L01AA02"),  # beside cyclophosphamide's L01AA01
    ("interferon alfa-2a", "L03AB04"),
    ("trastuzumab", "L01XC03"),  # beside rituximab's old L01XC02
    ("mycophenolate mofetil", "L04AA06"),  # the study drug itself
    ("immunoglobulin", "J06BA02"),
]


@pytest.mark.parametrize(("typed", "atc", "key", "category"), MATCHES)
def test_each_entry_is_matched_by_name_brand_and_code(
    typed: str, atc: str | None, key: str, category: str
) -> None:
    checked = check_medication(typed, atc)
    assert [e.key for e, _ in checked.matches] == [key]
    assert checked.category == category


def test_every_entry_of_the_list_has_a_matching_case() -> None:
    assert {e.key for e in medication_list()} == {key for _, _, key, _ in MATCHES}


@pytest.mark.parametrize(("typed", "atc"), NEAR_MISSES)
def test_a_near_miss_is_allowed(typed: str, atc: str | None) -> None:
    checked = check_medication(typed, atc)
    assert (checked.category, checked.matches, checked.note) == (ALLOWED, (), "")


def test_a_name_and_a_code_of_different_entries_are_both_shown_the_strictest_holds() -> None:
    checked = check_medication("prednisone", "L04AX01")
    assert [e.key for e, _ in checked.matches] == ["corticosteroids", "azathioprine"]
    assert checked.category == PROHIBITED
    assert "by the name 'prednisone'" in checked.note
    assert "by its ATC code L04AX01" in checked.note


def test_the_note_names_the_match_and_its_source() -> None:
    note = check_medication("Solu-Medrol").note
    assert note.startswith("corticosteroids by the name 'solu medrol': cautioned")
    assert "[S4, S52]" in note


@pytest.mark.parametrize(
    ("atc", "expected"),
    [
        ("H02", "expected the code of one substance"),
        ("H02AB6", "expected a WHO ATC code"),
        ("prednisone", "expected a WHO ATC code"),
    ],
)
def test_an_atc_code_that_is_no_substance_code_is_refused(atc: str, expected: str) -> None:
    with pytest.raises(SafetyError, match=f"atc_code: got {atc!r}, {expected}"):
        check_medication("x", atc)


def test_words_drop_case_accents_and_punctuation() -> None:
    assert words(" Ciclosporine\u0301 (Néoral®) ") == ("ciclosporine", "neoral")


def test_docs_safety_holds_the_list_generated_from_the_data() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "safety.md").read_text(encoding="utf-8")
    assert medications_table() in doc

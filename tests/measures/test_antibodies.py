"""Anti-GM1 IgM titres: log2 steps, the assay always named, changes within one assay."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmntrial.errors import MeasureError
from mmntrial.measures.antibodies import AntiGm1Titre, parse_titre, titre_change_log2

ELISA = "GM1 ELISA, Utrecht"


def test_parse_titre_to_log2_steps() -> None:
    titre = parse_titre("1:3200", ELISA)
    assert titre.log2_steps == pytest.approx(math.log2(3200))
    assert titre.assay == ELISA
    assert titre.dilution == pytest.approx(3200)
    assert str(titre) == "1:3200 (GM1 ELISA, Utrecht)"
    assert parse_titre(" 1 : 800 ", ELISA).log2_steps == pytest.approx(math.log2(800))
    assert parse_titre("1:1", ELISA).log2_steps == 0.0


@pytest.mark.parametrize("text", ["3200", "<1:100", "1:0", "negative", "1:abc", "2:3200", ""])
def test_unreadable_titres_name_the_value_and_the_expected_form(text: str) -> None:
    with pytest.raises(MeasureError) as caught:
        parse_titre(text, ELISA)
    assert str(caught.value).startswith(
        f"anti-GM1 titre (GM1 ELISA, Utrecht): got {text!r}, expected a dilution '1:N'"
    )


@pytest.mark.parametrize("assay", [None, "", "   ", 7])
def test_a_titre_without_its_assay_is_an_error(assay: object) -> None:
    message = rf"^anti-GM1 assay: got {re_escape(assay)}, expected the assay name"
    with pytest.raises(MeasureError, match=message):
        parse_titre("1:3200", assay)
    with pytest.raises(MeasureError, match=message):
        AntiGm1Titre(11.0, assay)


def re_escape(value: object) -> str:
    """The repr of ``value``, escaped for a regular expression."""
    return re.escape(repr(value))


def test_log2_steps_outside_the_catalogue_range_are_refused() -> None:
    with pytest.raises(
        MeasureError,
        match=r"^anti_gm1_log2: got 25\.0 log2_steps, expected a value from 0 to 24 log2_steps",
    ):
        parse_titre(f"1:{2**25}", ELISA)
    with pytest.raises(MeasureError, match=r"^anti_gm1_log2: got -1"):
        AntiGm1Titre(-1, ELISA)


def test_change_within_one_assay() -> None:
    before = parse_titre("1:3200", ELISA)
    assert titre_change_log2(before, parse_titre("1:800", ELISA)) == pytest.approx(-2.0)
    assert titre_change_log2(before, parse_titre("1:6400", " GM1  ELISA,  Utrecht ")) == (
        pytest.approx(1.0)
    )


def test_change_between_assays_is_refused() -> None:
    with pytest.raises(
        MeasureError,
        match=(
            r"^anti-GM1 titre change: got assays 'GM1 ELISA, Utrecht' and 'GM1:GalC ELISA', "
            r"expected the same assay for both titres"
        ),
    ):
        titre_change_log2(parse_titre("1:3200", ELISA), parse_titre("1:800", "GM1:GalC ELISA"))


@given(st.integers(1, 16), st.integers(0, 19), st.integers(0, 19))
def test_each_doubling_of_the_dilution_is_one_step(
    base: int, before_exp: int, after_exp: int
) -> None:
    before = parse_titre(f"1:{base * 2**before_exp}", ELISA)
    after = parse_titre(f"1:{base * 2**after_exp}", ELISA)
    assert titre_change_log2(before, after) == pytest.approx(after_exp - before_exp, abs=1e-9)

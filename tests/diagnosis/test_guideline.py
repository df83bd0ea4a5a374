"""The guideline file: each criterion the code reads is there, tagged [S5]; a bad one is refused."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

import pytest

from mmntrial.diagnosis.guideline import GUIDELINE_FILE, efns_pns_2010, parse_guideline
from mmntrial.errors import MeasureError


def _data() -> dict[str, Any]:
    text = resources.files("mmntrial.diagnosis").joinpath(GUIDELINE_FILE).read_text("utf-8")
    return tomllib.loads(text)


def test_the_shipped_guideline_holds_the_published_thresholds() -> None:
    g = efns_pns_2010()
    assert g.source == "S5"
    t = g.thresholds
    assert (t["definite_area_reduction_percent"], t["max_duration_increase_percent"]) == (50, 30)
    assert (t["definite_distal_amplitude_mv"], t["definite_distal_amplitude_percent_of_lln"]) == (
        1,
        20,
    )
    assert t["probable_long_segment_area_reduction_percent"] == 30
    assert all(text.endswith("[S5]") for text in g.texts.values())


def test_a_missing_threshold_is_refused_with_its_key() -> None:
    data = _data()
    del data["conduction_block"]["thresholds"]["max_duration_increase_percent"]
    with pytest.raises(
        MeasureError, match=re.escape("thresholds.max_duration_increase_percent: got None")
    ):
        parse_guideline(data)


def test_wording_without_its_source_tag_is_refused() -> None:
    data = _data()
    data["supportive"]["anti_gm1"] = "1. Elevated IgM anti-GM1"
    with pytest.raises(MeasureError, match=r"supportive.anti_gm1: .*ending with its source tag"):
        parse_guideline(data)

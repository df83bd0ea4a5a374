"""Figures: valid SVG, the same bytes for the same data, ids unique on one page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from mmntrial.analysis.survival import KaplanMeierCurve, kaplan_meier
from mmntrial.report.figures import (
    at_risk_at,
    dose_intensity_svg,
    km_svg,
    measures_svg,
    visit_summary,
)
from mmntrial.report.svgtext import inline_svg
from tests.dataset.factory import make_dataset

ARMS = ("mmf", "placebo")
LABELS = {"mmf": "MMF + IVIg", "placebo": "Placebo + IVIg"}
# Time to first confirmed deterioration in the factory dataset (its docstring's truth).
KM_DAYS = {"S01": 189, "S02": 160, "S03": 180, "S04": 365, "S05": 130, "S06": 220}
KM_EVENT = {"S01": True, "S02": True, "S03": False, "S04": False, "S05": True, "S06": True}


def _curves() -> dict[str, KaplanMeierCurve]:
    subjects = make_dataset().subjects
    ids = subjects["subject_id"].tolist()
    return kaplan_meier(
        [KM_DAYS[s] for s in ids],
        [KM_EVENT[s] for s in ids],
        subjects["arm"].tolist(),
        arms=list(ARMS),
    )


def _dose() -> str:
    d = make_dataset()
    return dose_intensity_svg(d.subjects, d.infusions, arms=ARMS, labels=LABELS, taper_start_day=91)


def _measures() -> str:
    d = make_dataset()
    return measures_svg(d.subjects, d.assessments, arms=ARMS, labels=LABELS)


def _km() -> str:
    return km_svg(_curves(), labels=LABELS, x_max=365)


FIGURES: dict[str, Callable[[], str]] = {"dose": _dose, "measures": _measures, "km": _km}


@pytest.mark.parametrize("make", FIGURES.values(), ids=FIGURES.keys())
def test_figure_is_one_well_formed_svg_element(make: Callable[[], str]) -> None:
    svg = make()
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert float(root.get("width", "0pt").removesuffix("pt")) > 100


@pytest.mark.parametrize("make", FIGURES.values(), ids=FIGURES.keys())
def test_same_data_give_the_same_bytes(make: Callable[[], str]) -> None:
    assert make() == make()


@pytest.mark.parametrize("make", FIGURES.values(), ids=FIGURES.keys())
def test_no_date_no_url_no_doctype(make: Callable[[], str]) -> None:
    svg = make()
    assert "<dc:date>" not in svg
    assert "<!DOCTYPE" not in svg
    assert not re.search(r"""(src|href)=["']https?:""", svg)
    assert "matplotlib.org" not in svg


def test_ids_of_the_figures_of_one_page_are_distinct() -> None:
    seen: set[str] = set()
    for make in FIGURES.values():
        ids = re.findall(r'\bid="([^"]+)"', make())
        assert ids
        assert not seen & set(ids)
        seen |= set(ids)


def test_every_reference_points_at_an_id_of_the_same_figure() -> None:
    for make in FIGURES.values():
        svg = make()
        ids = set(re.findall(r'\bid="([^"]+)"', svg))
        refs = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'href="#([^"]+)"', svg))
        assert refs <= ids


def test_different_data_give_different_bytes() -> None:
    d = make_dataset()
    infusions = d.infusions.copy()
    infusions.loc[infusions.index[-1], "dose_g"] += 10.0
    changed = dose_intensity_svg(
        d.subjects, infusions, arms=ARMS, labels=LABELS, taper_start_day=91
    )
    assert changed != _dose()


def test_legend_names_every_arm() -> None:
    for svg in (_dose(), _measures(), _km()):
        for label in LABELS.values():
            assert label in svg


def test_km_figure_prints_the_number_at_risk() -> None:
    curves = _curves()
    assert at_risk_at(curves["mmf"], [0, 150, 185, 240]) == [3, 2, 1, 0]
    assert at_risk_at(curves["placebo"], [0, 170, 300, 366]) == [3, 2, 1, 0]
    svg = _km()
    assert "number at risk" in svg


def test_visit_summary_averages_the_two_hands_then_the_subjects() -> None:
    d = make_dataset()
    summary = visit_summary(d.subjects, d.assessments, "grip_kpa").set_index(["arm", "visit"])
    # Day 0 grip (left, right): S01 (60, 45), S03 (55, 55), S05 (66, 58) in the mmf arm.
    expected = np.mean([(60 + 45) / 2, (55 + 55) / 2, (66 + 58) / 2])
    assert summary.loc[("mmf", "M0"), "mean"] == pytest.approx(expected)
    assert summary.loc[("mmf", "M0"), "n"] == 3
    assert summary.loc[("mmf", "M0"), "day"] == 0
    assert "repeat" not in summary.index.get_level_values("visit")
    assert "unscheduled" not in summary.index.get_level_values("visit")


def test_empty_tables_draw_a_no_data_panel() -> None:
    d = make_dataset()
    svg = dose_intensity_svg(d.subjects, d.infusions.iloc[0:0], arms=ARMS)
    assert "no infusions in the dataset" in svg
    svg = measures_svg(d.subjects, d.assessments.iloc[0:0], arms=ARMS)
    assert "no mrc_sum in the dataset" in svg
    assert "no time-to-event data" in km_svg({})


def test_inline_svg_prefixes_ids_and_their_references_only() -> None:
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg><metadata>x</metadata>'
        '<clipPath id="p1"/><g clip-path="url(#p1)"/><use xlink:href="#m2"/>'
        '<path id="m2"/><a href="#elsewhere"/></svg>'
    )
    out = inline_svg(text, "fig")
    assert out == (
        '<svg><clipPath id="fig-p1"/><g clip-path="url(#fig-p1)"/><use xlink:href="#fig-m2"/>'
        '<path id="fig-m2"/><a href="#elsewhere"/></svg>'
    )


def test_dose_intensity_median_follows_the_patients() -> None:
    # Two patients in one arm, 0.5 and 0.25 g/kg/week: the median line is drawn at 0.375.
    subjects = pd.DataFrame({"subject_id": ["a", "b"], "arm": ["x", "x"]})
    infusions = pd.DataFrame(
        {
            "subject_id": ["a", "b"],
            "day": [0, 0],
            "dose_g": [140.0, 70.0],
            "weight_kg": [70.0, 70.0],
            "interval_days": [28, 28],
        }
    )
    one = dose_intensity_svg(subjects, infusions, arms=["x"])
    other = dose_intensity_svg(subjects, infusions.assign(dose_g=[140.0, 140.0]), arms=["x"])
    assert one != other
    assert "median, x" in one


def test_a_label_with_dollar_signs_is_drawn_as_text_not_tex() -> None:
    # "$\foo$" stopped the report with a mathtext parse error; "$1 g$" came out in italics.
    labels = {"mmf": r"MMF $\foo$ + IVIg", "placebo": "Placebo $1 g$"}
    d = make_dataset()
    for svg in (
        dose_intensity_svg(d.subjects, d.infusions, arms=ARMS, labels=labels, taper_start_day=91),
        measures_svg(d.subjects, d.assessments, arms=ARMS, labels=labels),
        km_svg(_curves(), labels=labels, x_max=365),
    ):
        assert r"MMF $\foo$ + IVIg" in svg
        assert "Placebo $1 g$" in svg

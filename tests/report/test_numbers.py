"""Every number of the report's tables has the decimals of its unit (issue 13, item 5).

Percentages have one decimal (a risk difference is a difference of percentages, in
percentage points), grams are whole, p-values come from the one formatter, and no
number has more decimals than its unit allows.
"""

from __future__ import annotations

import html
import re

import pytest

from mmntrial.analysis.result import (
    GRAMS,
    MEASURE_DECIMALS,
    PERCENT,
    RATIO,
    RISK_DIFFERENCE,
    format_p,
)

NUMBER = r"-?\d+(?:\.(\d+))?"


CELL = re.compile(r'<(t[hd])(?: [^>]*?class="([^"]*)")?[^>]*>(.*?)</t[hd]>', re.S)


def _tables(page: str) -> list[tuple[str, list[list[tuple[str, str, str]]]]]:
    """Each table but the reproducibility one: its attributes, rows of (tag, class, text)."""
    found = []
    for attrs, body in re.findall(r"<table([^>]*)>(.*?)</table>", page, re.S):
        if "repro" in attrs:
            continue
        rows = [
            [
                (tag, cls, html.unescape(re.sub(r"<[^>]+>", "", text)))
                for tag, cls, text in CELL.findall(row)
            ]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
        ]
        found.append((attrs, rows))
    return found


def _decimals(match: re.Match[str]) -> int:
    return len(match.group(1) or "")


def problems(page: str) -> list[str]:
    """Each number whose decimals do not fit its unit, with its table cell."""
    wrong = []
    for attrs, rows in _tables(page):
        header = [text for _, _, text in rows[0]] if rows else []
        for row in rows:
            row_label = row[0][2] if row else ""
            for column, (tag, cls, text) in enumerate(row):
                if tag == "th":  # headings and labels state settings, not results
                    continue
                context = f"{row_label} / {header[column] if column < len(header) else ''}"
                if "p" in cls.split():
                    if text not in ("", "NA") and text != format_p(float(text.lstrip("<"))):
                        wrong.append(f"p-value {text!r} in {attrs}: {context}")
                    continue
                for match in re.finditer(rf"({NUMBER})( percentage points|%(?! CI)| g\b)?", text):
                    number = re.match(NUMBER, match.group(1))
                    assert number
                    places, unit = _decimals(number), match.group(3)
                    if unit in (" percentage points", "%"):
                        allowed = {PERCENT.decimals, RISK_DIFFERENCE.decimals}
                    elif unit == " g" or ", g," in context:
                        allowed = {GRAMS.decimals}
                    elif "g/kg/week" in context:
                        allowed = set(range(4))  # an IVIg dose intensity: 0.295
                    else:
                        allowed = set(range(max(MEASURE_DECIMALS, RATIO.decimals) + 1))
                    if places not in allowed:
                        wrong.append(f"{match.group(0)!r} in {attrs}: {context}: {text!r}")
    return wrong


def test_the_checker_finds_the_old_reports_faults() -> None:
    old = (
        '<table class="results"><tr><th>x</th><td>risk difference: 0.464</td>'
        '<td class="p">0.02994</td></tr><tr><th>IVIg</th><td>-233.597 g</td>'
        "<td>5 (36%)</td></tr></table>"
    )
    assert len(problems(old)) == 4


@pytest.mark.parametrize("which", ["report_html", "simulated_html"])
def test_no_number_has_more_decimals_than_its_unit(
    which: str, request: pytest.FixtureRequest
) -> None:
    page = request.getfixturevalue(which)
    assert problems(page) == []


def test_risk_differences_are_in_percentage_points(simulated_html: str) -> None:
    text = html.unescape(re.sub(r"<[^>]+>", " ", simulated_html))
    assert re.search(r"risk difference, mmf - placebo: -?\d+\.\d percentage points", text)
    assert not re.search(r"risk difference, mmf - placebo: -?0\.\d{3}", text)


def test_grams_are_whole(simulated_html: str) -> None:
    text = html.unescape(re.sub(r"<[^>]+>", " ", simulated_html))
    shifts = re.findall(r"(-?[\d.]+) g\b(?!/)", text)  # grams, not g/kg/week
    assert shifts
    assert all("." not in shift for shift in shifts)

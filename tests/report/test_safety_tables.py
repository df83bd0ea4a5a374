"""The safety section reads as a journal table: headed columns, words, "none" when empty."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

from mmntrial.analysis.plan import PlanResults
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.model import Protocol
from mmntrial.report.safety_tables import LISTING_COLUMNS
from mmntrial.report.write import write_report


def _safety(page: str) -> str:
    section = re.search(r'<section id="safety">(.*?)</section>', page, re.S)
    assert section
    return section.group(1)


def _table(section: str, caption: str) -> list[list[str]]:
    table = re.search(rf"<caption>{caption}</caption>(.*?)</table>", section, re.S)
    assert table, caption
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c))
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    ]


def test_the_listing_has_headed_columns_in_words(simulated_html: str) -> None:
    rows = _table(_safety(simulated_html), "Listing of adverse events")
    assert tuple(rows[0]) == LISTING_COLUMNS
    body = rows[1:]
    assert len(body) > 5
    cells = {cell for row in body for cell in row}
    assert not cells & {"True", "False", "nan", "NaN", "None", "study_drug", "0"}
    assert {row[5] for row in body} <= {"yes", "no"}
    assert {row[6] for row in body} <= {"study drug", "IVIg", "not related"}
    assert all(re.fullmatch(r"resolved, day \d+|not resolved", row[8]) for row in body)
    # Sorted by arm (the protocol's order), subject and onset day.
    arms = ["Mycophenolate mofetil + IVIg", "Placebo + IVIg"]
    keys = [(arms.index(row[1]), row[0], int(row[2])) for row in body]
    assert keys == sorted(keys)


def test_the_serious_listing_holds_the_serious_events(simulated_html: str) -> None:
    rows = _table(_safety(simulated_html), "Listing of serious adverse events")
    assert rows[1:] == [
        ["S01-007", "Placebo + IVIg", "61", "infection", "3", "yes", "not related", "none",
         "resolved, day 71"],
    ]  # fmt: skip


def test_counts_are_n_and_percent_with_one_decimal(simulated_html: str) -> None:
    rows = _table(_safety(simulated_html), "Subjects by worst CTCAE grade")
    assert rows[1] == ["any adverse event", "7 (50.0%)", "7 (50.0%)"]


def test_an_empty_listing_says_none(
    factory_dataset: Dataset, piepers: Protocol, factory_plan: PlanResults, tmp_path: Path
) -> None:
    events = factory_dataset.adverse_events
    quiet = replace(factory_dataset, adverse_events=events[~events["serious"].astype(bool)])
    page = write_report(quiet, piepers, factory_plan, tmp_path, pdf=False).html.read_text()
    assert "<strong>Listing of serious adverse events:</strong> none." in _safety(page)

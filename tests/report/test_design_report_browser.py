"""The design report in a real headless Chromium: every section and both figures visible,
nothing fetched from outside the file (as tests/report/test_report_browser.py does)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, sync_playwright

from mmntrial.report.design_report import SECTION_IDS, DesignReportPaths
from tests.report.test_report_browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: run `sudo bash scripts/system-deps` to install Chromium",
)


@pytest.fixture(scope="module")
def page(design_report: DesignReportPaths) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            requests: list[str] = []
            context.on("request", lambda request: requests.append(request.url))
            tab = context.new_page()
            tab.goto(design_report.html.resolve().as_uri(), wait_until="load")
            yield tab
            assert [url for url in requests if not url.startswith("file://")] == []
        finally:
            browser.close()


@pytest.mark.parametrize("section", SECTION_IDS)
def test_every_section_is_visible(page: Page, section: str) -> None:
    locator = page.locator(f"section#{section}")
    assert locator.count() == 1
    assert locator.is_visible()


@pytest.mark.parametrize("figure", ["fig-power-n", "fig-harm-savings"])
def test_both_figures_are_drawn_at_a_readable_size(page: Page, figure: str) -> None:
    svg = page.locator(f"figure#{figure} svg")
    assert svg.count() == 1
    box = svg.bounding_box()
    assert box is not None
    assert box["width"] > 500
    assert box["height"] > 250


def test_no_table_is_wider_than_the_page(page: Page) -> None:
    overflowing = page.evaluate(
        "() => { const right = document.body.getBoundingClientRect().right + 1;"
        " return [...document.querySelectorAll('table')]"
        ".filter(t => t.getBoundingClientRect().right > right).length; }"
    )
    assert overflowing == 0

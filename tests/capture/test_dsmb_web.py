"""The DSMB statistician's report pages of the live study: theirs alone, the open one
without any arm, the closed one by arm, and none without the key."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mmntrial.capture import accounts
from mmntrial.capture.dataset_load import Loaded, load_dataset
from mmntrial.capture.permissions import SITE_ROLES, Role
from mmntrial.capture.study import all_sites
from mmntrial.capture.web import create_app
from mmntrial.protocol.loader import load_protocol
from mmntrial.randomization.lists import AllocationList
from mmntrial.report import dsmb as report_dsmb
from mmntrial.report.pdf import pdf_unavailable_reason
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD, WHO
from tests.capture.web_client import sign_in

TODAY = date(2026, 12, 1)
PIEPERS = load_protocol("piepers-2007")
ROUTES = ("/dsmb/open", "/dsmb/closed", "/dsmb/open.pdf", "/dsmb/closed.pdf")
NO_PDF = pdf_unavailable_reason()


@pytest.fixture
def loaded(database: str | Path) -> Loaded:
    """A simulated trial loaded as the study, and one user per role."""
    trial = simulate_one_trial(
        PIEPERS, load_population("mmn-default"), effect=0.5, seed=14, n_per_arm=4
    )
    with Database.open(database) as db:
        made = load_dataset(db, trial, PIEPERS, "first-admin", PASSWORD, TODAY)
        with db.write() as conn:
            site = all_sites(conn)[0]
            for role in Role:
                accounts.add_user(conn, role.value, PASSWORD, WHO)
                accounts.grant(
                    conn, role.value, role.value, site if role in SITE_ROLES else None, WHO
                )
    return made


@contextmanager
def client_of(target: str | Path, key: AllocationList | None) -> Iterator[TestClient]:
    database = Database.open(target)
    try:
        app = create_app(database, secret="test secret", key=key)
        with TestClient(app, follow_redirects=False) as client:
            yield client
    finally:
        database.close()


def _arm_words() -> list[str]:
    return sorted({a.name for a in PIEPERS.arms} | {a.label for a in PIEPERS.arms})


def test_only_the_dsmb_statistician_reaches_the_reports(
    database: str | Path, loaded: Loaded
) -> None:
    with client_of(database, loaded.key) as client:
        for role in Role:
            client.cookies.clear()
            sign_in(client, role.value)
            for route in ROUTES:
                response = client.get(route)
                expected = 200 if role is Role.DSMB_STATISTICIAN else 403
                assert response.status_code == expected, (role, route, response.status_code)
                if route.endswith(".pdf") and expected == 200 and NO_PDF is None:
                    assert response.content.startswith(b"%PDF-"), route
                    assert response.headers["content-type"] == "application/pdf"


def test_the_open_report_holds_no_arm_and_the_closed_one_each(
    database: str | Path, loaded: Loaded
) -> None:
    with client_of(database, loaded.key) as client:
        sign_in(client, Role.DSMB_STATISTICIAN.value)
        opened = client.get("/dsmb/open").text
        closed = client.get("/dsmb/closed").text
    assert "DSMB open report" in opened
    assert "Subjects by worst CTCAE grade" in opened
    for word in _arm_words():
        assert not re.search(re.escape(word), opened, re.IGNORECASE), word
    for arm in PIEPERS.arms:
        assert f"{arm.label}, n (%)" in closed


def test_without_the_key_there_is_no_report(database: str | Path, loaded: Loaded) -> None:
    with client_of(database, None) as client:
        sign_in(client, Role.DSMB_STATISTICIAN.value)
        response = client.get("/dsmb/closed")
    assert response.status_code == 409
    assert "mmntrial serve --key" in response.text


def test_each_page_links_its_pdf(database: str | Path, loaded: Loaded) -> None:
    with client_of(database, loaded.key) as client:
        sign_in(client, Role.DSMB_STATISTICIAN.value)
        for kind in ("open", "closed"):
            assert f'<a href="/dsmb/{kind}.pdf">PDF</a>' in client.get(f"/dsmb/{kind}").text


def test_where_no_pdf_can_be_made_the_route_says_why(
    database: str | Path, loaded: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_dsmb, "render_pdf", lambda html: (None, "Pango is missing"))
    with client_of(database, loaded.key) as client:
        sign_in(client, Role.DSMB_STATISTICIAN.value)
        response = client.get("/dsmb/open.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "PDF not made: Pango is missing" in response.text

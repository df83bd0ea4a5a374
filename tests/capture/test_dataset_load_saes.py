"""A loaded study's serious adverse events have their awareness moment, so their clocks
run, and most have an initial report: the same ones on every load of the dataset."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest

from mmntrial.capture import sae
from mmntrial.capture.dataset_load import LOADER, last_day, load_dataset, sae_timing
from mmntrial.capture.study import all_sites
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD

TODAY = date(2026, 12, 1)
#: When the study is opened: the afternoon of the load's today.
OPENED = datetime.combine(TODAY, time(15, 0), UTC)


def _all_serious() -> Dataset:
    """A small simulated trial whose adverse events are all serious, each four times
    (three days apart), and one more on the last day of the trial (its onset is the load's
    today)."""
    piepers = load_protocol("piepers-2007")
    small = simulate_one_trial(
        piepers, load_population("mmn-default"), effect=0.5, seed=3, n_per_arm=2
    )
    events = [
        {**e, "day_onset": e["day_onset"] + 3 * k, "day_resolved": e["day_resolved"] + 3 * k}
        for k in range(4)
        for e in small.adverse_events.to_dict("records")
    ]
    subject = str(small.subjects["subject_id"].iloc[0])
    last = {**events[0], "subject_id": subject, "day_onset": last_day(small), "day_resolved": None}
    frames = small.tables()
    frames["adverse_events"] = pd.DataFrame([*events, last]).assign(serious=True)
    return Dataset.from_frames(small.meta, frames, piepers)


def _saes(database: str | Path) -> list[sae.Sae]:
    dataset = _all_serious()
    with Database.open(database) as db:
        load_dataset(db, dataset, load_protocol("piepers-2007"), "admin", PASSWORD, TODAY)
        with db.read() as conn:
            return [s for site in all_sites(conn) for s in sae.saes(conn, site, OPENED)]


def test_no_loaded_serious_event_misses_its_awareness_and_most_are_reported(
    database: str | Path,
) -> None:
    found = _saes(database)
    assert len(found) >= 8
    assert [s.status for s in found if s.status == sae.AWARENESS_MISSING] == []
    for event in found:
        aware = event.event["aware_at_utc"]
        onset = event.event["onset_on"]
        # The onset day's morning, or the load's today from its midnight.
        assert aware in (f"{onset}T09:00+00:00", f"{TODAY}T00:00+00:00"), event.event
        for report in event.reports:
            assert report["reported_by"] == LOADER
            assert report["reported_at_utc"] < TODAY.isoformat()  # none after the load
    statuses = [s.status for s in found]
    reported = [s for s in statuses if s in ("on_time", "late")]
    assert len(reported) > len(found) / 2, statuses
    assert "on_time" in statuses
    # The event of today cannot have been reported before today: it is still open.
    today = [s for s in found if s.event["onset_on"] == TODAY.isoformat()]
    assert [s.status for s in today] == ["open"]


def test_the_clocks_are_the_same_on_every_load(tmp_path: Path) -> None:
    first = _saes(tmp_path / "first.db")
    again = _saes(tmp_path / "again.db")
    assert [(s.subject, s.status, s.reports) for s in first] == [
        (s.subject, s.status, s.reports) for s in again
    ]


@pytest.mark.parametrize(
    ("seed", "status"),
    [("seed 0", "on_time"), ("seed 22", "late"), ("seed 9", None)],
)
def test_a_drawn_report_is_on_time_late_or_none(seed: str, status: str | None) -> None:
    onset = date(2026, 10, 1)
    aware = datetime.combine(onset, time(9, 0), UTC)
    timing = sae_timing(seed, onset, TODAY)
    assert timing.aware_at == aware
    if status is None:
        assert timing.reported_at is None
    elif status == "on_time":
        assert timing.reported_at is not None
        assert timing.reported_at <= aware + timedelta(hours=24)
    else:
        assert timing.reported_at is not None
        assert timing.reported_at > aware + timedelta(hours=24)

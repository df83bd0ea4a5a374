"""Loading a trial opens the action items its safety rules find, once per participant
after their records are in: the items are what the DSMB's "safety rules fired" table
counts on the same data (one set of rules, two readers), and none is missed."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from mmntrial.analysis.dsmb import rules_fired
from mmntrial.capture import action_items
from mmntrial.capture.dataset_load import LOADER, load_dataset
from mmntrial.capture.study import all_sites
from mmntrial.capture.tables import action_items as items_table
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD

TODAY = date(2026, 12, 1)


def _with_findings() -> Dataset:
    """A small simulated trial with a low neutrophil count on day 14 of its first subject
    and a confusion (a PML alert term) on day 20 of its last: rules fire on both."""
    piepers = load_protocol("piepers-2007")
    small = simulate_one_trial(
        piepers, load_population("mmn-default"), effect=0.5, seed=11, n_per_arm=2
    )
    frames = small.tables()
    labs = frames["labs"].copy()
    first, last = small.subjects["subject_id"].iloc[0], small.subjects["subject_id"].iloc[-1]
    low = (labs["subject_id"] == first) & (labs["test"] == "neutrophils") & (labs["day"] == 14)
    assert low.sum() == 1, "the lab schedule samples neutrophils on day 14"
    labs.loc[low, "value"] = 1.0
    frames["labs"] = labs
    events = frames["adverse_events"].to_dict("records")
    events.append(
        {
            "subject_id": last,
            "ae_id": "AE-9999",
            "term": "confusion",
            "day_onset": 20,
            "day_resolved": 30,
            "grade": 2,
            "serious": False,
            "related_to": "none",
            "action_taken": "none",
        }
    )
    frames["adverse_events"] = pd.DataFrame(events)
    return Dataset.from_frames(small.meta, frames, piepers)


def test_loading_opens_the_items_the_dsmb_counts_and_misses_none(database: str | Path) -> None:
    dataset = _with_findings()
    protocol = load_protocol("piepers-2007")
    with Database.open(database) as db:
        load_dataset(db, dataset, protocol, "admin", PASSWORD, TODAY)
        with db.read() as conn:
            opened = Counter(conn.execute(select(items_table.c.rule_id)).scalars())
        with db.write() as conn:
            again = sum(
                action_items.open_findings(conn, site, str(subject), LOADER, TODAY)
                for site in all_sites(conn)
                for subject in dataset.subjects.loc[dataset.subjects["site"] == site, "subject_id"]
            )
    assert again == 0, "every finding had its item after the load"
    counts = rules_fired(dataset, protocol.safety, closed=False).counts
    # An item per finding, and one per value a rule could not evaluate.
    per_rule = counts["all subjects findings"] + counts["all subjects could not evaluate"]
    by_rule = Counter({str(rule): int(n) for rule, n in per_rule.items() if n})
    assert opened == by_rule
    assert opened["neutrophils_low"] >= 1
    assert opened["pml_alert"] == 1

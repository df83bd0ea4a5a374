"""The simulator samples labs on the protocol's lab schedule (the capture app's due days),
the graded labs at baseline, and the count that finds a leukopenia; a protocol without a
schedule keeps neutrophils and WBC at its visits."""

from __future__ import annotations

import pandas as pd

from mmntrial.protocol.loader import load_protocol, parse_protocol
from mmntrial.protocol.serialize import protocol_to_dict
from mmntrial.safety.lab_schedule import due_days
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial


def _labs(protocol_name: str) -> tuple[pd.DataFrame, pd.Series]:
    data = simulate_one_trial(
        load_protocol(protocol_name),
        load_population("mmn-default"),
        effect=0.0,
        seed=5,
        n_per_arm=60,
    )
    last_day = data.dispositions.set_index("subject_id")["day"]
    return data.labs[data.labs["test"] != "igg"], last_day


def test_labs_follow_the_protocol_lab_schedule_within_follow_up() -> None:
    protocol = load_protocol("piepers-2007")
    schedule = protocol.safety.lab_schedule
    assert schedule is not None
    labs, last_day = _labs("piepers-2007")
    assert not labs.duplicated(["subject_id", "day", "test"]).any()
    assert (labs["day"].to_numpy() <= last_day.reindex(labs["subject_id"]).to_numpy()).all()
    due = set(due_days(schedule))
    for subject, rows in labs.groupby("subject_id"):
        for lab in schedule.labs:
            days = set(rows.loc[rows["test"] == lab, "day"])
            expected = {d for d in due if d <= last_day[subject]}
            if lab in ("neutrophils", "wbc"):
                # plus the count that found a leukopenia, on a day no sample was due
                assert expected <= days, (subject, lab)
                assert len(days - expected) <= 1, (subject, lab)
            else:
                assert days == expected, (subject, lab)
        # Every graded lab has its baseline on day 0; those off the schedule only there.
        for lab in protocol.safety.graded_labs:
            assert 0 in set(rows.loc[rows["test"] == lab, "day"]), (subject, lab)
        for lab in set(protocol.safety.graded_labs) - set(schedule.labs):
            assert set(rows.loc[rows["test"] == lab, "day"]) == {0}, (subject, lab)


def test_a_leukopenia_shows_in_the_counts_and_each_one_found_is_low() -> None:
    labs, _ = _labs("piepers-2007")
    schedule = load_protocol("piepers-2007").safety.lab_schedule
    assert schedule is not None
    off_schedule = labs[~labs["day"].isin(due_days(schedule))]
    assert set(off_schedule["test"]) == {"neutrophils", "wbc"}
    # The count that finds a leukopenia is below the interruption threshold [S47] and
    # below 3.5 x 10^9/L white cells.
    found = off_schedule.pivot(index=["subject_id", "day"], columns="test", values="value")
    assert len(found) > 0
    assert (found["neutrophils"] < 1.3).all()
    assert (found["wbc"] < 3.5).all()
    assert (found["neutrophils"] < found["wbc"]).all()


def test_without_a_lab_schedule_the_counts_are_taken_at_the_visits() -> None:
    labs, _ = _labs("cidp-levels")
    assert set(labs["test"]) == {"neutrophils", "wbc"}
    assert 0 in set(labs["day"])


def test_graded_labs_without_a_schedule_have_their_baseline() -> None:
    data = protocol_to_dict(load_protocol("piepers-2007"))
    del data["safety"]["lab_schedule"]
    protocol = parse_protocol(data, "no-schedule")
    labs = simulate_one_trial(
        protocol, load_population("mmn-default"), effect=0.0, seed=5, n_per_arm=20
    ).labs
    labs = labs[labs["test"] != "igg"]
    counts = labs["test"].isin(["neutrophils", "wbc"])
    # The counts at the visits; every other graded lab once, on day 0, for everyone.
    others = set(protocol.safety.graded_labs) - {"neutrophils", "wbc"}
    assert set(labs.loc[~counts, "test"]) == others
    assert set(labs.loc[~counts, "day"]) == {0}
    assert len(labs[~counts]) == 40 * len(others)
    assert 0 in set(labs.loc[counts, "day"])

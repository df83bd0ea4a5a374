"""The simulator samples labs on the protocol's lab schedule (the capture app's due days),
the graded labs at screening, and the count that finds a leukopenia; a protocol without a
schedule keeps neutrophils and WBC at its visits."""

from __future__ import annotations

import pandas as pd

from mmntrial.analysis.dsmb import rules_fired
from mmntrial.protocol.loader import load_protocol, parse_protocol
from mmntrial.protocol.serialize import protocol_to_dict
from mmntrial.safety.lab_schedule import due_days
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial


def _labs(protocol_name: str) -> tuple[pd.DataFrame, pd.Series]:
    labs, last_day, _ = _trial(protocol_name)
    return labs, last_day


def _trial(protocol_name: str) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The trial's labs (IgG aside), each subject's last day and screening day."""
    data = simulate_one_trial(
        load_protocol(protocol_name),
        load_population("mmn-default"),
        effect=0.0,
        seed=5,
        n_per_arm=60,
    )
    last_day = data.dispositions.set_index("subject_id")["day"]
    screened = data.screening.dropna(subset=["subject_id"]).set_index("subject_id")
    return data.labs[data.labs["test"] != "igg"], last_day, screened["screening_day"]


def test_labs_follow_the_protocol_lab_schedule_within_follow_up() -> None:
    protocol = load_protocol("piepers-2007")
    schedule = protocol.safety.lab_schedule
    assert schedule is not None
    labs, last_day, screening_day = _trial("piepers-2007")
    assert not labs.duplicated(["subject_id", "day", "test"]).any()
    assert (labs["day"].to_numpy() <= last_day.reindex(labs["subject_id"]).to_numpy()).all()
    due = set(due_days(schedule))
    for subject, rows in labs.groupby("subject_id"):
        for lab in schedule.labs:
            days = set(rows.loc[rows["test"] == lab, "day"])
            expected = {d for d in due if d <= last_day[subject]} | {screening_day[subject]}
            if lab in ("neutrophils", "wbc"):
                # plus the count that found a leukopenia, on a day no sample was due
                assert expected <= days, (subject, lab)
                assert len(days - expected) <= 1, (subject, lab)
            else:
                assert days == expected, (subject, lab)
        # Every graded lab is drawn at screening, before day 0; those off the schedule
        # only there.
        screened = screening_day[subject]
        assert screened < 0
        for lab in protocol.safety.graded_labs:
            assert screened in set(rows.loc[rows["test"] == lab, "day"]), (subject, lab)
        for lab in set(protocol.safety.graded_labs) - set(schedule.labs):
            assert set(rows.loc[rows["test"] == lab, "day"]) == {screened}, (subject, lab)


def test_a_leukopenia_shows_in_the_counts_and_each_one_found_is_low() -> None:
    labs, _ = _labs("piepers-2007")
    schedule = load_protocol("piepers-2007").safety.lab_schedule
    assert schedule is not None
    off_schedule = labs[~labs["day"].isin(due_days(schedule)) & (labs["day"] >= 0)]
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
    data = simulate_one_trial(
        protocol, load_population("mmn-default"), effect=0.0, seed=5, n_per_arm=20
    )
    labs = data.labs[data.labs["test"] != "igg"]
    screened = data.screening.dropna(subset=["subject_id"]).set_index("subject_id")
    at_screening = (
        labs["day"].to_numpy() == screened["screening_day"][labs["subject_id"]].to_numpy()
    )
    # Every graded lab once, at screening, for everyone; the counts also at the visits.
    assert set(labs.loc[at_screening, "test"]) == set(protocol.safety.graded_labs)
    assert len(labs[at_screening]) == 40 * len(protocol.safety.graded_labs)
    assert set(labs.loc[~at_screening, "test"]) == {"neutrophils", "wbc"}
    assert 0 in set(labs.loc[~at_screening, "day"])


def test_the_day_0_haemoglobin_has_a_value_before_the_infusion_it_follows() -> None:
    """The last infusion before randomization is days before day 0; the screening bloods
    come before it, so the haemolysis rule judges every day-0 haemoglobin rather than
    opening a "cannot evaluate" item for every patient."""
    protocol = load_protocol("piepers-2007")
    data = simulate_one_trial(
        protocol, load_population("mmn-default"), effect=0.0, seed=5, n_per_arm=30
    )
    counts = rules_fired(data, protocol.safety, closed=False).counts
    assert counts.loc["haemolysis_check", "all subjects could not evaluate"] == 0

"""Reading patient histories from CSV: the shipped examples, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmntrial.dataset import history_csv
from mmntrial.dataset.history_csv import COLUMNS, parse_histories, read_histories
from mmntrial.errors import HistoryError

EXAMPLES = Path(__file__).parents[2] / "src" / "mmntrial" / "examples"
HEADER = ",".join(COLUMNS)


def rows(*lines: str) -> list[str]:
    return [HEADER, *lines]


def test_the_shipped_examples_read() -> None:
    histories = read_histories(EXAMPLES / "piepers-2007-histories.csv")
    assert [h.subject for h in histories] == [
        "P01-floor",
        "P02-restored",
        "P03-noise",
        "P04-missed",
        "P05-withdrawn",
    ]
    first = histories[0]
    assert len(first.baseline_infusions) == 3
    assert first.assessments[0].values == {
        "mrc_sum": 86.0,
        "grip_kpa:left": 52.0,
        "grip_kpa:right": 60.0,
        "gnds_upper": 2.0,
        "gnds_lower": 1.0,
    }
    assert histories[4].withdrawal_day == 200
    assert histories[4].withdrawal_reason == "adverse event: leukopenia"


def test_a_jamar_reading_in_kg_is_refused_as_grip_kpa() -> None:
    with pytest.raises(HistoryError, match=r"line 2, column value: grip_kpa: got unit 'kg'"):
        parse_histories(rows("P1,0,assessment,grip_kpa,left,30,kg,,,,,"))


def test_every_problem_is_reported_with_line_and_column() -> None:
    with pytest.raises(HistoryError) as caught:
        parse_histories(
            rows(
                "P1,x,assessment,mrc_sum,,80,points,,,,,",
                "P1,0,visit,mrc_sum,,80,points,,,,,",
                "P1,0,assessment,grip_kpa,,50,kPa,,,,,",
                "P1,0,assessment,mrc_sum,left,80,points,,,,,",
                "P1,0,assessment,mrc_sum,,250,points,,,,,",
                "P1,-28,infusion,,,40,g,28,,Privigen,IV,",
                "P1,-56,infusion,,,40,g,28,70,Privigen,IM,",
            )
        )
    message = str(caught.value)
    assert "7 problem(s)" in message
    assert "line 2, column day: got 'x', expected a whole number" in message
    assert (
        "line 3, column kind: got 'visit', expected one of infusion, assessment, withdrawal"
        in message
    )
    assert "line 4, column side: got '', expected left or right for grip_kpa" in message
    assert "line 5, column side: got 'left', expected empty: mrc_sum has no sides" in message
    assert (
        "line 6, column value: mrc_sum: got 250.0 points, expected a value from 0 to 200" in message
    )
    assert "line 7, column weight_kg: got '', expected a finite number" in message
    assert "line 8, column infusion: route: got 'IM', expected 'IV' or 'SC'" in message


def test_a_bad_header_names_the_columns() -> None:
    with pytest.raises(HistoryError, match=r"unknown \['dose'\]"):
        parse_histories(["subject,day,kind,dose", "P1,0,infusion,40"])


def test_duplicates_and_double_withdrawals_are_refused() -> None:
    with pytest.raises(HistoryError) as caught:
        parse_histories(
            rows(
                "P1,0,assessment,mrc_sum,,80,points,,,,,",
                "P1,0,assessment,mrc_sum,,81,points,,,,,",
                "P1,100,withdrawal,,,,,,,,,consent",
                "P1,120,withdrawal,,,,,,,,,again",
            )
        )
    assert "line 3, column measure: mrc_sum recorded twice on the same day" in str(caught.value)
    assert "line 5, column kind: subject P1 withdraws twice" in str(caught.value)


def test_missing_and_empty_files() -> None:
    with pytest.raises(HistoryError, match="no such file"):
        read_histories("/nonexistent/history.csv")
    with pytest.raises(HistoryError, match="no rows"):
        parse_histories([HEADER])


def test_two_infusions_on_one_day_are_refused_naming_both_lines() -> None:
    # Replayed, 40 g and 120 g on day -28 averaged into a 66.7 g baseline nobody gave.
    with pytest.raises(HistoryError) as caught:
        parse_histories(
            rows(
                "P1,-56,infusion,,,40,g,28,70,Privigen,IV,",
                "P1,-28,infusion,,,40,g,28,70,Privigen,IV,",
                "P1,-28,infusion,,,120,g,28,70,Privigen,IV,",
            )
        )
    assert (
        "line 4, column day: subject P1 has a second infusion on day -28 (the first is on "
        "line 3), expected one infusion per day" in str(caught.value)
    )


def test_a_row_with_more_fields_than_the_header_is_refused_not_cut() -> None:
    with pytest.raises(HistoryError) as caught:
        parse_histories(rows("P1,-28,infusion,,,40,g,28,70,Privigen,IV,,120,extra"))
    assert "line 2, column 13: got 2 field(s) beyond the header's 12 (['120', 'extra'])" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("P1,100000000000,infusion,,,40,g,28,70,Privigen,IV,", "column day: got '100000000000'"),
        ("P1,-4000,infusion,,,40,g,28,70,Privigen,IV,", "from -3653 to 3653"),
        ("P1,-28,infusion,,,inf,g,28,70,Privigen,IV,", "value: got 'inf', expected a finite"),
        ("P1,-28,infusion,,,40,g,28,nan,Privigen,IV,", "column weight_kg: got 'nan'"),
        ("P1,-28,infusion,,,40,g,28,-70,Privigen,IV,", "weight_kg: got -70.0, expected a weight"),
        ('"P1\x1b[31m",-28,infusion,,,40,g,28,70,Privigen,IV,', r"subject: got 'P1\x1b[31m'"),
        ('"P1\nP2",-28,infusion,,,40,g,28,70,Privigen,IV,', "a control character at position 2"),
    ],
)
def test_nonsense_values_are_refused_with_line_and_column(line: str, expected: str) -> None:
    with pytest.raises(HistoryError) as caught:
        parse_histories([HEADER, line])
    assert expected in str(caught.value)


def test_an_empty_a_latin_1_and_an_oversized_file_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(HistoryError, match=r"header got \[\], expected the columns"):
        read_histories(empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(f"{HEADER}\nP1,0,withdrawal,,,,,,,,,ren\xe9e\n".encode("latin-1"))
    with pytest.raises(HistoryError, match=r"got byte 0xe9 at offset \d+, expected UTF-8"):
        read_histories(latin)
    monkeypatch.setattr(history_csv, "MAX_HISTORY_BYTES", 10)
    with pytest.raises(HistoryError, match=r"expected a file of at most 10 bytes"):
        read_histories(latin)

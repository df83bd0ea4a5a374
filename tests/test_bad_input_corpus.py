"""A corpus of bad inputs for every command: each ends in exit code 2, a message naming
the field, and no traceback (issue 12).

The commands run in this process through :func:`mmntrial.cli.app.main`, the function
behind ``mmntrial``, so that the translation of errors into exit codes is what is
tested. Each case names the command line (``{tmp}`` is the folder of the corpus files)
and the words the message must hold; the files are built once, from the shipped
examples and a small valid dataset, each broken in one way.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from mmntrial.cli.app import COMMANDS
from mmntrial.dataset.io import Format, write_dataset
from mmntrial.inputs import MAX_TOML_BYTES
from tests.cli.running import run_main
from tests.dataset.factory import make_dataset

EXAMPLE = resources.files("mmntrial.examples").joinpath("piepers-2007-histories.csv")
PIEPERS = resources.files("mmntrial.protocol").joinpath("builtin/piepers-2007.toml")
HEADER = "subject,day,kind,measure,side,value,unit,interval_days,weight_kg,product,route,note"
INFUSION = "P1,{day},infusion,,,{dose},g,28,{weight},Privigen,IV,"
DEEP = "x = " + "[" * 5000 + "]" * 5000 + "\n"


def _history(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def _protocol(old: str, new: str) -> str:
    text = PIEPERS.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


# name -> the text (or bytes) of a corpus file
TEXT_FILES: dict[str, str | bytes] = {
    "deep.toml": DEEP,
    "big.toml": b"#" * (MAX_TOML_BYTES + 1),
    "dose.toml": _protocol("dose_mg = 500", "dose_mg = 1e308"),
    "inf-dose.toml": _protocol("dose_mg = 500", "dose_mg = inf"),
    "late.toml": _protocol("start_day = 91", "start_day = 100000000000"),
    "escape-label.toml": _protocol(
        'label = "Placebo + IVIg"', 'label = "Placebo \\u001b[31m+ IVIg"'
    ),
    "sweep-5.toml": "sweep = 5\n",
    "grid-5.toml": "grid = 5\n",
    "protocol-5.toml": "[sweep]\nprotocol = 5\n[grid]\neffect = [0, 0.5]\n",
    "grid-huge.toml": "[grid]\neffect = [" + ", ".join(["0.1"] * 100) + "]\n"
    "n_per_arm = [" + ", ".join(str(n) for n in range(2, 22)) + "]\n",
    "two-infusions.csv": _history(
        INFUSION.format(day=-56, dose=40, weight=70),
        INFUSION.format(day=-28, dose=40, weight=70),
        INFUSION.format(day=-28, dose=120, weight=70),
    ),
    "extra-fields.csv": _history(INFUSION.format(day=-28, dose=40, weight=70) + ",120,x"),
    "far-day.csv": _history(INFUSION.format(day=100_000_000_000, dose=40, weight=70)),
    "negative-weight.csv": _history(INFUSION.format(day=-28, dose=40, weight=-70)),
    "infinite-dose.csv": _history(INFUSION.format(day=-28, dose="inf", weight=70)),
    "escape-subject.csv": _history("P1\x1b[2J" + INFUSION.format(day=-28, dose=40, weight=70)[2:]),
    "latin-1.csv": _history("P1,0,withdrawal,,,,,,,,,ren\xe9e").encode("latin-1"),
    "empty.csv": b"",
    "old-result.json": '{"n_trials": 5, "rejection_rate": 0.8}',
}


def _break_dataset(root: Path) -> None:
    """One dataset folder per way of breaking a table file or its values."""
    write_dataset(make_dataset(), root / "csv-good", "csv")

    def broken(name: str, fmt: Format, edit: Callable[[Path], object]) -> None:
        edit(write_dataset(make_dataset(), root / name, fmt))

    def rewrite(folder: Path, table: str, change: Callable[[list[str]], list[str]]) -> None:
        path = folder / f"{table}.csv"
        lines = change(path.read_text(encoding="utf-8").splitlines())
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def truncate(folder: Path) -> None:
        path = folder / "subjects.parquet"
        path.write_bytes(path.read_bytes()[:99])

    def latin_1(folder: Path) -> None:
        path = folder / "conmeds.csv"
        text = path.read_text(encoding="utf-8").replace("\n", ",\xe9\n", 1)
        path.write_bytes(text.encode("latin-1"))

    def negative_weight(lines: list[str]) -> list[str]:
        assert ",70.0," in lines[1]
        return [lines[0], lines[1].replace(",70.0,", ",-70.0,", 1), *lines[2:]]

    broken("parquet-garbage", "parquet", lambda f: (f / "labs.parquet").write_bytes(b"PAR1x"))
    broken("parquet-truncated", "parquet", truncate)
    broken("csv-empty", "csv", lambda f: (f / "labs.csv").write_bytes(b""))
    broken("csv-latin-1", "csv", latin_1)
    broken(
        "csv-extra-field",
        "csv",
        lambda f: rewrite(f, "dispositions", lambda ls: [ls[0], ls[1] + ",surplus", *ls[2:]]),
    )
    broken("csv-weight", "csv", lambda f: rewrite(f, "subjects", negative_weight))
    broken(
        "csv-duplicate-infusion", "csv", lambda f: rewrite(f, "infusions", lambda ls: [*ls, ls[-1]])
    )


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for name, content in TEXT_FILES.items():
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    _break_dataset(root)
    code, output = run_main(
        ["randomize", "generate", "--protocol", "piepers-2007", "--strata", "centre=AMC,UMCU",
         "--size", "4", "--seed", "1", "--out", str(root / "list.json")]
    )  # fmt: skip
    assert code == 0, output
    return root


# (id, command line, words the message must hold)
CASES: list[tuple[str, str, tuple[str, ...]]] = [
    # simulate
    ("simulate-trials-1e12", "simulate --trials 1000000000000", ("--trials", "1,000,000")),
    ("simulate-n-per-arm-1e8", "simulate --n-per-arm 100000000", ("--n-per-arm", "1,000")),
    ("simulate-effect-nan", "simulate --effect nan", ("--effect", "[0, 1)")),
    ("simulate-repeated", "simulate --seed 1 --seed 2", ("--seed", "'1'", "'2'")),
    ("simulate-deep-protocol", "simulate --protocol {tmp}/deep.toml", ("PROTO-E002",)),
    ("simulate-big-protocol", "simulate --protocol {tmp}/big.toml", ("PROTO-E003", "1 MiB")),
    ("simulate-deep-population", "simulate --population {tmp}/deep.toml", ("POP-E002",)),
    ("simulate-dose-1e308", "simulate --protocol {tmp}/dose.toml", ("dose_mg", "1e+308")),
    ("simulate-workers-1e5", "simulate --trials 1 --workers 100000", ("workers", "per CPU")),
    ("simulate-scheduler-garbage", "simulate --trials 1 --scheduler garbage://x",
     ("scheduler: got 'garbage://x'",)),
    # sweep
    ("sweep-5", "sweep {tmp}/sweep-5.toml --out {tmp}/o", ("sweep: got 5",)),
    ("sweep-grid-5", "sweep {tmp}/grid-5.toml --out {tmp}/o", ("grid: got 5",)),
    ("sweep-protocol-5", "sweep {tmp}/protocol-5.toml --out {tmp}/o", ("sweep.protocol",)),
    ("sweep-deep", "sweep {tmp}/deep.toml --out {tmp}/o", ("nested too deeply",)),
    ("sweep-huge-grid", "sweep {tmp}/grid-huge.toml --out {tmp}/o", ("2,000 design points",)),
    ("sweep-n-per-arm-1e8", "sweep --out {tmp}/o --n-per-arm 14,100000000", ("n_per_arm",)),
    ("sweep-trials-1e12", "sweep --out {tmp}/o --trials 1000000000000", ("--trials",)),
    ("sweep-set-twice", "sweep --out {tmp}/o --set a=1 --set a=2", ("--set", "a twice")),
    ("sweep-set-and-taper-step", "sweep --out {tmp}/o --taper-step 25 "
     "--set taper.step_percent=50", ("--set", "taper.step_percent")),
    ("sweep-threshold-twice", "sweep --out {tmp}/o --threshold grip_kpa=8 "
     "--threshold grip_kpa=12", ("--threshold", "grip_kpa twice")),
    # reproduce
    ("reproduce-no-provenance", "reproduce {tmp}/old-result.json",
     ("provenance: got nothing", "simulate --json")),
    ("reproduce-not-a-result", "reproduce {tmp}/deep.toml", ("FILE", "deep.toml", ".json")),
    # analyze
    ("analyze-parquet-garbage", "analyze {tmp}/parquet-garbage", ("labs", "not readable Parquet")),
    ("analyze-parquet-truncated", "analyze {tmp}/parquet-truncated", ("subjects", "Parquet")),
    ("analyze-csv-empty", "analyze {tmp}/csv-empty", ("labs.csv", "empty file")),
    ("analyze-csv-latin-1", "analyze {tmp}/csv-latin-1", ("conmeds.csv", "UTF-8")),
    ("analyze-csv-extra-field", "analyze {tmp}/csv-extra-field", ("dispositions.csv line 2",)),
    ("analyze-weight", "analyze {tmp}/csv-weight", ("weight_kg: got -70.0", "20 to 300")),
    ("analyze-duplicate-infusion", "analyze {tmp}/csv-duplicate-infusion",
     ("infusions.csv", "an infusion again")),
    ("analyze-repeated", "analyze {tmp}/csv-good --out a --out b", ("--out", "'a'", "'b'")),
    ("analyze-pdf-both-ways", "analyze {tmp}/csv-good --pdf --no-pdf", ("--pdf/--no-pdf",)),
    ("analyze-protocol-mismatch", "analyze {tmp}/csv-good --protocol cidp-levels",
     ("--protocol: got protocol 'cidp-levels'", "names protocol 'piepers-2007'")),
    # dsmb
    ("dsmb-csv-empty", "dsmb {tmp}/csv-empty --out {tmp}/d", ("labs.csv", "empty file")),
    ("dsmb-repeated", "dsmb {tmp}/csv-good --out a --out b", ("--out", "'a'", "'b'")),
    ("dsmb-protocol-mismatch", "dsmb {tmp}/csv-good --out {tmp}/d --protocol cidp-levels",
     ("--protocol: got protocol 'cidp-levels'", "names protocol 'piepers-2007'")),
    # demo
    ("demo-repeated", "demo --out a --out b", ("--out", "'a'", "'b'")),
    # protocol
    ("protocol-check-deep", "protocol check {tmp}/deep.toml", ("PROTO-E002",)),
    ("protocol-check-big", "protocol check {tmp}/big.toml", ("PROTO-E003", "1,048,576")),
    ("protocol-check-dose", "protocol check {tmp}/dose.toml", ("dose_mg", "10000")),
    ("protocol-check-inf-dose", "protocol check {tmp}/inf-dose.toml", ("dose_mg", "finite")),
    ("protocol-check-late", "protocol check {tmp}/late.toml", ("taper.start_day", "3653")),
    ("protocol-check-escape-label", "protocol check {tmp}/escape-label.toml",
     ("arms[1].label", "printable")),
    ("protocol-show-deep", "protocol show {tmp}/deep.toml", ("PROTO-E002",)),
    ("protocol-list-argument", "protocol list piepers-2007", ("piepers-2007",)),
    # engine
    ("replay-two-infusions", "engine replay {tmp}/two-infusions.csv",
     ("line 4", "second infusion on day -28", "line 3")),
    ("replay-extra-fields", "engine replay {tmp}/extra-fields.csv",
     ("line 2", "beyond the header")),
    ("replay-far-day", "engine replay {tmp}/far-day.csv", ("column day", "3653")),
    ("replay-negative-weight", "engine replay {tmp}/negative-weight.csv", ("weight_kg", "-70")),
    ("replay-infinite-dose", "engine replay {tmp}/infinite-dose.csv", ("column value", "finite")),
    ("replay-escape-subject", "engine replay {tmp}/escape-subject.csv",
     ("column subject", "control character")),
    ("replay-latin-1", "engine replay {tmp}/latin-1.csv", ("0xe9", "UTF-8")),
    ("replay-empty", "engine replay {tmp}/empty.csv", ("header",)),
    ("replay-missing", "engine replay {tmp}/missing.csv", ("no such file",)),
    ("replay-deep-protocol", "engine replay {tmp}/two-infusions.csv -p {tmp}/deep.toml",
     ("PROTO-E002",)),
    ("replay-repeated", "engine replay {tmp}/two-infusions.csv -p a --protocol b",
     ("--protocol", "'a'", "'b'")),
    # randomize
    ("generate-strata-twice", "randomize generate --protocol piepers-2007 --strata "
     "centre=AMC --strata centre=UMCU --size 4 --out {tmp}/l2.json", ("--strata", "centre")),
    ("generate-repeated", "randomize generate --protocol piepers-2007 --size 4 --size 5 "
     "--out {tmp}/l3.json", ("--size", "'4'", "'5'")),
    ("allocate-stratum-twice", "randomize allocate S1 --db {tmp}/ledger.db --list "
     "{tmp}/list.json --by nurse --stratum centre=AMC --stratum centre=UMCU",
     ("--stratum", "centre='AMC'", "centre=UMCU")),
    ("allocate-db-twice", "randomize allocate S1 --db {tmp}/a.db --db {tmp}/b.db --list "
     "{tmp}/list.json --by nurse --stratum centre=AMC", ("--db", "a.db", "b.db")),
    ("verify-not-json", "randomize verify {tmp}/deep.toml", ("list",)),
    ("extend-repeated", "randomize extend {tmp}/list.json --size 5 --size 6 --out {tmp}/l4.json",
     ("--size", "'5'", "'6'")),
    ("assess-repeated", "randomize assess --method blocks --seed 1 --seed 2", ("--seed",)),
    ("assess-huge-trial", "randomize assess --method blocks --block-sizes 2,4 "
     "--subjects 100000000", ("subjects", "100000000", "100000")),
    ("assess-huge-run", "randomize assess --method blocks --block-sizes 2,4 "
     "--simulations 100000000", ("simulations", "100000000", "10,000,000")),
    ("reveal-reason-twice", "randomize reveal S1 --db {tmp}/ledger.db --list {tmp}/list.json "
     "--by dsmb --reason a --reason b", ("--reason", "'a'", "'b'")),
    ("init-missing-list", "randomize init --db {tmp}/init.db --list {tmp}/missing.json",
     ("list", "missing.json")),
    ("head-missing-folder", "randomize head --db {tmp}/nowhere/ledger.db",
     ("database", "does not exist")),
    ("audit-bad-head", "randomize audit --db {tmp}/ledger.db --head 3:abc", ("--head", "'3:abc'")),
    ("unblindings-not-sqlite", "randomize unblindings --db {tmp}/list.json",
     ("database", "not a SQLite database")),
    ("sweep-repeated-value", "sweep --out {tmp}/sweep-twice --n-per-arm 14,14",
     ("grid axis n_per_arm", "got 14 more than once", "each value once")),
    # the capture app
    ("study-init-site-twice", "study init --protocol piepers-2007 --db {tmp}/s.db --site AMC,AMC "
     "--admin a", ("--site", "'AMC,AMC'", "each site code once")),
    ("study-list-missing-slots", "study list --db {tmp}/missing.db --slots {tmp}/none.json",
     ("list", "none.json", "readable")),
    ("study-vials-zero-size", "study vials --db {tmp}/missing.db --site AMC --sizes 5,0 "
     "--tolerance 5", ("--sizes", "vial_sizes_g", "got 0")),
    ("study-vials-size-twice", "study vials --db {tmp}/missing.db --site AMC --sizes 5,5 "
     "--tolerance 5", ("--sizes", "'5,5'", "given twice")),
    ("study-export-bad-format", "study export --db {tmp}/missing.db --key {tmp}/list.json "
     "--out {tmp}/ds --format xlsx", ("--format", "'xlsx'", "parquet, csv")),
    ("study-odm-not-xml", "study odm --db {tmp}/missing.db --out {tmp}/study.txt",
     ("--out", "study.txt", ".xml")),
    ("db-upgrade-missing", "db upgrade --db {tmp}/missing.db",
     ("database", "missing.db", "does not exist")),
    ("users-add-bad-role", "users add --db {tmp}/missing.db --user u --role boss",
     ("role", "'boss'", "study_nurse")),
    ("users-revoke-missing-db", "users revoke --db {tmp}/missing.db --user u --role monitor "
     "--reason left", ("database", "does not exist", "study database")),
    ("users-retire-missing-db", "users retire --db {tmp}/missing.db --user u --reason left",
     ("database", "does not exist")),
    ("audit-verify-bad-head", "audit verify --db {tmp}/missing.db --head 3:abc",
     ("--head", "'3:abc'")),
    ("audit-export-not-csv", "audit export --db {tmp}/missing.db --out {tmp}/a.txt",
     ("--out", "a.txt", ".csv")),
    ("serve-public-host", "serve --db {tmp}/missing.db --host 0.0.0.0",
     ("--host", "'0.0.0.0'", "TLS reverse proxy")),
    ("serve-missing-key", "serve --db {tmp}/missing.db --key {tmp}/none.json",
     ("list", "none.json", "readable")),
    # size
    ("size-effect-out-of-range", "size --effect 1.5", ("--effect", "1.5", "(0, 1)")),
    ("size-repeated", "size --effect 0.5 --effect 0.6", ("--effect", "'0.5'", "'0.6'")),
    ("size-huge-n", "size --effect 0.5 --max-n 100000", ("--max-n", "100000", "2-1000")),
    # frontier
    ("frontier-effect-out-of-range", "frontier --effect 0", ("--effect", "0", "(0, 1)")),
    ("frontier-sets-n", "frontier --effect 0.5 --set n_per_arm=14,28",
     ("design axis n_per_arm", "14", "the size search chooses n per arm")),
    ("frontier-protocol-twice", "frontier --effect 0.5 --protocol piepers-2007,piepers-2007",
     ("--protocol", "piepers-2007", "each protocol once")),
    ("frontier-too-many",
     "frontier --effect 0.5 --taper-step " + ",".join(map(str, range(5, 89, 4))),
     ("designs", "got 21", "at most 20")),
    ("frontier-unknown-protocol", "frontier --effect 0.5 --protocol piepers-2007,nope",
     ("nope",)),
    # design-report
    ("design-effect-out-of-range", "design-report --out {tmp}/dr --effects 0,2",
     ("--effects", "2", "[0, 1)")),
    ("design-effect-twice", "design-report --out {tmp}/dr --effects 0.5,0.5",
     ("--effects", "each effect once")),
    ("design-huge-trials", "design-report --out {tmp}/dr --trials 10000000",
     ("--trials", "10000000")),
    ("design-out-is-a-file", "design-report --out {tmp}/list.json", ("--out", "list.json")),
]  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_input_exits_2_naming_the_field(
    tmp: Path, args: str, expected: tuple[str, ...]
) -> None:
    code, output = run_main(args.format(tmp=tmp).split())
    assert code == 2, output
    assert "Traceback" not in output
    for words in expected:
        assert words in output, output


def _leaf_commands() -> set[str]:
    """``simulate``, ``protocol check`` ...: every command a user can run."""
    names = set()
    for spec in COMMANDS:
        command = spec.load()
        subcommands = getattr(command, "commands", {})
        names |= {f"{spec.name} {sub}" for sub in subcommands} if subcommands else {spec.name}
    return names


def test_every_command_is_in_the_corpus() -> None:
    leaves = _leaf_commands()
    covered = {
        next(name for name in (" ".join(args.split()[:2]), args.split()[0]) if name in leaves)
        for _, args, _ in CASES
    }
    assert covered == leaves


def test_a_label_with_dollar_signs_passes_check_and_is_drawn(tmp_path: Path) -> None:
    # Protocol check accepts only what the report can draw: "$...$" is drawn as text.
    path = tmp_path / "tex.toml"
    path.write_text(_protocol('label = "Placebo + IVIg"', 'label = "Placebo $\\\\foo$"'))
    code, output = run_main(["protocol", "check", str(path)])
    assert code == 0, output


def test_a_control_character_in_a_message_is_shown_escaped(tmp: Path) -> None:
    # The path is quoted raw in the message: an ANSI escape there would clear the screen.
    code, output = run_main(["engine", "replay", f"{tmp}/a\x1b[2Jb.csv"])
    assert code == 2, output
    assert "a\\x1b[2Jb.csv: no such file" in output
    assert "\x1b" not in output

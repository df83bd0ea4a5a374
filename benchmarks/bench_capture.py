"""How fast does the capture app save a form under load? Prints figures; asserts nothing.

For SQLite (a file) and PostgreSQL (a cluster on loopback, started as the tests start
theirs, tests/storage/postgres.py, but with fsync on: these are durable commits), the
script starts a real `mmntrial serve`, signs in ``--clients`` sessions of a study nurse
and has each save ``--saves`` screenings through the screening form, one after another,
all clients at once. Each round prints:

- the p50 and p95 latency of a form save (POST to the answer's redirect, 303);
- saves per second over the round;
- the database's raw durable-commit rate in the same run: a loop of single-row INSERT
  + COMMIT through the same engine and the same write transaction the app uses
  (:func:`mmntrial.storage.engine.write_transaction`: on SQLite WAL with
  ``synchronous=FULL``, ``BEGIN IMMEDIATE`` and the lock file; on PostgreSQL the
  advisory lock), into a scratch database beside the study's;

and the medians over the rounds, with the ratio of the median saves/s to the median raw
commits/s: how much of what the database could commit the app delivers as saves.
Everything shares the machine's cores (client, server and database): other processes
lengthen every figure.

Run: ``uv run --frozen python benchmarks/bench_capture.py [--clients 20] [--saves 10]
[--rounds 3] [--commits 200] [--engine sqlite --engine postgresql]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 20
SAVES = 10
ROUNDS = 3
COMMITS = 200
ENGINES = ("sqlite", "postgresql")
NURSE = "nina"
PASSWORD = "a benchmark passphrase"
SITE = "AMC"


@dataclass(frozen=True)
class Round:
    """One round's figures."""

    p50_ms: float
    p95_ms: float
    saves_per_s: float
    commits_per_s: float

    @property
    def ratio(self) -> float:
        """Saves per second as a share of raw durable commits per second."""
        return self.saves_per_s / self.commits_per_s


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (linear between order statistics).

    >>> percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5)
    3.0
    >>> round(percentile([float(v) for v in range(1, 101)], 0.95), 2)
    95.05
    """
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


async def _save_round(base: str, clients: int, saves: int, first: int) -> tuple[list[float], float]:
    """Latencies (s) of ``clients`` x ``saves`` form saves, and the round's wall seconds."""
    from tests.capture.server import client, sign_in

    sessions = [client(base) for _ in range(clients)]
    today = datetime.now(UTC).date().isoformat()
    latencies: list[float] = []
    path = f"/sites/{SITE}/screening"
    try:
        tokens = await asyncio.gather(*(sign_in(s, NURSE, PASSWORD) for s in sessions))

        async def one_client(number: int) -> None:
            for save in range(saves):
                form = {
                    "screening_id": f"B{first + number * saves + save:07d}",
                    "screened_on": today,
                    "outcome": "enrolled",
                    "consent_version": "v2.1",
                    "consent_date": today,
                    "csrf_token": tokens[number],
                }
                start = time.perf_counter()
                answer = await sessions[number].post(path, data=form)
                latencies.append(time.perf_counter() - start)
                if answer.status_code != 303 or answer.headers.get("location") != path:
                    raise SystemExit(f"a save was not acknowledged: {answer.status_code}")

        start = time.perf_counter()
        await asyncio.gather(*(one_client(n) for n in range(clients)))
        wall = time.perf_counter() - start
    finally:
        await asyncio.gather(*(s.aclose() for s in sessions))
    return latencies, wall


def _commit_rate(target: str | Path, commits: int) -> float:
    """Single-row INSERT + COMMIT per second through the app's engine and write transaction."""
    from sqlalchemy import Column, Integer, MetaData, Table, Text, insert

    from mmntrial.storage.engine import make_engine, write_transaction
    from mmntrial.storage.target import database_url

    scratch = Table(
        "bench_commits",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("note", Text, nullable=False),
    )
    engine = make_engine(database_url(target))
    try:
        with write_transaction(engine) as conn:  # any other transaction is read-only
            scratch.create(conn, checkfirst=True)
        start = time.perf_counter()
        for number in range(commits):
            with write_transaction(engine) as conn:
                conn.execute(insert(scratch).values(note=f"commit {number}"))
        return commits / (time.perf_counter() - start)
    finally:
        engine.dispose()


@contextmanager
def _databases(engine: str, home: Path) -> Iterator[tuple[str | Path, str | Path]]:
    """A study database and a scratch database on ``engine``."""
    if engine == "sqlite":
        yield home / "study.db", home / "scratch.db"
        return
    from tests.storage.postgres import cluster, fresh_database

    with (
        cluster(durable=True) as server,
        fresh_database(server, "bench_study") as study,
        fresh_database(server, "bench_scratch") as scratch,
    ):
        yield study, scratch


def _study(target: str | Path) -> None:
    from mmntrial.capture import accounts
    from mmntrial.capture.study import init_study
    from mmntrial.storage import Database

    with Database.open(target) as db, db.write() as conn:
        init_study(conn, "piepers-2007", [SITE], "alice", PASSWORD)
        accounts.add_user(conn, NURSE, PASSWORD, "benchmark")
        accounts.grant(conn, NURSE, "study_nurse", SITE, "benchmark")


def measure(engine: str, clients: int, saves: int, rounds: int, commits: int) -> list[Round]:
    """The figures of ``rounds`` rounds on ``engine``."""
    from tests.capture.server import serving

    results = []
    with tempfile.TemporaryDirectory(prefix="mmntrial-bench-") as folder:
        home = Path(folder)
        with _databases(engine, home) as (study, scratch):
            _study(study)
            with serving(study, home / "serve.log") as served:
                for number in range(rounds):
                    first = number * clients * saves
                    latencies, wall = asyncio.run(_save_round(served.base, clients, saves, first))
                    rate = _commit_rate(scratch, commits)
                    results.append(
                        Round(
                            1000 * percentile(latencies, 0.5),
                            1000 * percentile(latencies, 0.95),
                            len(latencies) / wall,
                            rate,
                        )
                    )
                    _print_round(engine, number + 1, results[-1])
    return results


def _print_round(engine: str, number: int | str, figures: Round) -> None:
    print(
        f"{engine:<10} {number!s:>6} {figures.p50_ms:>9.1f} {figures.p95_ms:>9.1f} "
        f"{figures.saves_per_s:>8.1f} {figures.commits_per_s:>10.1f} {figures.ratio:>7.2f}",
        flush=True,
    )


def _median(rounds: list[Round], field: Callable[[Round], float]) -> float:
    return statistics.median(field(r) for r in rounds)


def main() -> None:
    """Measure each engine and print each round and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent sessions")
    parser.add_argument("--saves", type=int, default=SAVES, help="saves per client per round")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds per engine")
    parser.add_argument("--commits", type=int, default=COMMITS, help="raw commits per round")
    parser.add_argument("--engine", action="append", choices=ENGINES, help="default: both")
    options = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the tests' server and PostgreSQL helpers
    # The tests' helpers import FastAPI's TestClient, which warns about httpx; pytest
    # silences the same notice (pyproject.toml).
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    print(
        f"{options.clients} clients x {options.saves} form saves per round, "
        f"{options.commits} raw commits per round"
    )
    print(f"{'engine':<10} {'round':>6} {'p50 ms':>9} {'p95 ms':>9} {'saves/s':>8} "
          f"{'commits/s':>10} {'ratio':>7}")  # fmt: skip
    for engine in options.engine or ENGINES:
        rounds = measure(engine, options.clients, options.saves, options.rounds, options.commits)
        median = Round(
            _median(rounds, lambda r: r.p50_ms),
            _median(rounds, lambda r: r.p95_ms),
            _median(rounds, lambda r: r.saves_per_s),
            _median(rounds, lambda r: r.commits_per_s),
        )
        _print_round(engine, "median", median)


if __name__ == "__main__":
    main()

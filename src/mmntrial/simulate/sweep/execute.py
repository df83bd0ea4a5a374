"""Run design points as chunks of trials, in this process or on a Dask cluster.

The unit of work is one chunk: ``chunk_trials`` trials of one design point. Chunk ``c``
of every design point always gets the same seed (``seed``, ``c``) and the same trials,
so the results do not depend on how many workers there are, which worker ran which
chunk, or the order they finished in. Every design point uses the same seed (common
random numbers), so differences between designs are not blurred by different draws.

With Dask, ``workers=K`` starts a local cluster of K single-threaded processes on
127.0.0.1; ``scheduler=ADDRESS`` uses a cluster someone else started.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mmntrial.errors import SimulationError
from mmntrial.simulate.population.loader import Population
from mmntrial.simulate.sweep.grid import DesignPoint

# More worker processes than this per core only thrash; a typo (--workers 10000) would
# start thousands of processes.
MAX_WORKERS_PER_CPU = 4


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of one design point: everything a worker needs, and nothing else."""

    point: DesignPoint
    population: Population
    seed: int
    chunk_index: int
    n_trials: int
    chunk_trials: int  # the full chunk size, which numbers the trials of the last chunk


def chunk_sizes(n_trials: int, chunk_trials: int) -> list[int]:
    """Trials per chunk: full chunks of ``chunk_trials``, the last one smaller.

    >>> chunk_sizes(1050, 500)
    [500, 500, 50]
    """
    if n_trials < 1:
        raise SimulationError(f"trials: got {n_trials}, expected at least 1")
    if chunk_trials < 1:
        raise SimulationError(f"chunk_trials: got {chunk_trials}, expected at least 1")
    full, rest = divmod(n_trials, chunk_trials)
    return [chunk_trials] * full + ([rest] if rest else [])


def plan_tasks(
    points: Sequence[DesignPoint],
    population: Population,
    *,
    trials: int,
    seed: int,
    chunk_trials: int,
) -> list[ChunkTask]:
    """Every (design point, chunk) task, in a fixed order."""
    sizes = chunk_sizes(trials, chunk_trials)
    return [
        ChunkTask(point, population, seed, chunk_index, size, chunk_trials)
        for point in points
        for chunk_index, size in enumerate(sizes)
    ]


def run_task(task: ChunkTask) -> pd.DataFrame:
    """Simulate one chunk; rows carry the design point and chunk so they can be merged."""
    from mmntrial.simulate.trials.runner import run_chunk

    frame = run_chunk(
        task.point.protocol,
        task.population,
        effect=task.point.effect,
        seed=task.seed,
        chunk_index=task.chunk_index,
        n_trials_in_chunk=task.n_trials,
        n_per_arm=task.point.n_per_arm,
        chunk_trials=task.chunk_trials,
    )
    frame.insert(0, "point", task.point.index)
    return frame


def _merge(frames: list[pd.DataFrame]) -> pd.DataFrame:
    # Sorting by (point, trial) makes the result independent of completion order.
    merged = pd.concat(frames, ignore_index=True)
    return merged.sort_values(["point", "trial"], kind="stable").reset_index(drop=True)


def run_local(
    tasks: Sequence[ChunkTask], progress: Callable[[int], None] | None = None
) -> pd.DataFrame:
    """Run every task in this process, one after another."""
    frames = []
    for task in tasks:
        frames.append(run_task(task))
        if progress is not None:
            progress(task.n_trials)
    return _merge(frames)


def run_on_client(
    client: Any, tasks: Sequence[ChunkTask], progress: Callable[[int], None] | None = None
) -> pd.DataFrame:
    """Run every task on a Dask ``distributed.Client``; same result as :func:`run_local`."""
    from distributed import as_completed

    futures = client.map(run_task, list(tasks), pure=False)
    sizes = {future.key: task.n_trials for future, task in zip(futures, tasks, strict=True)}
    frames = []
    for future in as_completed(futures):
        frames.append(future.result())
        if progress is not None:
            progress(sizes[future.key])
    return _merge(frames)


@contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client: a new local cluster of ``workers`` processes, or an existing scheduler.

    The local cluster listens on 127.0.0.1 only, with no dashboard, and is closed on exit.
    """
    from distributed import Client, LocalCluster
    from distributed.comm.addressing import parse_address
    from distributed.comm.registry import get_backend

    if scheduler is not None and workers is not None:
        raise SimulationError("give --workers (start a local cluster) or --scheduler, not both")
    if scheduler is not None:
        try:
            # An address no transport can reach is refused before a Client exists: a
            # Client that fails half-built leaves a coroutine that warns when collected,
            # long after, wherever the garbage collector happens to run.
            get_backend(parse_address(scheduler)[0])
            client = Client(scheduler, timeout="10s")
        except (OSError, ValueError) as error:  # ValueError: not an address at all
            raise SimulationError(
                f"scheduler: got {scheduler!r}, could not connect ({error}); expected the "
                "address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786"
            ) from None
        with client:
            yield client
        return
    cap = MAX_WORKERS_PER_CPU * (os.cpu_count() or 1)
    if workers is None or not 1 <= workers <= cap:
        raise SimulationError(
            f"workers: got {workers!r}, expected 1 to {cap} ({MAX_WORKERS_PER_CPU} per CPU "
            "core of this machine: each worker is a process)"
        )
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


__all__ = [
    "ChunkTask",
    "chunk_sizes",
    "dask_client",
    "plan_tasks",
    "run_local",
    "run_on_client",
    "run_task",
]

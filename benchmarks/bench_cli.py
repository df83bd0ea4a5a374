"""How long does the command line take to answer? Prints figures; asserts nothing about time.

Each command runs as a fresh process, as a user starts it, RUNS times; the figures are
the median wall time, CPU time (user + system: what the process itself costs, less
changed by other processes than wall time) and peak memory (resident set) of those runs.
Compared with:

- ``python -c pass``: the interpreter alone, the floor;
- ``python -c "import mmntrial"``: the package's own import;
- every command module imported at once: what ``mmntrial --help`` cost while the command
  groups were registered eagerly.

The target of issue 10 is under 0.5 s for ``mmntrial --help`` and ``mmntrial protocol
check piepers-2007`` on an otherwise idle machine; other processes running at the same
time lengthen every figure (the ratios to ``python -c pass`` move less).

Run: ``uv run --frozen python benchmarks/bench_cli.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 7
TARGET_S = 0.5
EVERY_COMMAND_MODULE = (
    "import mmntrial.cli.analyze, mmntrial.cli.demo, mmntrial.cli.engine, "
    "mmntrial.cli.protocol, mmntrial.cli.randomize, mmntrial.cli.simulate"
)


def _mmntrial() -> list[str]:
    # The console script next to this interpreter, as installed; `python -m` otherwise.
    script = Path(sys.executable).with_name("mmntrial")
    if script.is_file():
        return [str(script)]
    found = shutil.which("mmntrial")
    return [found] if found else [sys.executable, "-m", "mmntrial"]


def run_once(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident memory (MB) of one run of ``argv``."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {process.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024  # Linux reports kilobytes


def measure(argv: list[str], runs: int) -> tuple[float, float, float]:
    """Median wall seconds, CPU seconds and peak memory (MB) over ``runs`` runs."""
    results = [run_once(argv) for _ in range(runs)]
    wall, cpu, mb = zip(*results, strict=True)
    return statistics.median(wall), statistics.median(cpu), statistics.median(mb)


def main() -> None:
    """Time each command and print a table with ratios to the bare interpreter."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per command")
    runs = parser.parse_args().runs
    mmntrial = _mmntrial()
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import mmntrial"': [sys.executable, "-c", "import mmntrial"],
        "mmntrial --help": [*mmntrial, "--help"],
        "mmntrial protocol check piepers-2007": [*mmntrial, "protocol", "check", "piepers-2007"],
        "every command module imported": [sys.executable, "-c", EVERY_COMMAND_MODULE],
    }
    _ = run_once(cases["every command module imported"])  # warm the disk and numba's cache
    print(f"median of {runs} runs each, fresh process per run; {os.cpu_count()} CPUs")
    print(f"{'command':<38} {'wall s':>7} {'x pass':>7} {'cpu s':>7} {'peak MB':>8}")
    floor = None
    for name, argv in cases.items():
        seconds, cpu, mb = measure(argv, runs)
        floor = floor or seconds
        print(f"{name:<38} {seconds:>7.3f} {seconds / floor:>7.1f} {cpu:>7.3f} {mb:>8.0f}")
    print(f"target for --help and protocol check: under {TARGET_S} s wall")


if __name__ == "__main__":
    main()

"""The simulator stays below the analysis: its workers never load statsmodels or lifelines."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Runs in a fresh interpreter: in the test process the analysis tests may already have
# imported statsmodels, which would hide an import that drags it in.
SCRIPT = """
import json, sys
from mmntrial.simulate.sweep import make_plan, run_sweep
from mmntrial.simulate.sweep.execute import dask_client

plan = make_plan(protocol="piepers-2007", population="mmn-default",
                 axes={"effect": [0.0, 0.5]}, trials=4, seed=3, chunk_trials=2)
run_sweep(plan).to_frame()
heavy = ("statsmodels", "lifelines", "mmntrial.analysis")

def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith(heavy))

with dask_client(workers=1) as client:
    run_sweep(plan, client=client)
    on_worker = client.run(loaded)
print(json.dumps({"here": loaded(), "workers": sorted(set().union(*on_worker.values()))}))
"""


@pytest.mark.slow
def test_a_simulation_imports_neither_statsmodels_nor_lifelines() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=600
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == {"here": [], "workers": []}

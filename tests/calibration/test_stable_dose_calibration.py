"""What virtual patients do when the IVIg dose is never lowered.

36 simulated trials (1,008 patients) of ``mmn-default`` under ``piepers-2007`` with its
taper replaced by a single level of 99.99% (:func:`mmntrial.protocol.variants.dose_held`,
loaded through the protocol loader): the engine runs every rule of the protocol, but
the dose it gives is the baseline dose, so every change in the simulated assessments is
noise or disease. Effect 0. Two facts are checked on its dataset, each printed with its
target and source (``pytest -s tests/calibration``):

- False alarms: on an unchanged adequate dose at most 5% of patients should be confirmed
  deteriorated within the 12 weeks after the taper start under the protocol's own
  criteria (MRC sum >= 2 [S42], grip >= 8 kPa [S25, S42], GNDS >= 1 [S43]). 5% is the
  issue's target (issue 11): an alarm that fires in more than one patient in 20 on a
  dose that is not being reduced cannot tell a taper failure from noise.
- Progression [S7]: MRC sum falls by 0.6-1.7 points per year on stable maintenance. The
  decline is MEASURED: a least-squares slope per patient of the recorded (noisy, rounded)
  MRC sums of the scheduled visits on study day, for patients who stayed the whole year
  and whose dose was never changed; the mean and median slope must be in the range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from mmntrial.engine import core
from mmntrial.engine.rules import compile_rules
from mmntrial.protocol.model import Protocol
from mmntrial.protocol.variants import dose_held
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.course import run_course
from mmntrial.simulate.trials.runner import draw_chunk
from mmntrial.units import Floats, Ints

POP = load_population("mmn-default")
N_TRIALS = 36  # of 14 + 14: 1,008 patients
SEED = 2026
WINDOW_DAYS = 84  # 12 weeks
FALSE_ALARM_TARGET = 0.05  # issue 11
MRC_TARGET_POINTS_PER_YEAR = (0.6, 1.7)  # [S7]


@dataclass
class _Watch:
    """The few things the course reports that these tests read (a light Recorder)."""

    n: int
    mrc: list[tuple[Ints, Floats, Floats]] = field(default_factory=list)  # scheduled visits
    confirmed: list[tuple[Ints, Floats, np.ndarray]] = field(default_factory=list)
    lowest_dose_g: Floats = field(init=False)

    def __post_init__(self) -> None:
        self.lowest_dose_g = np.full(self.n, np.inf)

    def assessment(
        self, rows: Ints, day: Floats, visit: Ints, values: dict[str, Floats], exogenous: Floats
    ) -> None:
        scheduled = rows[visit[rows] >= 0]
        self.mrc.append((scheduled, day[scheduled], values["mrc_sum"][scheduled]))

    def infusion(self, rows: Ints, day: Floats, decision: core.Decision) -> None:
        self.lowest_dose_g[rows] = np.minimum(self.lowest_dose_g[rows], decision.dose_g[rows])

    def engine_change(self, day: Floats, before: core.EngineState, after: core.EngineState) -> None:
        rows = np.flatnonzero(after.deteriorations > before.deteriorations)
        # The criteria that fired, as the dataset's recorder reads them (one_trial.py).
        today = (after.evaluation_day[rows] == day[rows])[:, None]
        fired = np.where(today, after.evaluation.fired[rows], False)
        fired = np.where(fired.any(axis=1)[:, None], fired, before.pending_fired[rows])
        self.confirmed.append((rows, day[rows], fired))

    def withdrawal(self, rows: Ints, day: Floats) -> None:
        pass


@dataclass(frozen=True)
class StableRun:
    protocol: Protocol
    n: int
    dose_g: Floats
    withdrawn: np.ndarray
    deteriorations: Ints
    watch: _Watch


@pytest.fixture(scope="module")
def stable() -> StableRun:
    protocol = dose_held("piepers-2007")
    n_per_arm = POP.trial.n_per_arm
    patients, noise = draw_chunk(
        protocol, POP, seed=SEED, trials=range(N_TRIALS), n_per_arm=n_per_arm
    )
    watch = _Watch(patients.n)
    outcome = run_course(protocol, POP, patients, noise, 0.0, watch)
    return StableRun(
        protocol, patients.n, patients.dose_g, outcome.withdrawn, outcome.deteriorations, watch
    )


@pytest.mark.xfail(
    strict=True,
    reason=(
        "issue 11 open: 12.6% with the engine's reference (mean of 3) and same-criterion "
        "confirmation; the rest is MRC noise (SD 1.5 [S38]) against a 2-point threshold"
    ),
)
def test_at_most_5_percent_confirmed_deteriorated_in_12_weeks_on_an_unchanged_dose(
    stable: StableRun,
) -> None:
    start = stable.protocol.taper.start_day
    criteria = [c.measure for c in compile_rules(stable.protocol).criteria]
    first = np.full(stable.n, np.inf)
    first_fired = np.zeros((stable.n, len(criteria)), dtype=bool)
    for rows, day, fired in stable.watch.confirmed:
        earlier = day < first[rows]
        first_fired[rows[earlier]] = fired[earlier]
        first[rows] = np.minimum(first[rows], day)
    alarmed = (first > start) & (first <= start + WINDOW_DAYS)
    rate = float(alarmed.mean())
    shares = ", ".join(
        f"{name} {first_fired[alarmed, c].sum() / stable.n:.3f}" for c, name in enumerate(criteria)
    )
    print(
        f"\nfalse alarms on an unchanged dose, {stable.n} patients, days {start + 1}-"
        f"{start + WINDOW_DAYS} after a taper start on day {start}:\n"
        f"  simulated {rate:.3f} of patients confirmed deteriorated (by criterion of the "
        f"first episode: {shares}); over the whole year "
        f"{np.isfinite(first).mean():.3f} of patients, "
        f"{stable.deteriorations.mean():.2f} episodes per patient\n"
        f"  target (issue 11) at most {FALSE_ALARM_TARGET:.2f}"
    )
    assert rate <= FALSE_ALARM_TARGET


def test_mrc_sum_declines_0_6_to_1_7_points_per_year_measured_on_a_stable_dose(
    stable: StableRun,
) -> None:
    # Patients who stayed the year and were never given less than their baseline dose
    # (the 99.99% level: a dose change no patient could feel).
    keep = ~stable.withdrawn & (stable.watch.lowest_dose_g >= 0.999 * stable.dose_g)
    rows = np.concatenate([r for r, _, _ in stable.watch.mrc])
    days = np.concatenate([d for _, d, _ in stable.watch.mrc])
    values = np.concatenate([v for _, _, v in stable.watch.mrc])
    decline = []
    for p in np.flatnonzero(keep):
        mine = rows == p
        decline.append(-np.polyfit(days[mine] / 365.25, values[mine], 1)[0])
    slope = np.array(decline)
    low, high = MRC_TARGET_POINTS_PER_YEAR
    print(
        f"\nMRC sum decline measured from simulated assessments, {slope.size} patients on "
        f"an unchanged dose for the year, scheduled monthly visits:\n"
        f"  simulated mean {slope.mean():.2f} points/year, median {np.median(slope):.2f}, "
        f"10-90% {np.percentile(slope, 10):.2f} to {np.percentile(slope, 90):.2f}\n"
        f"  target [S7] {low}-{high} points/year"
    )
    assert slope.size >= 0.8 * stable.n
    assert low <= slope.mean() <= high
    assert low <= np.median(slope) <= high

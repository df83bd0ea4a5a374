"""``find_sample_size``: the smallest n per arm for a target power, by simulation.

The trial of n per arm is the first 2n patients enrolled in a trial simulated at the
ceiling size; at the ceiling itself it is the whole trial, so the power there must equal
what ``run_trials`` gives for the same seed, trials and size. The answer is the smallest
n from which the power stays at or above the target.
"""

from __future__ import annotations

import dataclasses

import pytest

from mmntrial.errors import SimulationError
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.size import BATCH_TRIALS, SizeAnswer, SizeQuestion, find_sample_size
from mmntrial.simulate.trials import run_trials

PROTOCOL = load_protocol("piepers-2007")
POP = load_population("mmn-default")


@pytest.fixture(scope="module")
def unreachable() -> SizeAnswer:
    # 99.9% power cannot be reached by 14 per arm: one batch at the ceiling of 14.
    question = SizeQuestion(effect=0.5, power=0.999, max_n=14, max_trials=BATCH_TRIALS, seed=3)
    return find_sample_size(PROTOCOL, POP, question)


@pytest.fixture(scope="module")
def answered() -> SizeAnswer:
    question = SizeQuestion(effect=0.5, power=0.6, max_trials=2 * BATCH_TRIALS, precision=0.2)
    return find_sample_size(PROTOCOL, POP, question)


def test_the_whole_trial_at_the_ceiling_is_what_run_trials_gives(unreachable: SizeAnswer) -> None:
    assert unreachable.n_per_arm is None
    assert unreachable.power_at_n is None
    assert (unreachable.n_trials, unreachable.n_simulated) == (BATCH_TRIALS, BATCH_TRIALS)
    direct = run_trials(PROTOCOL, POP, n_trials=BATCH_TRIALS, effect=0.5, seed=3, n_per_arm=14)
    assert [p.n_per_arm for p in unreachable.curve] == list(range(2, 15))
    assert unreachable.curve[-1].power == direct.summary().rejection_rate
    for arm in unreachable.harm:
        summary = direct.summary().arm(arm.arm)
        assert arm.proportion_reaching_primary == pytest.approx(summary.proportion_reaching_primary)


def test_a_search_out_of_trials_reports_the_trials_it_ran() -> None:
    # One batch, not reached at 14 per arm, no trials left to double: the answer is "not
    # reached" from those 500 trials, not from an empty larger ceiling.
    question = SizeQuestion(effect=0.5, power=0.999, max_n=200, max_trials=BATCH_TRIALS)
    answer = find_sample_size(PROTOCOL, POP, question)
    assert answer.n_per_arm is None
    assert answer.n_trials == BATCH_TRIALS
    assert answer.curve[-1].n_per_arm == POP.trial.n_per_arm
    assert answer.curve[-1].power > 0.5


def test_the_answer_is_the_smallest_size_from_which_power_stays_above_target(
    answered: SizeAnswer,
) -> None:
    n = answered.n_per_arm
    assert n is not None
    assert answered.power_at_n is not None
    power = {p.n_per_arm: p.power for p in answered.curve}
    assert all(power[m] >= 0.6 for m in power if m >= n)
    assert power[n - 1] < 0.6
    assert answered.power_at_n.power == power[n]
    low, high = answered.power_at_n.ci95
    assert low <= power[n] <= high
    assert answered.n_simulated >= answered.n_trials


def test_sizes_share_their_patients_so_the_curve_rises_with_n(answered: SizeAnswer) -> None:
    # Common random numbers: over a span of 8 per arm the power of the same patients rises
    # (Fisher's test is discrete, so single steps may dip).
    power = [p.power for p in answered.curve]
    assert all(power[k + 8] > power[k] for k in range(4, len(power) - 8))


def test_the_level_is_the_protocols_unless_the_question_names_one(
    answered: SizeAnswer,
) -> None:
    assert answered.alpha == PROTOCOL.endpoints.alpha
    assert answered.one_sided is False
    strict = dataclasses.replace(
        PROTOCOL, endpoints=dataclasses.replace(PROTOCOL.endpoints, alpha=0.01)
    )
    question = SizeQuestion(effect=0.5, power=0.6, max_trials=BATCH_TRIALS, precision=0.2)
    assert find_sample_size(strict, POP, question).alpha == 0.01
    named = dataclasses.replace(question, alpha=0.1)
    assert find_sample_size(strict, POP, named).alpha == 0.1


def test_a_harm_limit_is_checked_against_every_arm(answered: SizeAnswer) -> None:
    assert answered.harm_limit_met is None
    weakest = max(a.weeks_deteriorated_per_patient for a in answered.harm)
    strict = SizeQuestion(effect=0.5, max_weeks_deteriorated=weakest / 2)
    loose = SizeQuestion(effect=0.5, max_weeks_deteriorated=min(weakest * 2, 52.0))
    assert SizeAnswer(**{**answered.__dict__, "question": strict}).harm_limit_met is False
    assert SizeAnswer(**{**answered.__dict__, "question": loose}).harm_limit_met is True


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"effect": 0.0}, "effect: got 0.0, expected in (0, 1)"),
        ({"power": 80}, "power: got 80, expected in (0, 1)"),
        ({"alpha": 0.0}, "alpha: got 0.0, expected in (0, 0.5]"),
        ({"max_n": 10**6}, "max_n: got 1000000, expected 2-1000"),
        ({"max_trials": 10}, "max_trials: got 10, expected a whole number 500-200000"),
        ({"seed": -1}, "seed: got -1, expected a whole number >= 0"),
        ({"max_weeks_deteriorated": 0}, "max_weeks_deteriorated: got 0, expected in (0, 52]"),
    ],
)
def test_questions_out_of_range_are_refused(changes: dict[str, object], message: str) -> None:
    question = SizeQuestion(**{"effect": 0.5, **changes})  # type: ignore[arg-type]
    with pytest.raises(SimulationError) as raised:
        find_sample_size(PROTOCOL, POP, question)
    assert str(raised.value).startswith(message)

"""A size search whose budget ends just as the ceiling would double answers "not reached"
from the trials it ran (it raised from an empty pool: ``--max-trials 500``)."""

from __future__ import annotations

from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.size import SizeQuestion, find_sample_size


def test_a_budget_spent_at_the_first_ceiling_answers_from_its_trials() -> None:
    question = SizeQuestion(effect=0.5, max_trials=500, max_n=60, seed=1)
    answer = find_sample_size(
        load_protocol("piepers-2007"), load_population("mmn-default"), question
    )
    assert answer.n_trials == 500
    assert answer.n_per_arm is None  # 14 per arm is short of 80% at effect 0.5
    assert answer.curve[-1].n_per_arm == 14

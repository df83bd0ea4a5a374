"""Deterioration criteria over arrays: sides, references, missing values, any/all."""

from __future__ import annotations

import dataclasses

import numpy as np

from mmntrial.engine.rules import combined, compile_rules, evaluate, update_best
from mmntrial.measures.catalogue import Worse
from mmntrial.protocol.model import Combine, Criterion, Reference, SideRule
from tests.engine.builders import piepers, with_deterioration

NAN = np.nan


def grip(side: SideRule, reference: Reference = Reference.PRE_TAPER) -> Criterion:
    return Criterion("grip_kpa", 8.0, Worse.DECREASE, reference, side)


def test_reference_protocol_watches_mrc_both_grips_and_gnds() -> None:
    rules = compile_rules(piepers())
    assert rules.series == ("mrc_sum", "grip_kpa:left", "grip_kpa:right", "gnds_upper")
    assert rules.series_of == ((0,), (1, 2), (3,))
    assert compile_rules(piepers()) is not None


def test_either_hand_fires_on_one_side_and_reports_the_worse_side() -> None:
    rules = compile_rules(with_deterioration(piepers(), criteria=(grip(SideRule.EITHER),)))
    pre = np.array([[50.0, 60.0], [50.0, 60.0], [50.0, 60.0]])
    now = np.array([[49.0, 51.0], [NAN, 50.0], [NAN, NAN]])
    result = evaluate(rules, now, pre, np.full_like(pre, NAN))
    assert result.fired[:, 0].tolist() == [True, True, False]
    assert result.worsening[:2, 0].tolist() == [9.0, 10.0]
    assert result.side[:2, 0].tolist() == [1, 1]
    assert np.isnan(result.worsening[2, 0])


def test_both_hands_need_both_sides_measured() -> None:
    rules = compile_rules(with_deterioration(piepers(), criteria=(grip(SideRule.BOTH),)))
    pre = np.array([[50.0, 60.0]] * 3)
    now = np.array([[41.0, 51.0], [49.0, 50.0], [40.0, NAN]])
    result = evaluate(rules, now, pre, np.full_like(pre, NAN))
    assert result.fired[:, 0].tolist() == [True, False, False]
    assert result.worsening[0, 0] == 9.0  # the smaller drop decides
    assert np.isnan(result.worsening[2, 0])


def test_increase_is_worse_for_disability_scales() -> None:
    protocol = piepers()
    rules = compile_rules(protocol)
    pre = np.array([[86.0, 52.0, 60.0, 2.0]])
    result = evaluate(rules, np.array([[86.0, 52.0, 60.0, 3.0]]), pre, pre)
    assert result.fired[0].tolist() == [False, False, True]
    assert combined(rules, result.fired).tolist() == [True]


def test_all_needs_every_criterion() -> None:
    protocol = with_deterioration(piepers(), combine=Combine.ALL)
    rules = compile_rules(protocol)
    pre = np.array([[86.0, 52.0, 60.0, 2.0]] * 2)
    now = np.array([[83.0, 40.0, 60.0, 3.0], [83.0, 40.0, 60.0, 2.0]])
    result = evaluate(rules, now, pre, pre)
    assert combined(rules, result.fired).tolist() == [True, False]


def test_best_on_study_tracks_the_best_value_in_the_worse_direction() -> None:
    criteria = (
        dataclasses.replace(grip(SideRule.EITHER), reference=Reference.BEST_ON_STUDY),
        Criterion("gnds_upper", 1.0, Worse.INCREASE, Reference.BEST_ON_STUDY),
    )
    rules = compile_rules(with_deterioration(piepers(), criteria=criteria))
    best = np.full((1, 3), NAN)
    for values in ([50.0, 60.0, 3.0], [55.0, NAN, 2.0], [53.0, 58.0, 4.0]):
        best = update_best(rules, best, np.array([values]))
    assert best.tolist() == [[55.0, 60.0, 2.0]]

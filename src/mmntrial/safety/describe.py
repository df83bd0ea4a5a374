"""The safety rules in words: the normal-range grading rules as a Markdown table
(docs/safety.md holds it; a test compares), so the page a reviewer reads is the table the
code grades with, and a protocol's ``[safety]`` rule as a sentence (the DSMB reports).

>>> print(rules_table().splitlines()[2])
| `neutrophils` | Neutrophil count decreased | 10^9/L | < LLN | < 1.5 | < 1.0 | < 0.5 |
"""

from __future__ import annotations

from mmntrial.protocol.model import RuleKind, SafetyRule
from mmntrial.safety.bands import MAX_LAB_GRADE
from mmntrial.safety.tables import GradingTable, ctcae_v5


def rules_table(table: GradingTable | None = None) -> str:
    """One row per lab of ``table``'s ``ranged`` rules: term, units, the edge of each grade.

    A cell reads "a value of this grade is below (<) or above (>) this edge"; an empty
    cell is a grade the value alone never gives (anaemia's grade 4).
    """
    rules = (table or ctcae_v5()).ranged
    grades = range(1, MAX_LAB_GRADE + 1)
    lines = [
        "| lab | CTCAE term | units | " + " | ".join(f"grade {g}" for g in grades) + " |",
        "|---|---|---|" + "---|" * MAX_LAB_GRADE,
    ]
    for name, rule in rules.items():
        sign = "<" if rule.direction == "low" else ">"
        cells = [f"{sign} {edge}" for edge in rule.edges]
        cells += [""] * (MAX_LAB_GRADE - len(cells))
        units = ", ".join(rule.units)
        lines.append(f"| `{name}` | {rule.term} | {units} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rule_in_words(rule: SafetyRule) -> str:
    """What ``rule`` fires on, as a reader of a report reads it (its ``kind`` in words).

    >>> from mmntrial.protocol.loader import load_protocol
    >>> rules = load_protocol("piepers-2007").safety.rules
    >>> print(rule_in_words(rules[0]))
    a value of neutrophils below 1.3 10^9/L
    >>> print(rule_in_words(rules[3]))
    a value of creatinine 50% or more above the baseline (the last value on or before day 0)
    """
    if rule.kind is RuleKind.LAB_GRADE:
        return (
            f"a value of {', '.join(rule.labs)} at CTCAE v5.0 grade {rule.min_grade} or worse "
            "(graded against the lab's normal range)"
        )
    if rule.kind is RuleKind.LAB_BELOW:
        return f"a value of {rule.lab} below {rule.threshold:g} {rule.unit}"
    if rule.kind is RuleKind.LAB_RISE:
        return (
            f"a value of {rule.lab} {rule.rise_percent:g}% or more above the baseline "
            "(the last value on or before day 0)"
        )
    if rule.kind is RuleKind.LAB_FALL_AFTER_INFUSION:
        return (
            f"a fall of {rule.lab} by {rule.fall:g} {rule.unit} or more within "
            f"{rule.within_days} days of an infusion"
        )
    return f"an adverse event term naming {', '.join(rule.terms)}"


__all__ = ["rule_in_words", "rules_table"]

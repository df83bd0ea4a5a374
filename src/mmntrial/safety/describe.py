"""Safety rules in words: the normal-range grading rules as a Markdown table (docs/safety.md
holds it; a test compares), so the page a reviewer reads is the table the code grades
with; and a protocol's safety rule as the title the app's pages and the DSMB reports
show instead of its id.

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


def _listed(words: tuple[str, ...], last: str) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def rule_title(rule: SafetyRule) -> str:
    """What ``rule`` watches, in words from its kind and parameters (the protocol gives a
    rule an id and an action, no title): the pages show this where the id would be.

    >>> from mmntrial.protocol.model import RuleKind, SafetyRule
    >>> below = SafetyRule(id="neutrophils_low", kind=RuleKind.LAB_BELOW, action="Act",
    ...     owner="investigator", days_to_resolve=2, source="S47", lab="neutrophils",
    ...     threshold=1.3, unit="10^9/L")
    >>> rule_title(below)
    'Neutrophils below 1.3 10^9/L'
    """
    if rule.kind is RuleKind.LAB_GRADE:
        title = f"a lab of CTCAE v5.0 grade {rule.min_grade} or worse ({_listed(rule.labs, 'or')})"
    elif rule.kind is RuleKind.LAB_BELOW:
        title = f"{rule.lab} below {rule.threshold:g} {rule.unit}"
    elif rule.kind is RuleKind.LAB_RISE:
        title = f"{rule.lab} risen {rule.rise_percent:g}% or more over its baseline"
    elif rule.kind is RuleKind.LAB_FALL_AFTER_INFUSION:
        title = (
            f"{rule.lab} fallen {rule.fall:g} {rule.unit} or more within "
            f"{rule.within_days} days of an IVIg infusion"
        )
    else:
        title = f"an adverse event whose term names {_listed(rule.terms, 'or')}"
    return title[0].upper() + title[1:]


__all__ = ["rule_title", "rules_table"]

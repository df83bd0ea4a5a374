"""The protocol file's schema: every key, its type, its default and its meaning.

:data:`ROOT` is generated from the dataclasses of :mod:`mmntrial.protocol.model`, whose
fields declare their keys (:func:`mmntrial.protocol.keys.key`): the format is stated
once, in the model. The reader (:mod:`mmntrial.protocol.reader`) validates a file
against ROOT, and the test of docs/protocol.md walks :func:`schema_rows`.
Contradictions between keys (the taper starting after the last visit, ...) are not
schema matters: they live in :mod:`mmntrial.protocol.checks`.

>>> rows = {row.key: row for row in schema_rows()}
>>> rows["taper.start_day"].type_text
'integer >= 0 and <= 3653'
>>> rows["taper.step_percent"].requirement
'required when taper.mode = "percent_step"; not allowed otherwise'
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from mmntrial.protocol.keys import table_fields
from mmntrial.protocol.model import HEAD_FIELDS, Protocol
from mmntrial.protocol.spec import SchemaRow, Spec, rows, table


def _root() -> Spec:
    every = table_fields(Protocol)
    head = {key: spec for key, spec in every.items() if key in HEAD_FIELDS}
    sections = {key: spec for key, spec in every.items() if key not in HEAD_FIELDS}
    return table(
        "the whole protocol file",
        {"protocol": table("what the protocol is and where its values come from", head)} | sections,
    )


ROOT: Final[Spec] = _root()


def schema_rows() -> Iterator[SchemaRow]:
    """Every key the loader accepts, depth first, in file order.

    >>> next(schema_rows()).key
    'protocol'
    """
    return rows(ROOT)


__all__ = ["ROOT", "SchemaRow", "schema_rows"]

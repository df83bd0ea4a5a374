"""One exception tree for mmntrial.

Every error a user can cause derives from :class:`MmntrialError`; the command line turns
each of them into a one-line message and exit code 2 in one place (``cli.app.main``),
so a user error never prints a traceback. Anything else is a bug and keeps its traceback.

::

    MmntrialError
     +-- ProtocolError            a protocol file that cannot be loaded or is invalid
     |    (carries a list of Problem: code, dotted key, value received, what was expected)
     +-- MeasureError             a clinical value outside its scale, a wrong unit or instrument
     +-- HistoryError             a patient-history file that cannot be read
     +-- DatasetError             a trial dataset that breaks its schema (table, row, problem)
     +-- ReportError              a report that cannot be written where it was asked to be
     +-- OutputError              an output path that cannot take the output: a missing folder,
     |                            a folder where a file goes (or the reverse), no permission
     +-- EngineError              a request the protocol engine cannot answer
     |    +-- IllegalTransition   a taper-state change the state machine forbids
     +-- RandomizationError       bad randomization parameters or a ledger that refuses
     |    +-- ListExhausted       the allocation list has no slot left for a stratum
     |    +-- AlreadyRandomized   the subject holds an allocation already
     |    +-- ListTampered        the list on disk no longer matches its commitment
     +-- StorageError             a database that cannot be opened: a bad URL, an unknown revision
 |    +-- ChainBroken         a hash chain with an entry changed, removed, inserted or reordered
     +-- CaptureError             a study, account or form value the capture app refuses
     +-- SafetyError              a lab or grading table the safety rules do not know
     +-- SimulationError          bad simulation input: a population value, a seed, an array
     |    +-- NotReproduced       a result file whose inputs changed, or whose re-run differs
     +-- AnalysisError            input a statistical test cannot use (empty arm, NaN, ...)
          +-- ModelFitError       a model that cannot be fitted to otherwise valid input

Messages say what was received, what was expected and, where it helps, what to try.
"""

from __future__ import annotations

from dataclasses import dataclass


class MmntrialError(Exception):
    """Root of every error a user of mmntrial can cause."""


@dataclass(frozen=True)
class Problem:
    """One finding about an input file, with a stable code.

    >>> str(Problem("PROTO-E012", "taper.start_day", 400, "a day before the last visit (365)"))
    'PROTO-E012 taper.start_day: got 400, expected a day before the last visit (365)'
    """

    code: str
    key: str
    received: object
    expected: str

    def __str__(self) -> str:
        return f"{self.code} {self.key}: got {self.received!r}, expected {self.expected}"


class ProtocolError(MmntrialError):
    """A protocol that cannot be loaded or breaks the rules; lists every problem found."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"protocol {source}: {count} {noun}\n{lines}")


class MeasureError(MmntrialError, ValueError):
    """A clinical measurement outside its scale, in the wrong unit, or from the wrong instrument."""


class HistoryError(MmntrialError):
    """A patient-history file that cannot be read; the message names the row and column."""


class DatasetError(MmntrialError):
    """A trial dataset that breaks its schema; the message names the table, row and problem."""


class ReportError(MmntrialError):
    """The report cannot be written where it was asked to be (the message says why)."""


class OutputError(MmntrialError):
    """An output path that cannot take the output; checked before any computing starts."""


class EngineError(MmntrialError):
    """A request the protocol engine cannot answer (for example, no baseline infusions)."""


class IllegalTransition(EngineError):
    """A taper-state change that the state machine forbids."""


class RandomizationError(MmntrialError):
    """Bad randomization parameters, or an allocation the ledger refuses."""


class ListExhausted(RandomizationError):
    """The allocation list has no unused slot left for a stratum."""


class AlreadyRandomized(RandomizationError):
    """The subject already holds an allocation; allocations are never repeated or changed."""


class ListTampered(RandomizationError):
    """The allocation list no longer matches its published commitment."""


class StorageError(MmntrialError):
    """A database that cannot be opened or used: a bad URL, no server, an unknown revision."""


class ChainBroken(StorageError):
    """A hash chain (ledger, audit trail) whose entries no longer hash to its head."""


class CaptureError(MmntrialError, ValueError):
    """A value the capture app refuses (a form field, an account, a study); names the field."""


class SafetyError(MmntrialError, ValueError):
    """A lab without a grading table, or a grading table that breaks its format."""


class SimulationError(MmntrialError, ValueError):
    """Input the simulator cannot use; the message names the argument, value and expectation."""


class NotReproduced(SimulationError):
    """A result file that was not reproduced: no provenance, a changed input, other numbers."""


class AnalysisError(MmntrialError, ValueError):
    """Input that a statistical test cannot use; the message names the argument."""


class ModelFitError(AnalysisError):
    """A model that cannot be fitted to the data given (singular design, no events)."""


__all__ = [
    "AlreadyRandomized",
    "AnalysisError",
    "CaptureError",
    "ChainBroken",
    "DatasetError",
    "EngineError",
    "HistoryError",
    "IllegalTransition",
    "ListExhausted",
    "ListTampered",
    "MeasureError",
    "MmntrialError",
    "ModelFitError",
    "NotReproduced",
    "OutputError",
    "Problem",
    "ProtocolError",
    "RandomizationError",
    "ReportError",
    "SafetyError",
    "SimulationError",
    "StorageError",
]

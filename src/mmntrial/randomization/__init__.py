"""Concealed randomization: allocation lists, minimization, the ledger, blinding.

- :mod:`.design`: the validated allocation design (method, arms and ratios, blocks,
  factors and levels, minimization settings);
- :mod:`.streams`: seeded streams, one per stratum, stable across numpy versions;
- :mod:`.allocators`: one allocator per method (``ALLOCATORS``), which lists, assessment,
  the ledger and the trial simulator look up;
- :mod:`.methods`: simple randomization and permuted blocks (pure);
- :mod:`.minimization`: Pocock-Simon minimization (pure, used by the ledger);
- :mod:`.batch`: the methods vectorized over many simulated trials;
- :mod:`.limits`: caps on block sizes, strata and list sizes;
- :mod:`.lists` and :mod:`.listfile`: generate, extend, commit, verify; the file format
  (the sealed key: seed and arms);
- :mod:`.slots`: the allocator's file (slots and kit codes, no arms, no seed);
- :mod:`.blinding`: kit codes, sealed minimization arms and unblinding records;
- :mod:`.store`, :mod:`.ledgerchain` and :mod:`.ledger`: the append-only, hash-chained
  ledger (SQLite or PostgreSQL); :mod:`.audit`: checking it without a list;
- :mod:`.assess`: balance and predictability by simulation.

See docs/randomization.md for the methods, the list format, the commitment recipe and
the ledger's guarantees.
"""

from mmntrial.protocol.model import Imbalance
from mmntrial.randomization.allocators import ALLOCATORS, Allocator
from mmntrial.randomization.assess import Assessment, GroupBalance, assess
from mmntrial.randomization.audit import AuditReport, audit, list_unblindings
from mmntrial.randomization.blinding import Revelation, Unblinding, kit_code, kit_key
from mmntrial.randomization.design import (
    AllocationDesign,
    Factor,
    Method,
    design_from_parameters,
    design_from_protocol,
    make_design,
)
from mmntrial.randomization.ledger import Allocation, Ledger
from mmntrial.randomization.listfile import load, save
from mmntrial.randomization.lists import (
    AllocationList,
    Commitment,
    Row,
    canonical_text,
    commitment_of,
    extend,
    generate,
    verify,
)
from mmntrial.randomization.methods import block_sequence, simple_sequence
from mmntrial.randomization.minimization import MarginalCounts, MinimizationSettings, minimize
from mmntrial.randomization.slots import Slot, SlotList, read_either, slots_of

__all__ = [
    "ALLOCATORS",
    "Allocation",
    "AllocationDesign",
    "AllocationList",
    "Allocator",
    "Assessment",
    "AuditReport",
    "Commitment",
    "Factor",
    "GroupBalance",
    "Imbalance",
    "Ledger",
    "MarginalCounts",
    "Method",
    "MinimizationSettings",
    "Revelation",
    "Row",
    "Slot",
    "SlotList",
    "Unblinding",
    "assess",
    "audit",
    "block_sequence",
    "canonical_text",
    "commitment_of",
    "design_from_parameters",
    "design_from_protocol",
    "extend",
    "generate",
    "kit_code",
    "kit_key",
    "list_unblindings",
    "load",
    "make_design",
    "minimize",
    "read_either",
    "save",
    "simple_sequence",
    "slots_of",
    "verify",
]

"""Concealed randomization: allocation lists, minimization, the ledger, blinding.

- :mod:`.design`: the validated allocation design (method, arms and ratios, blocks,
  factors and levels, minimization settings);
- :mod:`.streams`: seeded streams, one per stratum, stable across numpy versions;
- :mod:`.allocators`: one allocator per method (``ALLOCATORS``), which lists, assessment,
  the ledger and the trial simulator look up;
- :mod:`.methods`: simple randomization and permuted blocks (pure);
- :mod:`.minimization`: Pocock-Simon minimization (pure, used by the ledger);
- :mod:`.batch`: the methods vectorized over many simulated trials;
- :mod:`.lists` and :mod:`.listfile`: generate, extend, commit, verify; the file format;
- :mod:`.blinding`: kit codes and unblinding records;
- :mod:`.store` and :mod:`.ledger`: the append-only ledger (SQLite or PostgreSQL);
- :mod:`.assess`: balance and predictability by simulation.

See docs/randomization.md for the methods, the list format, the commitment recipe and
the ledger's guarantees.
"""

from mmntrial.protocol.model import Imbalance
from mmntrial.randomization.allocators import ALLOCATORS, Allocator
from mmntrial.randomization.assess import Assessment, GroupBalance, assess
from mmntrial.randomization.blinding import Revelation, kit_code, kit_key
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

__all__ = [
    "ALLOCATORS",
    "Allocation",
    "AllocationDesign",
    "AllocationList",
    "Allocator",
    "Assessment",
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
    "assess",
    "block_sequence",
    "canonical_text",
    "commitment_of",
    "design_from_parameters",
    "design_from_protocol",
    "extend",
    "generate",
    "kit_code",
    "kit_key",
    "load",
    "make_design",
    "minimize",
    "save",
    "simple_sequence",
    "verify",
]

"""One allocator per allocation method: the registry every use of a method looks up.

:class:`Allocator` is what a method must provide: the checks of its design parameters,
the arms of an allocation list (:mod:`.lists`), the arms of a trial simulated by
:func:`.assess.assess`, and the arms of many simulated trials at once for the trial
simulator (:mod:`.batch`). :data:`ALLOCATORS` maps each
:class:`~mmntrial.protocol.model.AllocationMethod` to its allocator, so that adding a
method is a new member of that enum, a class here and an entry in ALLOCATORS (and its
tests); nothing else compares method names.

>>> sorted(ALLOCATORS) == sorted(AllocationMethod)
True
>>> ALLOCATORS[AllocationMethod.STRATIFIED_BLOCKS].stratified
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Protocol

import numpy as np

from mmntrial.errors import RandomizationError
from mmntrial.protocol.model import AllocationMethod, Imbalance, Randomization
from mmntrial.randomization.batch import (
    Cohort,
    minimization_arms,
    permuted_block_arms,
    simple_arms,
)
from mmntrial.randomization.methods import block_sequence, check_block_sizes, simple_sequence
from mmntrial.randomization.minimization import (
    MarginalCounts,
    MinimizationSettings,
    check_settings,
    minimize,
)
from mmntrial.units import Ints

if TYPE_CHECKING:  # the design looks allocators up: its types only, to avoid a cycle
    from mmntrial.randomization.design import AllocationDesign, Factor


class Allocator(Protocol):
    """What an allocation method provides; one implementation per AllocationMethod."""

    method: AllocationMethod
    stratified: bool  # a list holds one sequence per stratum (combination of levels)
    permuted_blocks: bool  # the method takes block sizes; the simulator draws block uniforms
    arms_in_list: bool  # the list fixes each slot's arm (else the ledger chooses it)

    def check(
        self,
        ratios: tuple[int, ...],
        block_sizes: tuple[int, ...],
        factors: tuple[Factor, ...],
        *,
        imbalance: str,
        weights: Mapping[str, float],
        p_preferred: float,
    ) -> MinimizationSettings | None:
        """Raise RandomizationError unless the parameters suit the method; its settings."""
        ...

    def list_arms(
        self, design: AllocationDesign, n: int, rng: np.random.Generator
    ) -> list[int | None]:
        """The arm indices of one stratum's ``n`` list slots (None: chosen at allocation)."""
        ...

    def trial_arms(
        self,
        design: AllocationDesign,
        subjects: Sequence[Mapping[str, str]],
        strata: Sequence[str],
        rng: np.random.Generator,
    ) -> list[int]:
        """The arm indices of one simulated trial's subjects, in enrolment order."""
        ...

    def batch_arms(self, randomization: Randomization, cohort: Cohort) -> Ints:
        """The arm indices of every subject of many simulated trials at once."""
        ...

    def arm_at_allocation(
        self,
        design: AllocationDesign,
        earlier: Sequence[tuple[Mapping[str, str], int]],
        values: Mapping[str, str],
        rng: np.random.Generator,
    ) -> int:
        """The arm index of a subject whose list slot holds no arm (``arms_in_list`` false).

        ``earlier`` is every allocation the ledger has made, in order: the subject's factor
        levels and arm index. The ledger calls this inside its write lock.
        """
        ...


def _refuse_block_sizes(method: AllocationMethod, sizes: tuple[int, ...]) -> None:
    if sizes:
        raise RandomizationError(
            f"block_sizes: got {list(sizes)!r}, expected none for method {method.value!r}"
        )


def _refuse_factors(method: AllocationMethod, factors: tuple[Factor, ...]) -> None:
    if factors:
        raise RandomizationError(
            f"strata: got factors {[f.name for f in factors]!r}, expected none for method "
            f"{method.value!r}; use 'stratified_blocks' or 'minimization'"
        )


def _by_stratum(strata: Sequence[str], sequence: Callable[[int], list[int]]) -> list[int]:
    """Each subject's arm from its stratum's sequence, the sequences drawn in stratum order."""
    needed: dict[str, int] = defaultdict(int)
    for stratum in strata:
        needed[stratum] += 1
    sequences = {stratum: sequence(needed[stratum]) for stratum in sorted(needed)}
    position: dict[str, int] = defaultdict(int)
    arms = []
    for stratum in strata:
        arms.append(sequences[stratum][position[stratum]])
        position[stratum] += 1
    return arms


class _ArmsInTheList:
    """A method whose list fixes every slot's arm: none is chosen at allocation."""

    method: AllocationMethod
    arms_in_list = True

    def arm_at_allocation(
        self,
        design: AllocationDesign,
        earlier: Sequence[tuple[Mapping[str, str], int]],
        values: Mapping[str, str],
        rng: np.random.Generator,
    ) -> int:
        """Never: the list fixes every arm."""
        raise RandomizationError(
            f"randomization.method {self.method.value!r}: every list slot holds its arm, so "
            "none is chosen at allocation"
        )


class SimpleAllocator(_ArmsInTheList):
    """Simple randomization: every subject drawn independently by the ratios."""

    method = AllocationMethod.SIMPLE
    stratified = False
    permuted_blocks = False

    def check(
        self,
        ratios: tuple[int, ...],
        block_sizes: tuple[int, ...],
        factors: tuple[Factor, ...],
        *,
        imbalance: str,
        weights: Mapping[str, float],
        p_preferred: float,
    ) -> MinimizationSettings | None:
        """No block sizes, no factors."""
        _refuse_block_sizes(self.method, block_sizes)
        _refuse_factors(self.method, factors)
        return None

    def list_arms(
        self, design: AllocationDesign, n: int, rng: np.random.Generator
    ) -> list[int | None]:
        """Independent draws (:func:`.methods.simple_sequence`)."""
        return list(simple_sequence(design.ratios, n, rng))

    def trial_arms(
        self,
        design: AllocationDesign,
        subjects: Sequence[Mapping[str, str]],
        strata: Sequence[str],
        rng: np.random.Generator,
    ) -> list[int]:
        """Independent draws for the trial's subjects."""
        return _by_stratum(strata, lambda n: simple_sequence(design.ratios, n, rng))

    def batch_arms(self, randomization: Randomization, cohort: Cohort) -> Ints:
        """Independent draws from the first allocation uniform."""
        return simple_arms(cohort.ratios, cohort.uniforms[:, 0])


class BlocksAllocator(_ArmsInTheList):
    """Permuted blocks, one sequence for the whole trial."""

    method = AllocationMethod.BLOCKS
    stratified = False
    permuted_blocks = True

    def check(
        self,
        ratios: tuple[int, ...],
        block_sizes: tuple[int, ...],
        factors: tuple[Factor, ...],
        *,
        imbalance: str,
        weights: Mapping[str, float],
        p_preferred: float,
    ) -> MinimizationSettings | None:
        """Block sizes that hold the ratio; no factors."""
        check_block_sizes(block_sizes, ratios)
        _refuse_factors(self.method, factors)
        return None

    def list_arms(
        self, design: AllocationDesign, n: int, rng: np.random.Generator
    ) -> list[int | None]:
        """Whole permuted blocks (:func:`.methods.block_sequence`)."""
        return [arm for arm, _ in block_sequence(design.ratios, design.block_sizes, n, rng)]

    def trial_arms(
        self,
        design: AllocationDesign,
        subjects: Sequence[Mapping[str, str]],
        strata: Sequence[str],
        rng: np.random.Generator,
    ) -> list[int]:
        """Permuted blocks per stratum, the strata in sorted order."""

        def sequence(n: int) -> list[int]:
            return [arm for arm, _ in block_sequence(design.ratios, design.block_sizes, n, rng)]

        return _by_stratum(strata, sequence)

    def batch_arms(self, randomization: Randomization, cohort: Cohort) -> Ints:
        """Permuted blocks per trial and stratum, from the block uniforms."""
        size_u, order_u = cohort.block_uniforms()
        return permuted_block_arms(
            cohort.ratios, randomization.block_sizes, cohort.stratum(), size_u, order_u
        )


class StratifiedBlocksAllocator(BlocksAllocator):
    """Permuted blocks, one sequence per stratum (combination of factor levels)."""

    method = AllocationMethod.STRATIFIED_BLOCKS
    stratified = True

    def check(
        self,
        ratios: tuple[int, ...],
        block_sizes: tuple[int, ...],
        factors: tuple[Factor, ...],
        *,
        imbalance: str,
        weights: Mapping[str, float],
        p_preferred: float,
    ) -> MinimizationSettings | None:
        """Block sizes that hold the ratio; at least one factor."""
        check_block_sizes(block_sizes, ratios)
        if not factors:
            raise RandomizationError(
                "strata: got no factors, expected at least one for method 'stratified_blocks' "
                "(for example centre=AMC,UMCU); use method 'blocks' for an unstratified list"
            )
        return None


class MinimizationAllocator:
    """Pocock-Simon minimization: each arm chosen at allocation from the earlier ones."""

    method = AllocationMethod.MINIMIZATION
    stratified = False
    permuted_blocks = False
    arms_in_list = False

    def check(
        self,
        ratios: tuple[int, ...],
        block_sizes: tuple[int, ...],
        factors: tuple[Factor, ...],
        *,
        imbalance: str,
        weights: Mapping[str, float],
        p_preferred: float,
    ) -> MinimizationSettings | None:
        """No block sizes; factors and valid settings (:func:`.minimization.check_settings`)."""
        _refuse_block_sizes(self.method, block_sizes)
        return check_settings(factors, imbalance, weights, p_preferred)

    def list_arms(
        self, design: AllocationDesign, n: int, rng: np.random.Generator
    ) -> list[int | None]:
        """No arm in the list: the ledger minimizes at allocation."""
        return [None] * n

    def trial_arms(
        self,
        design: AllocationDesign,
        subjects: Sequence[Mapping[str, str]],
        strata: Sequence[str],
        rng: np.random.Generator,
    ) -> list[int]:
        """Minimize one subject after another, as the ledger does."""
        marginal = MarginalCounts(design)
        arms = []
        for values in subjects:
            arm = minimize(marginal, values, rng)
            marginal.add(values, arm)
            arms.append(arm)
        return arms

    def batch_arms(self, randomization: Randomization, cohort: Cohort) -> Ints:
        """Minimization within each trial, every trial at once."""
        settings = randomization.minimization
        if settings is None:
            raise RandomizationError(
                "randomization.minimization: got nothing, expected the minimization settings"
            )
        return minimization_arms(
            cohort.ratios,
            cohort.trial,
            cohort.levels,
            cohort.n_levels,
            weights=[w for _, w in settings.factor_weights],
            variance=settings.imbalance == Imbalance.VARIANCE,
            p_preferred=settings.p_preferred,
            u=cohort.uniforms,
        )

    def arm_at_allocation(
        self,
        design: AllocationDesign,
        earlier: Sequence[tuple[Mapping[str, str], int]],
        values: Mapping[str, str],
        rng: np.random.Generator,
    ) -> int:
        """Minimize against the marginal counts of every earlier allocation."""
        marginal = MarginalCounts(design)
        for levels, arm in earlier:
            marginal.add(levels, arm)
        return minimize(marginal, values, rng)


ALLOCATORS: Final[Mapping[AllocationMethod, Allocator]] = MappingProxyType(
    {
        allocator.method: allocator
        for allocator in (
            SimpleAllocator(),
            BlocksAllocator(),
            StratifiedBlocksAllocator(),
            MinimizationAllocator(),
        )
    }
)

__all__ = [
    "ALLOCATORS",
    "Allocator",
    "BlocksAllocator",
    "MinimizationAllocator",
    "SimpleAllocator",
    "StratifiedBlocksAllocator",
]

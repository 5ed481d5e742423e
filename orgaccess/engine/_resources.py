"""Private to the engine: the resource check of one action under a combination, with a budget.

:class:`ResourceChecker` asks :func:`~orgaccess.engine.arnmatch.search_surviving_arn`
whether some ARN of an action's resource types survives every level, and
caches the answers. Each evaluation of a combination gets a :class:`Budget`
of automaton steps (:data:`COMBINATION_STEP_BUDGET`); every search is bounded
by what is left of it (and by :data:`~orgaccess.engine.arnmatch.MAX_SEARCH_STEPS`).

Answers do not depend on what was asked before: a cached answer is reused
only when a fresh search under the bound asked for would give the same
answer (a search decided in ``s`` steps is decided under any bound >= ``s``;
one that reached bound ``B`` reaches any bound <= ``B``), and the budget is
charged the same either way (the steps of a decided search, the whole bound
of an undecided one).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ._compiled import ActionSpace, CompiledPolicy
from .arnmatch import MAX_SEARCH_STEPS, ResourceSpec, SearchResult, search_surviving_arn

__all__ = ["COMBINATION_STEP_BUDGET", "Budget", "ResourceChecker"]

#: Automaton steps the resource checks of one combination may spend in all
#: (about a third of a second). Realistic SCPs spend a few hundred steps per
#: search; only hostile patterns come near it.
COMBINATION_STEP_BUDGET = 250_000


@attrs.define
class Budget:
    """What is left of a combination's step budget."""

    remaining: int = COMBINATION_STEP_BUDGET

    def grant(self) -> int:
        """The bound for the next search."""
        return max(0, min(MAX_SEARCH_STEPS, self.remaining))

    def charge(self, steps: int) -> None:
        """Spend ``steps``."""
        self.remaining -= steps


_Specs = tuple[tuple[tuple[ResourceSpec, ...], ...], tuple[ResourceSpec, ...]]


class Plan:
    """The resource elements of one combination, grouped so that a check costs little.

    The question for an action depends only on its ARN templates and on the
    set of statements covering it (its *signature*). Per namespace, the
    statements covering all of it or none of it are sorted out once; only
    those covering part of it are tested per action. An SCP's 5,120
    characters bound how many (statement, namespace) pairs can be partial.
    """

    def __init__(
        self,
        levels: Sequence[Sequence[CompiledPolicy]],
        space: ActionSpace,
        texts: dict[int, str],
    ) -> None:
        self.levels = len(levels)
        self._width = space.width
        self._texts = texts  # bits -> their text (text[i] is bit i), shared by the checker
        # (level index, or -1 for a Deny; the spec; its bits)
        self.entries: tuple[tuple[int, ResourceSpec, int], ...] = tuple(
            [
                (k, spec, bits)
                for k, level in enumerate(levels)
                for c in level
                for spec, bits in c.allow_specs
            ]
            + [(-1, spec, bits) for level in levels for c in level for spec, bits in c.deny_specs]
        )
        self._by_namespace: dict[int, tuple[tuple[int, ...], tuple[tuple[int, int], ...]]] = {}
        self._specs: dict[tuple[int, ...], _Specs] = {}
        self.idents: dict[tuple[int, ...], int] = {}  # signature -> the checker's id of its specs
        self._texts_of_entries: list[str] | None = None

    def _entry_texts(self) -> list[str]:
        """The bits of every entry as text (text[i] is bit i), made once per plan."""
        if self._texts_of_entries is None:
            texts = []
            for _k, _spec, bits in self.entries:
                text = self._texts.get(bits)
                if text is None:
                    text = self._texts[bits] = format(bits, f"0{self._width}b")[::-1]
                texts.append(text)
            self._texts_of_entries = texts
        return self._texts_of_entries

    def signature(self, start: int, end: int, position: int) -> tuple[int, ...]:
        """The indexes of the entries covering the action at ``position`` (in ``[start, end)``)."""
        split = self._by_namespace.get(start)
        if split is None:
            full: list[int] = []
            partial: list[tuple[int, int]] = []
            for i, text in enumerate(self._entry_texts()):
                if text.find("1", start, end) < 0:
                    continue
                if text.find("0", start, end) < 0:
                    full.append(i)
                else:
                    partial.append((i, self.entries[i][2]))
            split = self._by_namespace[start] = (tuple(full), tuple(partial))
        full_t, partial_t = split
        if not partial_t:
            return full_t
        bit = 1 << position
        return tuple(sorted((*full_t, *(i for i, bits in partial_t if bits & bit))))

    def specs(self, signature: tuple[int, ...]) -> _Specs:
        """The allow levels and the denies of a signature, in a canonical order."""
        found = self._specs.get(signature)
        if found is None:
            allow: list[set[ResourceSpec]] = [set() for _ in range(self.levels)]
            denies: set[ResourceSpec] = set()
            for i in signature:
                k, spec, _bits = self.entries[i]
                (denies if k < 0 else allow[k]).add(spec)
            found = self._specs[signature] = (
                tuple(tuple(sorted(level, key=repr)) for level in allow),
                tuple(sorted(denies, key=repr)),
            )
        return found


class ResourceChecker:
    """Whether some ARN of an action survives a combination's levels (bounded, cached)."""

    def __init__(self, space: ActionSpace, partition: str) -> None:
        self.space = space
        self.partition = partition
        self._ids: dict[_Specs, int] = {}
        self._contents: list[_Specs] = []
        self._cache: dict[tuple[tuple[str, ...], int], tuple[SearchResult, int]] = {}
        self._texts: dict[int, str] = {}

    def plan(self, levels: Sequence[Sequence[CompiledPolicy]]) -> Plan:
        """The plan of one combination's checks."""
        return Plan(levels, self.space, self._texts)

    def check(
        self, plan: Plan, start: int, end: int, position: int, budget: Budget
    ) -> SearchResult:
        """Search for an ARN the action at ``position`` can act on that survives every level."""
        signature = plan.signature(start, end, position)
        ident = plan.idents.get(signature)
        if ident is None:
            specs = plan.specs(signature)
            ident = self._ids.get(specs)
            if ident is None:
                ident = self._ids[specs] = len(self._contents)
                self._contents.append(specs)
            plan.idents[signature] = ident
        bound = budget.grant()
        result = self._lookup((self.space.templates(position), ident), bound)
        budget.charge(bound if result.exhausted else result.steps)
        return result

    def _lookup(self, key: tuple[tuple[str, ...], int], bound: int) -> SearchResult:
        cached = self._cache.get(key)
        if cached is not None:
            result, asked = cached
            if not result.exhausted:
                return result if result.steps <= bound else SearchResult(None, True, bound)
            if bound <= asked:
                return SearchResult(None, True, bound)
        allow_levels, denies = self._contents[key[1]]
        result = search_surviving_arn(
            key[0], allow_levels, denies, partition=self.partition, max_steps=bound
        )
        self._cache[key] = (result, bound)
        return result

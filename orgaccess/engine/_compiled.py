"""Private to the engine: the catalog's action positions and SCPs compiled to bitsets.

Shared by :mod:`orgaccess.engine.evaluation` (which evaluates combinations of
policies) and :mod:`orgaccess.engine.explain` (which walks one combination to
say why). Two jobs live here, each in one class:

* :class:`ActionSpace` numbers every action of the catalog (a service without
  actions gets one service-level pseudo-action) and answers questions about
  positions and namespace ranges;
* :class:`PolicyCompiler` turns action patterns, statements and policies into
  bitsets over those positions, with caches. Action patterns are matched with
  :meth:`~orgaccess.model.policy.ActionPattern.matches_name` (no backtracking
  regular expression: polynomial in the pattern's length).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator

import attrs

from ..model.catalog import ActionInfo, ServiceCatalog
from ..model.organization import Organization, Policy
from ..model.policy import ActionPattern, Effect, Statement
from .arnmatch import ResourceSpec

__all__ = [
    "ActionSpace",
    "CompiledPolicy",
    "Key",
    "Outcome",
    "PolicyCompiler",
    "action_space",
    "bits_of",
    "spec_of",
]

#: A combination of policies in force: one frozenset of policy ids per level.
Key = tuple[frozenset[str], ...]


@attrs.frozen
class CompiledPolicy:
    """One SCP compiled against a catalog: bitsets over the catalog's action positions."""

    policy: Policy
    allow: int  # actions some Allow statement covers (any Resource, any Condition)
    allow_star: int  # actions an Allow with Resource "*" covers
    deny_star: int  # actions an unconditional Deny with Resource "*" covers
    deny_other: int  # actions an unconditional Deny with other resources covers
    allows: tuple[tuple[Statement, int], ...]
    denies: tuple[tuple[Statement, int], ...]  # unconditional
    conditional_denies: tuple[tuple[Statement, int], ...]
    allow_specs: tuple[tuple[ResourceSpec, int], ...]  # the resource element of each Allow
    deny_specs: tuple[tuple[ResourceSpec, int], ...]  # ... and of each unconditional Deny


@attrs.frozen
class Outcome:
    """What one combination allows.

    ``bits`` are the possible actions; ``arns`` the witness ARN found for an
    action listed by the resource check; ``approximated`` the namespaces
    listed only because a resource search reached its bound (namespace ->
    the position of the undecided action).
    """

    bits: int
    namespaces: frozenset[str]
    arns: tuple[tuple[int, str], ...] = ()
    approximated: tuple[tuple[str, int], ...] = ()


def bits_of(value: int, start: int, end: int) -> Iterator[int]:
    """The positions of the set bits of ``value`` in ``[start, end)``, lowest first."""
    chunk = (value >> start) & ((1 << (end - start)) - 1)
    while chunk:
        low = chunk & -chunk
        yield start + low.bit_length() - 1
        chunk ^= low


def spec_of(statement: Statement) -> ResourceSpec:
    """The resource element of a statement, as :mod:`~orgaccess.engine.arnmatch` reads it."""
    if statement.resources is not None:
        return ResourceSpec(patterns=statement.resources, negated=False)
    return ResourceSpec(patterns=statement.not_resources or (), negated=True)


class ActionSpace:
    """The catalog's actions numbered in namespace order; a namespace is a range of positions."""

    def __init__(self, catalog: ServiceCatalog) -> None:
        self.catalog = catalog
        self.width = catalog.action_count
        self.full = (1 << self.width) - 1
        self.ranges: tuple[tuple[str, int, int], ...] = tuple(
            (ns, *catalog.action_range(ns)) for ns in catalog.sorted_namespaces()
        )
        positions: list[tuple[str, ActionInfo | None]] = []
        for service in catalog:
            if service.actions:
                positions.extend((service.namespace, a) for a in service.actions)
            else:
                positions.append((service.namespace, None))
        self.positions = tuple(positions)

    def mask(self, namespace: str) -> tuple[int, int, int]:
        """``(start, end, mask)`` of the namespace's positions."""
        start, end = self.catalog.action_range(namespace)
        return start, end, ((1 << (end - start)) - 1) << start

    def ranges_with_bits(self, bits: int) -> list[tuple[str, int, int]]:
        """The (namespace, start, end) ranges holding at least one set bit."""
        if not bits:
            return []
        text = format(bits, "b")[::-1]  # text[i] is bit i
        find = text.find
        return [r for r in self.ranges if find("1", r[1], r[2]) >= 0]

    def namespaces_of(self, bits: int) -> frozenset[str]:
        """The namespaces holding at least one set bit."""
        # One conversion to text, then a search per namespace range: cheaper
        # than shifting a 22,000-bit integer once per namespace.
        return frozenset(r[0] for r in self.ranges_with_bits(bits))

    def templates(self, position: int) -> tuple[str, ...]:
        """The ARN templates of the action at ``position`` (``*`` without resource types)."""
        namespace, action = self.positions[position]
        if action is None:
            return ("*", f"arn:${{Partition}}:{namespace}:${{Any}}")
        return self.catalog.service(namespace).arn_templates(action)

    def action_name(self, position: int) -> str:
        """``namespace:Action`` (``namespace:*`` for a service-level pseudo-action)."""
        namespace, action = self.positions[position]
        return f"{namespace}:*" if action is None else f"{namespace}:{action.name}"


_SPACES: weakref.WeakKeyDictionary[ServiceCatalog, ActionSpace] = weakref.WeakKeyDictionary()


def action_space(catalog: ServiceCatalog) -> ActionSpace:
    """The catalog's :class:`ActionSpace`, built once per catalog (catalogs are immutable).

    Numbering some 20,000 actions costs milliseconds: every evaluator over the
    same catalog shares one space instead of numbering them again.
    """
    space = _SPACES.get(catalog)
    if space is None:
        space = _SPACES.setdefault(catalog, ActionSpace(catalog))
    return space


class PolicyCompiler:
    """Compiles SCPs of one organization to :class:`CompiledPolicy` bitsets, with caches."""

    def __init__(self, organization: Organization, space: ActionSpace) -> None:
        self.organization = organization
        self.space = space
        self._patterns: dict[tuple[str | None, str], tuple[int, int]] = {}
        self._policies: dict[str, CompiledPolicy] = {}

    def pattern_bits(self, pattern: ActionPattern) -> tuple[int, int]:
        """(possible, certain) bits of one action pattern."""
        key = (pattern.service, pattern.name)
        cached = self._patterns.get(key)
        if cached is not None:
            return cached
        space = self.space
        service = None if pattern.service is None else space.catalog.get(pattern.service)
        if pattern.service is None:
            result = (space.full, space.full)
        elif service is None:
            result = (0, 0)
        else:
            start, _end = space.catalog.action_range(service.namespace)
            if not service.actions:
                bit = 1 << start
                result = (bit, bit if pattern.names_everything else 0)
            else:
                bits = 0
                matches = pattern.name_matcher()
                for offset, action in enumerate(service.actions):
                    if matches(action.name):
                        bits |= 1 << (start + offset)
                result = (bits, bits)
        self._patterns[key] = result
        return result

    def statement_bits(self, statement: Statement) -> int:
        """The actions a statement covers (for a Deny: certainly covers)."""
        possible = certain = 0
        for pattern in statement.action_patterns:
            p, c = self.pattern_bits(pattern)
            possible |= p
            certain |= c
        allow = statement.effect is Effect.ALLOW
        if statement.actions is not None:
            return possible if allow else certain
        return self.space.full & ~(certain if allow else possible)

    def compiled(self, policy_id: str) -> CompiledPolicy:
        """The policy ``policy_id`` compiled (cached)."""
        compiled = self._policies.get(policy_id)
        if compiled is not None:
            return compiled
        policy = self.organization.policy(policy_id)
        allow = allow_star = deny_star = deny_other = 0
        allows: list[tuple[Statement, int]] = []
        denies: list[tuple[Statement, int]] = []
        conditional: list[tuple[Statement, int]] = []
        for statement in policy.document.statements:
            bits = self.statement_bits(statement)
            if statement.effect is Effect.ALLOW:
                allow |= bits
                if statement.resource_is_everything:
                    allow_star |= bits
                allows.append((statement, bits))
            elif statement.has_condition:
                conditional.append((statement, bits))
            else:
                if statement.resource_is_everything:
                    deny_star |= bits
                else:
                    deny_other |= bits
                denies.append((statement, bits))
        compiled = CompiledPolicy(
            policy=policy,
            allow=allow,
            allow_star=allow_star,
            deny_star=deny_star,
            deny_other=deny_other,
            allows=tuple(allows),
            denies=tuple(denies),
            conditional_denies=tuple(conditional),
            allow_specs=tuple((spec_of(s), bits) for s, bits in allows),
            deny_specs=tuple((spec_of(s), bits) for s, bits in denies),
        )
        self._policies[policy_id] = compiled
        return compiled

    def levels(self, key: Key) -> list[list[CompiledPolicy]]:
        """The compiled policies of each level of a combination, in id order."""
        return [[self.compiled(p) for p in sorted(level)] for level in key]

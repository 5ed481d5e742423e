"""SCP evaluation: which services the SCPs in force allow, and why.

A service (an IAM namespace such as ``s3``) is allowed for an entity when at
least one of its actions could be allowed for some request: allowed at
**every** level from the root down to the entity (the SCPs attached at one
level combine by union), and not removed by an unconditional Deny at any
of those levels (semantics section 3).

How the rules are read (each is tested):

* An Allow with a Condition still makes its actions possible.
* A Deny with a Condition never removes anything (the condition may be false).
* ``resources="precise"`` (the default): an action is possible only if some
  ARN of its resource types (the catalog's ARN templates; ``*`` for actions
  without resource types) is admitted at every level by an Allow covering
  the action, and escapes every unconditional Deny covering it. This is
  decided exactly by :mod:`orgaccess.engine.arnmatch`. ``${Partition}`` in the
  catalog's templates is the organization's partition (``partition``,
  default ``aws``), so a Deny on ``arn:aws:s3:::*`` covers every S3 ARN.
* ``resources="simple"``: any resource-limited Allow makes its actions
  possible, and only an unconditional Deny whose Resource includes ``*``
  removes them. Cheaper, and it over-approximates: it lists a service that
  real AWS leaves out when the allowed ARNs do not fit the action's resource
  types (``s3:GetObject`` allowed on a bucket ARN) or are all denied by
  resource-limited Denies.
* A service the catalog lists without actions has one service-level
  pseudo-action of unknown name: an Allow or NotAction-Deny naming the
  prefix may match it, an Action-Deny removes it only when its name part is
  all ``*`` (``prefix:*``).
* The management account is not limited by SCPs: every service is allowed.
* With SCPs not enabled on the root, nothing limits any account.

Results are cached by the combination of policies in force (one frozenset of
policy ids per level), so accounts that share a combination cost nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Literal

import attrs

from ..errors import UnknownPolicyError
from ..model.catalog import ActionInfo, ServiceCatalog, default_catalog
from ..model.ids import EntityId, EntityPath
from ..model.organization import Organization, Policy
from ..model.policy import ActionPattern, Effect, Statement
from .arnmatch import ResourceSpec, find_surviving_arn

__all__ = [
    "Evaluator",
    "Explanation",
    "LevelExplanation",
    "ResourceMode",
    "StatementRef",
]

ResourceMode = Literal["precise", "simple"]


@attrs.frozen(kw_only=True)
class StatementRef:
    """A statement of an SCP, as named in an explanation."""

    level: EntityId | None
    policy_id: str
    policy_name: str
    statement_index: int
    sid: str | None
    effect: Effect
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    has_condition: bool

    def __str__(self) -> str:
        where = f" at {self.level}" if self.level is not None else ""
        sid = f" ({self.sid})" if self.sid else ""
        if self.actions is not None:
            acts = "Action " + ", ".join(self.actions)
        else:
            acts = "NotAction " + ", ".join(self.not_actions or ())
        if self.resources is not None:
            res = "Resource " + ", ".join(self.resources)
        else:
            res = "NotResource " + ", ".join(self.not_resources or ())
        cond = " with Condition" if self.has_condition else ""
        return (
            f"{self.policy_id} ({self.policy_name}){where} Statement[{self.statement_index}]{sid}: "
            f"{self.effect.value} {acts} on {res}{cond}"
        )


@attrs.frozen(kw_only=True)
class LevelExplanation:
    """One level of a path: the SCPs attached there and what they allow of the service."""

    entity_id: EntityId | None
    policies: tuple[str, ...]
    allows: bool
    allowing_statements: tuple[StatementRef, ...]

    def __str__(self) -> str:
        where = str(self.entity_id) if self.entity_id is not None else "policy"
        verdict = "allows" if self.allows else "does NOT allow"
        lines = [f"{where} [{', '.join(self.policies) or 'no SCP'}] {verdict} the service"]
        lines.extend(f"    {ref}" for ref in self.allowing_statements)
        return "\n".join(lines)


@attrs.frozen(kw_only=True)
class Explanation:
    """Why a service is, or is not, allowed for an entity.

    ``deciding`` names the statements that decided the verdict: the Denies
    that removed the service, or (for a listed service) the Allows that let
    the witness action through at each level. ``deciding_level`` is the level
    with no Allow, when that is the reason.
    """

    namespace: str
    entity: EntityPath | None
    policy_id: str | None
    listed: bool
    reason: str
    levels: tuple[LevelExplanation, ...] = ()
    deciding: tuple[StatementRef, ...] = ()
    deciding_level: EntityId | None = None
    witness_action: str | None = None
    witness_arn: str | None = None
    ignored_conditional_denies: tuple[StatementRef, ...] = ()

    def __str__(self) -> str:
        subject = str(self.entity) if self.entity is not None else ""
        if self.policy_id is not None:
            subject += f" under policy {self.policy_id}"
        head = f"{self.namespace} for {subject}: {'LISTED' if self.listed else 'NOT LISTED'}"
        lines = [head, f"  {self.reason}"]
        for level in self.levels:
            lines.append("  " + str(level).replace("\n", "\n  "))
        if self.deciding:
            lines.append("  deciding statements:")
            lines.extend(f"    {ref}" for ref in self.deciding)
        if self.ignored_conditional_denies:
            lines.append("  conditional Denies (may not apply, so they remove nothing):")
            lines.extend(f"    {ref}" for ref in self.ignored_conditional_denies)
        return "\n".join(lines)


@attrs.frozen
class _Compiled:
    """One SCP compiled against a catalog: bitsets over the catalog's action positions."""

    policy: Policy
    allow: int  # actions some Allow statement covers (any Resource, any Condition)
    allow_star: int  # actions an Allow with Resource "*" covers
    deny_star: int  # actions an unconditional Deny with Resource "*" covers
    deny_other: int  # actions an unconditional Deny with other resources covers
    allows: tuple[tuple[Statement, int], ...]
    denies: tuple[tuple[Statement, int], ...]  # unconditional
    conditional_denies: tuple[tuple[Statement, int], ...]


@attrs.frozen
class _Outcome:
    bits: int
    namespaces: frozenset[str]


_Key = tuple[frozenset[str], ...]


def _ref(level: EntityId | None, policy: Policy, statement: Statement) -> StatementRef:
    return StatementRef(
        level=level,
        policy_id=str(policy.id),
        policy_name=policy.name,
        statement_index=statement.index,
        sid=statement.sid,
        effect=statement.effect,
        actions=None if statement.actions is None else tuple(a.text for a in statement.actions),
        not_actions=(
            None if statement.not_actions is None else tuple(a.text for a in statement.not_actions)
        ),
        resources=statement.resources,
        not_resources=statement.not_resources,
        has_condition=statement.has_condition,
    )


def _bits_of(value: int, start: int, end: int) -> Iterator[int]:
    chunk = (value >> start) & ((1 << (end - start)) - 1)
    while chunk:
        low = chunk & -chunk
        yield start + low.bit_length() - 1
        chunk ^= low


class Evaluator:
    """Evaluates the SCPs of one organization against one catalog, with caches.

    >>> from orgaccess.model.organization import OrganizationBuilder
    >>> from orgaccess.model.catalog import ServiceCatalog
    >>> catalog = ServiceCatalog.from_mapping(
    ...     {"s3": {"actions": ["GetObject"]}, "ec2": {"actions": ["RunInstances"]}}
    ... )
    >>> b = OrganizationBuilder(
    ...     organization_id="o-a1b2c3d4e5", root_id="r-f6g7", management_account_id="111111111111"
    ... )
    >>> _ = b.add_policy("p-onlys3xxx", '{"Statement": {"Effect": "Allow", "Action": "s3:*", '
    ...                  '"Resource": "*"}}')
    >>> _ = b.add_account("111111111111", parent="r-f6g7")
    >>> _ = b.add_account("222222222222", parent="r-f6g7", scps=["p-onlys3xxx"])
    >>> ev = Evaluator(b.build(), catalog)
    >>> sorted(ev.allowed_namespaces("222222222222"))
    ['s3']
    >>> sorted(ev.allowed_namespaces("111111111111"))  # the management account
    ['ec2', 's3']
    """

    def __init__(
        self,
        organization: Organization,
        catalog: ServiceCatalog | None = None,
        *,
        resources: ResourceMode = "precise",
        partition: str = "aws",
    ) -> None:
        if resources not in ("precise", "simple"):
            raise ValueError(f"resources must be 'precise' or 'simple', got {resources!r}")
        self.organization = organization
        self.catalog = catalog if catalog is not None else default_catalog()
        self.resources: ResourceMode = resources
        #: the ARN partition every resource of the organization lives in
        self.partition = partition
        cat = self.catalog
        self._full = (1 << cat.action_count) - 1
        self._ranges: tuple[tuple[str, int, int], ...] = tuple(
            (ns, *cat.action_range(ns)) for ns in cat.sorted_namespaces()
        )
        positions: list[tuple[str, ActionInfo | None]] = []
        self._pseudo = 0
        for service in cat:
            if service.actions:
                positions.extend((service.namespace, a) for a in service.actions)
            else:
                self._pseudo |= 1 << len(positions)
                positions.append((service.namespace, None))
        self._positions = tuple(positions)
        self._pattern_cache: dict[tuple[str | None, str], tuple[int, int]] = {}
        self._policy_cache: dict[str, _Compiled] = {}
        self._outcomes: dict[_Key, _Outcome] = {}
        self._arn_cache: dict[object, str | None] = {}
        self._levels: dict[str, frozenset[str]] = {}
        self._keys: dict[str, _Key] = {}

    # -- compilation ----------------------------------------------------------
    def _pattern_bits(self, pattern: ActionPattern) -> tuple[int, int]:
        """(possible, certain) bits of one action pattern."""
        key = (pattern.service, pattern.name)
        cached = self._pattern_cache.get(key)
        if cached is not None:
            return cached
        if pattern.service is None:
            result = (self._full, self._full)
        else:
            service = self.catalog.get(pattern.service)
            if service is None:
                result = (0, 0)
            else:
                start, _end = self.catalog.action_range(service.namespace)
                if not service.actions:
                    bit = 1 << start
                    result = (bit, bit if pattern.names_everything else 0)
                else:
                    regex = re.compile(
                        "".join(
                            ".*" if c == "*" else "." if c == "?" else re.escape(c)
                            for c in pattern.name
                        ),
                        re.IGNORECASE | re.DOTALL,
                    )
                    bits = 0
                    for offset, action in enumerate(service.actions):
                        if regex.fullmatch(action.name):
                            bits |= 1 << (start + offset)
                    result = (bits, bits)
        self._pattern_cache[key] = result
        return result

    def _statement_bits(self, statement: Statement) -> int:
        possible = certain = 0
        for pattern in statement.action_patterns:
            p, c = self._pattern_bits(pattern)
            possible |= p
            certain |= c
        allow = statement.effect is Effect.ALLOW
        if statement.actions is not None:
            return possible if allow else certain
        return self._full & ~(certain if allow else possible)

    def _compiled(self, policy_id: str) -> _Compiled:
        compiled = self._policy_cache.get(policy_id)
        if compiled is not None:
            return compiled
        policy = self.organization.policy(policy_id)
        allow = allow_star = deny_star = deny_other = 0
        allows: list[tuple[Statement, int]] = []
        denies: list[tuple[Statement, int]] = []
        conditional: list[tuple[Statement, int]] = []
        for statement in policy.document.statements:
            bits = self._statement_bits(statement)
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
        compiled = _Compiled(
            policy=policy,
            allow=allow,
            allow_star=allow_star,
            deny_star=deny_star,
            deny_other=deny_other,
            allows=tuple(allows),
            denies=tuple(denies),
            conditional_denies=tuple(conditional),
        )
        self._policy_cache[policy_id] = compiled
        return compiled

    # -- keys -------------------------------------------------------------------
    def _entity_id(self, entity: str | EntityPath) -> EntityId:
        if isinstance(entity, EntityPath):
            return self.organization.resolve(entity)
        return self.organization.entity(entity).id

    def _key_for(self, entity_id: EntityId) -> _Key:
        key = self._keys.get(entity_id)
        if key is None:
            org = self.organization
            levels = self._levels
            parts: list[frozenset[str]] = []
            for level in org.parent_chain(entity_id):
                attached = levels.get(level)
                if attached is None:
                    attached = levels[level] = frozenset(
                        str(p) for p in org.scp_ids_attached(level)
                    )
                parts.append(attached)
            key = self._keys[entity_id] = tuple(parts)
        return key

    def _policy_key(self, policy_id: str) -> _Key:
        policy = self.organization.policy(policy_id)
        if not policy.is_scp:
            raise UnknownPolicyError(f"policy {policy_id} is a {policy.type}, not an SCP")
        return (frozenset({str(policy.id)}),)

    def _unlimited(self, entity_id: EntityId) -> bool:
        return not self.organization.scp_enabled or self.organization.is_management_account(
            entity_id
        )

    # -- evaluation --------------------------------------------------------------
    def _outcome(self, key: _Key) -> _Outcome:
        cached = self._outcomes.get(key)
        if cached is not None:
            return cached
        levels = [[self._compiled(p) for p in sorted(level)] for level in key]
        candidate = self._full
        sure = self._full
        deny_star = deny_other = 0
        for level in levels:
            level_allow = level_star = 0
            for c in level:
                level_allow |= c.allow
                level_star |= c.allow_star
                deny_star |= c.deny_star
                deny_other |= c.deny_other
            candidate &= level_allow
            sure &= level_star
        candidate &= ~deny_star
        if self.resources == "simple":
            final = candidate
            namespaces = self._namespaces_of(final)
        else:
            sure &= candidate & ~deny_other
            final = sure
            listed = set(self._namespaces_of(sure))
            need = candidate & ~sure
            # Only the namespaces with undecided actions, and not already listed,
            # go to the ARN check; one surviving action lists the namespace.
            for namespace, start, end in self._ranges_with_bits(need):
                if namespace in listed:
                    continue
                for position in _bits_of(need, start, end):
                    if self._arn_witness(levels, position) is not None:
                        final |= 1 << position
                        listed.add(namespace)
                        break
            namespaces = frozenset(listed)
        outcome = _Outcome(bits=final, namespaces=namespaces)
        self._outcomes[key] = outcome
        return outcome

    def _ranges_with_bits(self, bits: int) -> list[tuple[str, int, int]]:
        """The (namespace, start, end) ranges holding at least one set bit."""
        if not bits:
            return []
        text = format(bits, "b")[::-1]  # text[i] is bit i
        find = text.find
        return [r for r in self._ranges if find("1", r[1], r[2]) >= 0]

    def _namespaces_of(self, bits: int) -> frozenset[str]:
        # One conversion to text, then a search per namespace range: cheaper
        # than shifting a 22,000-bit integer once per namespace.
        return frozenset(r[0] for r in self._ranges_with_bits(bits))

    def _templates(self, position: int) -> tuple[str, ...]:
        namespace, action = self._positions[position]
        if action is None:
            return ("*", f"arn:${{Partition}}:{namespace}:${{Any}}")
        return self.catalog.service(namespace).arn_templates(action)

    def _arn_witness(self, levels: Sequence[Sequence[_Compiled]], position: int) -> str | None:
        """An ARN the action at ``position`` can act on that survives every level, or None."""
        bit = 1 << position
        allow_levels: list[tuple[ResourceSpec, ...]] = []
        for level in levels:
            specs = {_spec(statement) for c in level for statement, bits in c.allows if bits & bit}
            allow_levels.append(tuple(sorted(specs, key=repr)))
        denies = {
            _spec(statement)
            for level in levels
            for c in level
            for statement, bits in c.denies
            if bits & bit
        }
        templates = self._templates(position)
        key = (templates, tuple(allow_levels), frozenset(denies))
        if key in self._arn_cache:
            return self._arn_cache[key]
        witness = find_surviving_arn(
            templates, allow_levels, tuple(sorted(denies, key=repr)), partition=self.partition
        )
        self._arn_cache[key] = witness
        return witness

    # -- public queries ------------------------------------------------------------
    def allowed_namespaces(self, entity: str | EntityPath) -> frozenset[str]:
        """The namespaces the SCPs in force along the entity's path allow.

        For the management account (and when SCPs are not enabled) every
        namespace of the catalog.
        """
        entity_id = self._entity_id(entity)
        if self._unlimited(entity_id):
            return self.catalog.namespaces
        return self._outcome(self._key_for(entity_id)).namespaces

    def allowed_by_policy(self, policy_id: str) -> frozenset[str]:
        """The namespaces one SCP allows on its own."""
        return self._outcome(self._policy_key(policy_id)).namespaces

    def is_allowed(self, entity: str | EntityPath, namespace: str) -> bool:
        """Whether ``namespace`` is allowed for the entity."""
        self.catalog.service(namespace)
        return namespace in self.allowed_namespaces(entity)

    @property
    def cached_combinations(self) -> int:
        """How many distinct policy combinations have been evaluated so far."""
        return len(self._outcomes)

    def explain(
        self, entity: str | EntityPath, namespace: str, *, policy_id: str | None = None
    ) -> Explanation:
        """Why ``namespace`` is or is not allowed for ``entity`` (under one policy, if given)."""
        self.catalog.service(namespace)
        entity_id = self._entity_id(entity)
        path = self.organization.path_of(entity_id)
        if self.organization.is_management_account(entity_id):
            return Explanation(
                namespace=namespace,
                entity=path,
                policy_id=policy_id,
                listed=True,
                reason="the management account is not limited by SCPs: every service is listed"
                + (" (the policy id is ignored)" if policy_id else ""),
            )
        if not self.organization.scp_enabled:
            return Explanation(
                namespace=namespace,
                entity=path,
                policy_id=policy_id,
                listed=True,
                reason="SCPs are not enabled on the root, so no SCP limits any account "
                "(a report would FAIL with SERVICE_CONTROL_POLICY_NOT_ENABLED)",
            )
        if policy_id is not None:
            key = self._policy_key(policy_id)
            level_ids: tuple[EntityId | None, ...] = (None,)
        else:
            key = self._key_for(entity_id)
            level_ids = self.organization.parent_chain(entity_id)
        return self._explain_key(namespace, path, policy_id, key, level_ids)

    def _explain_key(
        self,
        namespace: str,
        path: EntityPath,
        policy_id: str | None,
        key: _Key,
        level_ids: Sequence[EntityId | None],
    ) -> Explanation:
        start, end = self.catalog.action_range(namespace)
        ns_mask = ((1 << (end - start)) - 1) << start
        levels = [[self._compiled(p) for p in sorted(level)] for level in key]
        outcome = self._outcome(key)
        listed = bool(outcome.bits & ns_mask)
        conditional = tuple(
            _ref(level_id, c.policy, statement)
            for level_id, level in zip(level_ids, levels, strict=True)
            for c in level
            for statement, bits in c.conditional_denies
            if bits & ns_mask
        )
        if listed:
            witness = next(_bits_of(outcome.bits, start, end))
            bit = 1 << witness
            level_expl = tuple(
                LevelExplanation(
                    entity_id=level_id,
                    policies=tuple(str(c.policy.id) for c in level),
                    allows=True,
                    allowing_statements=tuple(
                        _ref(level_id, c.policy, s) for c in level for s, b in c.allows if b & bit
                    ),
                )
                for level_id, level in zip(level_ids, levels, strict=True)
            )
            action_name = self._action_name(witness)
            arn = self._arn_witness(levels, witness) if self.resources == "precise" else None
            reason = f"{action_name} is allowed at every level and no unconditional Deny removes it"
            if arn is not None:
                reason += f" (for example on {arn})"
            return Explanation(
                namespace=namespace,
                entity=path,
                policy_id=policy_id,
                listed=True,
                reason=reason,
                levels=level_expl,
                deciding=tuple(ref for lvl in level_expl for ref in lvl.allowing_statements),
                witness_action=action_name,
                witness_arn=arn,
                ignored_conditional_denies=conditional,
            )
        # Not listed: find the first level that allows none of what is still possible.
        running = ns_mask
        level_list: list[LevelExplanation] = []
        deciding_level: EntityId | None = None
        for level_id, level in zip(level_ids, levels, strict=True):
            refs = tuple(
                _ref(level_id, c.policy, s) for c in level for s, b in c.allows if b & running
            )
            level_allow = 0
            for c in level:
                level_allow |= c.allow
            running &= level_allow
            level_list.append(
                LevelExplanation(
                    entity_id=level_id,
                    policies=tuple(str(c.policy.id) for c in level),
                    allows=bool(running),
                    allowing_statements=refs,
                )
            )
            if not running and deciding_level is None:
                deciding_level = level_id if level_id is not None else None
                where = f"at {level_id}" if level_id is not None else f"in policy {policy_id}"
                above = " still allowed by the levels above" if len(level_list) > 1 else ""
                return Explanation(
                    namespace=namespace,
                    entity=path,
                    policy_id=policy_id,
                    listed=False,
                    reason=f"no SCP {where} allows any {namespace} action{above}",
                    levels=tuple(level_list),
                    deciding_level=level_id,
                    ignored_conditional_denies=conditional,
                )
        denies = tuple(
            _ref(level_id, c.policy, s)
            for level_id, level in zip(level_ids, levels, strict=True)
            for c in level
            for s, b in c.denies
            if b & running
        )
        restricted_allows = tuple(
            ref
            for lvl in level_list
            for ref in lvl.allowing_statements
            if ref.resources is None or not any(set(r) == {"*"} for r in ref.resources)
        )
        reason = (
            f"every {namespace} action allowed at every level is removed by an unconditional Deny"
        )
        if self.resources == "precise" and restricted_allows:
            reason += (
                ", or the allowed Resource patterns admit no ARN of the action's resource types"
            )
        return Explanation(
            namespace=namespace,
            entity=path,
            policy_id=policy_id,
            listed=False,
            reason=reason,
            levels=tuple(level_list),
            deciding=denies + restricted_allows,
            ignored_conditional_denies=conditional,
        )

    def _action_name(self, position: int) -> str:
        namespace, action = self._positions[position]
        return f"{namespace}:*" if action is None else f"{namespace}:{action.name}"

    def __repr__(self) -> str:
        return (
            f"<Evaluator {self.organization.id} over {self.catalog!r}, resources={self.resources}, "
            f"{len(self._outcomes)} combinations cached>"
        )


def _spec(statement: Statement) -> ResourceSpec:
    if statement.resources is not None:
        return ResourceSpec(patterns=statement.resources, negated=False)
    return ResourceSpec(patterns=statement.not_resources or (), negated=True)

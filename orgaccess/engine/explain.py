"""Explanations: why a service is, or is not, allowed for an entity.

:meth:`orgaccess.engine.evaluation.Evaluator.explain` evaluates, then hands the
combination of policies in force to :func:`explain_combination`, which walks
it level by level. Every explanation says what decided its verdict, in
``basis`` (a :class:`Basis`):

* ``ALLOWED``: the service is listed; ``deciding`` names, at every level, the
  Allow statements that let the witness action through (and ``witness_arn``
  a resource that survives, in precise mode).
* ``NO_ALLOW``: some level allows no action of the service that the levels
  above still allow. **No statement decided this**: the verdict comes from an
  absence, so ``deciding`` is empty; ``deciding_level`` names the level and
  ``deciding_policies`` the SCPs attached there, none of which has an Allow
  for what is left (the demo's ``rds`` case).
* ``DENIED``: every action allowed at every level is removed; ``deciding``
  names the unconditional Denies covering what is left, then the Allows
  with a limited Resource (or a NotResource) that let it through at some
  level: in precise mode their patterns may admit no ARN of the action,
  which removes it as surely as a Deny.
* ``SEARCH_BOUND``: the service is listed because the resource check of an
  action reached its step bound before deciding (a documented safe
  over-approximation, see ``docs/explanation/evaluation-bounds.md``);
  ``witness_action`` is that action, ``deciding`` its Allows, and
  ``witness_arn`` is None.
* ``MANAGEMENT_ACCOUNT`` / ``SCPS_NOT_ENABLED``: no SCP limits the entity;
  nothing else is set.

Conditional Denies never remove anything; those that cover the service are
listed in ``ignored_conditional_denies`` whatever the basis.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

import attrs

from ..model.ids import EntityId, EntityPath
from ..model.organization import Policy
from ..model.policy import Effect, Statement
from ._compiled import ActionSpace, CompiledPolicy, Outcome, bits_of

__all__ = [
    "Basis",
    "Combination",
    "Explanation",
    "LevelExplanation",
    "StatementRef",
    "explain_combination",
    "explain_unlimited",
]


class Basis(enum.Enum):
    """What decided a verdict (see the module docstring)."""

    ALLOWED = "allowed"
    NO_ALLOW = "no-allow"
    DENIED = "denied"
    SEARCH_BOUND = "search-bound"
    MANAGEMENT_ACCOUNT = "management-account"
    SCPS_NOT_ENABLED = "scps-not-enabled"


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

    @classmethod
    def of(cls, level: EntityId | None, policy: Policy, statement: Statement) -> StatementRef:
        """The reference to ``statement`` of ``policy`` attached at ``level``."""
        return cls(
            level=level,
            policy_id=str(policy.id),
            policy_name=policy.name,
            statement_index=statement.index,
            sid=statement.sid,
            effect=statement.effect,
            actions=None if statement.actions is None else tuple(a.text for a in statement.actions),
            not_actions=(
                None
                if statement.not_actions is None
                else tuple(a.text for a in statement.not_actions)
            ),
            resources=statement.resources,
            not_resources=statement.not_resources,
            has_condition=statement.has_condition,
        )

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
    """One level of a path: the SCPs attached there and what they allow of the service.

    ``allows`` is whether some action of the service allowed by the levels
    above is still allowed here; ``allowing_statements`` are the Allows
    covering such actions (empty when ``allows`` is false).
    """

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
    """Why a service is, or is not, allowed for an entity (see the module docstring).

    ``basis`` says what decided the verdict. ``deciding`` names the statements
    that decided it: the Allows at every level (``ALLOWED``, ``SEARCH_BOUND``),
    the Denies and resource-limited Allows (``DENIED``); it is empty for
    ``NO_ALLOW``, where no statement decided, and ``deciding_level`` and
    ``deciding_policies`` name the level and its SCPs that lack an Allow.
    """

    namespace: str
    entity: EntityPath | None
    policy_id: str | None
    listed: bool
    reason: str
    basis: Basis
    levels: tuple[LevelExplanation, ...] = ()
    deciding: tuple[StatementRef, ...] = ()
    deciding_level: EntityId | None = None
    deciding_policies: tuple[str, ...] = ()
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
        elif self.basis is Basis.NO_ALLOW:
            policies = ", ".join(self.deciding_policies) or "no SCP"
            lines.append(f"  deciding statements: none (no Allow in {policies})")
        if self.ignored_conditional_denies:
            lines.append("  conditional Denies (may not apply, so they remove nothing):")
            lines.extend(f"    {ref}" for ref in self.ignored_conditional_denies)
        return "\n".join(lines)


def explain_unlimited(
    namespace: str, path: EntityPath, policy_id: str | None, *, management: bool
) -> Explanation:
    """The explanation for an entity no SCP limits (management account, SCPs off)."""
    if management:
        return Explanation(
            namespace=namespace,
            entity=path,
            policy_id=policy_id,
            listed=True,
            basis=Basis.MANAGEMENT_ACCOUNT,
            reason="the management account is not limited by SCPs: every service is listed"
            + (" (the policy id is ignored)" if policy_id else ""),
        )
    return Explanation(
        namespace=namespace,
        entity=path,
        policy_id=policy_id,
        listed=True,
        basis=Basis.SCPS_NOT_ENABLED,
        reason="SCPs are not enabled on the root, so no SCP limits any account "
        "(a report would FAIL with SERVICE_CONTROL_POLICY_NOT_ENABLED)",
    )


@attrs.frozen(kw_only=True)
class Combination:
    """What :func:`explain_combination` needs of one evaluated combination of policies.

    ``levels`` are the compiled SCPs of each level (root first), ``level_ids``
    the matching entity ids (``None`` for a single policy explained on its
    own), ``outcome`` the evaluation's result and ``arn_of`` gives a witness
    ARN for a listed action position (None in simple mode).
    """

    namespace: str
    path: EntityPath
    policy_id: str | None
    levels: Sequence[Sequence[CompiledPolicy]]
    level_ids: Sequence[EntityId | None]
    outcome: Outcome
    space: ActionSpace
    precise: bool
    arn_of: Callable[[int], str | None]

    def conditional_denies(self, mask: int) -> tuple[StatementRef, ...]:
        """The conditional Denies covering some action of ``mask``, at every level."""
        return tuple(
            StatementRef.of(level_id, c.policy, statement)
            for level_id, level in zip(self.level_ids, self.levels, strict=True)
            for c in level
            for statement, bits in c.conditional_denies
            if bits & mask
        )


def explain_combination(combo: Combination) -> Explanation:
    """Why ``combo.namespace`` is or is not listed under the combination."""
    start, end, mask = combo.space.mask(combo.namespace)
    if combo.outcome.bits & mask:
        return _explain_listed(combo, next(bits_of(combo.outcome.bits, start, end)), mask)
    return _explain_not_listed(combo, mask)


def _explain_listed(combo: Combination, witness: int, mask: int) -> Explanation:
    bit = 1 << witness
    levels = tuple(
        LevelExplanation(
            entity_id=level_id,
            policies=tuple(str(c.policy.id) for c in level),
            allows=True,
            allowing_statements=tuple(
                StatementRef.of(level_id, c.policy, s)
                for c in level
                for s, b in c.allows
                if b & bit
            ),
        )
        for level_id, level in zip(combo.level_ids, combo.levels, strict=True)
    )
    action = combo.space.action_name(witness)
    undecided = dict(combo.outcome.approximated).get(combo.namespace) == witness
    arn = None if undecided or not combo.precise else combo.arn_of(witness)
    if undecided:
        basis = Basis.SEARCH_BOUND
        reason = (
            f"{action} is allowed at every level, but the check of its resources reached the "
            "search bound before deciding whether an unconditional Deny removes every ARN: "
            "the service is listed (a safe over-approximation)"
        )
    else:
        basis = Basis.ALLOWED
        reason = f"{action} is allowed at every level and no unconditional Deny removes it"
        if arn is not None:
            reason += f" (for example on {arn})"
    return Explanation(
        namespace=combo.namespace,
        entity=combo.path,
        policy_id=combo.policy_id,
        listed=True,
        basis=basis,
        reason=reason,
        levels=levels,
        deciding=tuple(ref for lvl in levels for ref in lvl.allowing_statements),
        witness_action=action,
        witness_arn=arn,
        ignored_conditional_denies=combo.conditional_denies(mask),
    )


def _explain_not_listed(combo: Combination, mask: int) -> Explanation:
    # Walk down the levels; the first level that allows none of what is still
    # possible decides by absence. If every level allows something, Denies
    # (or, in precise mode, resource patterns) removed the rest.
    running = mask
    walked: list[LevelExplanation] = []
    for level_id, level in zip(combo.level_ids, combo.levels, strict=True):
        refs = tuple(
            StatementRef.of(level_id, c.policy, s)
            for c in level
            for s, b in c.allows
            if b & running
        )
        running &= _level_allow(level)
        walked.append(
            LevelExplanation(
                entity_id=level_id,
                policies=tuple(str(c.policy.id) for c in level),
                allows=bool(running),
                allowing_statements=refs,  # empty when nothing is left: no Allow covers it
            )
        )
        if not running:
            return _no_allow(combo, tuple(walked), level_id, mask)
    return _denied(combo, tuple(walked), running, mask)


def _level_allow(level: Sequence[CompiledPolicy]) -> int:
    out = 0
    for c in level:
        out |= c.allow
    return out


def _no_allow(
    combo: Combination,
    walked: tuple[LevelExplanation, ...],
    level_id: EntityId | None,
    mask: int,
) -> Explanation:
    lacking = walked[-1].policies
    where = f"at {level_id}" if level_id is not None else f"in policy {combo.policy_id}"
    above = " still allowed by the levels above" if len(walked) > 1 else ""
    names = ", ".join(lacking) if lacking else "no SCP is attached there"
    reason = (
        f"no SCP {where} allows any {combo.namespace} action{above} "
        f"(attached: {names}); no statement decided this: it is the absence of an Allow"
    )
    return Explanation(
        namespace=combo.namespace,
        entity=combo.path,
        policy_id=combo.policy_id,
        listed=False,
        basis=Basis.NO_ALLOW,
        reason=reason,
        levels=walked,
        deciding_level=level_id,
        deciding_policies=lacking,
        ignored_conditional_denies=combo.conditional_denies(mask),
    )


def _denied(
    combo: Combination, walked: tuple[LevelExplanation, ...], running: int, mask: int
) -> Explanation:
    denies = tuple(
        StatementRef.of(level_id, c.policy, s)
        for level_id, level in zip(combo.level_ids, combo.levels, strict=True)
        for c in level
        for s, b in c.denies
        if b & running
    )
    restricted_allows = tuple(
        ref
        for lvl in walked
        for ref in lvl.allowing_statements
        if ref.resources is None or not any(set(r) == {"*"} for r in ref.resources)
    )
    ns = combo.namespace
    reason = f"every {ns} action allowed at every level is removed by an unconditional Deny"
    if combo.precise and restricted_allows:
        reason += ", or the allowed Resource patterns admit no ARN of the action's resource types"
    return Explanation(
        namespace=ns,
        entity=combo.path,
        policy_id=combo.policy_id,
        listed=False,
        basis=Basis.DENIED,
        reason=reason,
        levels=walked,
        deciding=denies + restricted_allows,
        ignored_conditional_denies=combo.conditional_denies(mask),
    )

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

**Bounded work.** Action patterns are matched without backtracking
(polynomial in the pattern's length). The resource check of precise mode is
a search whose work is bounded: each combination of policies has a budget
of automaton steps (``COMBINATION_STEP_BUDGET`` in the engine's resource
checker, each search at most :data:`~orgaccess.engine.arnmatch.MAX_SEARCH_STEPS`).
When a search reaches its bound before deciding, the action is treated as
possible and its namespace is **listed**: a safe over-approximation, in the
same direction as conditional statements and ``resources="simple"``. The
report then never hides a service an account may be able to use; at worst it
shows one that real AWS leaves out. :meth:`Evaluator.approximated_namespaces`
says which namespaces were listed that way, and :meth:`Evaluator.explain`
says so with :attr:`~orgaccess.engine.explain.Basis.SEARCH_BOUND`. Realistic
SCPs never come near the bound (see ``docs/explanation/evaluation-bounds.md``).

Results are cached by the combination of policies in force (one frozenset of
policy ids per level), so accounts that share a combination cost nothing more.

The work is split by job: :mod:`orgaccess.engine._compiled` numbers the
catalog's actions and compiles SCPs to bitsets, :mod:`orgaccess.engine._resources`
runs the bounded resource checks, :mod:`orgaccess.engine.explain` walks a
combination to explain a verdict; :class:`Evaluator` maps entities to
combinations, evaluates them and answers the public queries.
"""

from __future__ import annotations

from typing import Literal

from .._text import brief as _brief
from ..errors import ConfigurationError, UnknownPolicyError
from ..model.catalog import ServiceCatalog, default_catalog
from ..model.ids import EntityId, EntityPath
from ..model.organization import Organization
from ._compiled import CompiledPolicy, Key, Outcome, PolicyCompiler, action_space, bits_of
from ._resources import Budget, ResourceChecker
from .explain import (
    Basis,
    Combination,
    Explanation,
    LevelExplanation,
    StatementRef,
    explain_combination,
    explain_unlimited,
)

__all__ = [
    "Basis",
    "Evaluator",
    "Explanation",
    "LevelExplanation",
    "ResourceMode",
    "StatementRef",
    "check_evaluation_options",
]

ResourceMode = Literal["precise", "simple"]


def check_evaluation_options(resources: object, partition: object) -> None:
    """Raise :class:`~orgaccess.errors.ConfigurationError` for a ``resources`` mode other than
    ``precise`` / ``simple``, or a ``partition`` that is not an ARN partition name."""
    if not isinstance(resources, str) or resources not in ("precise", "simple"):
        raise ConfigurationError(
            f"resources must be 'precise' or 'simple', got {_brief(resources)}"
        )
    if not isinstance(partition, str) or not partition or set(partition) & {":", "/"}:
        raise ConfigurationError(
            "partition must be a non-empty string without ':' or '/' (aws, aws-cn, "
            f"aws-us-gov), got {_brief(partition)}"
        )


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
        check_evaluation_options(resources, partition)
        self.organization = organization
        self.catalog = catalog if catalog is not None else default_catalog()
        self.resources: ResourceMode = resources
        #: the ARN partition every resource of the organization lives in
        self.partition = partition
        self._space = action_space(self.catalog)
        self._compiler = PolicyCompiler(organization, self._space)
        self._checker = ResourceChecker(self._space, partition)
        self._outcomes: dict[Key, Outcome] = {}
        self._levels: dict[str, frozenset[str]] = {}
        self._keys: dict[str, Key] = {}

    # -- keys: which combination of policies is in force ---------------------------
    def _entity_id(self, entity: str | EntityPath) -> EntityId:
        if isinstance(entity, EntityPath):
            return self.organization.resolve(entity)
        return self.organization.entity(entity).id

    def _key_for(self, entity_id: EntityId) -> Key:
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

    def _policy_key(self, policy_id: str) -> Key:
        policy = self.organization.policy(policy_id)
        if not policy.is_scp:
            raise UnknownPolicyError(f"policy {policy_id} is a {policy.type}, not an SCP")
        return (frozenset({str(policy.id)}),)

    def _unlimited(self, entity_id: EntityId) -> bool:
        return not self.organization.scp_enabled or self.organization.is_management_account(
            entity_id
        )

    # -- evaluation of a combination ---------------------------------------------------
    def _outcome(self, key: Key) -> Outcome:
        cached = self._outcomes.get(key)
        if cached is not None:
            return cached
        levels = self._compiler.levels(key)
        candidate = sure = self._space.full
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
            outcome = Outcome(bits=candidate, namespaces=self._space.namespaces_of(candidate))
        else:
            outcome = self._precise(levels, candidate, sure & candidate & ~deny_other)
        self._outcomes[key] = outcome
        return outcome

    def _precise(self, levels: list[list[CompiledPolicy]], candidate: int, sure: int) -> Outcome:
        """Decide the actions ``candidate`` allows but not surely (``sure``) by resource checks.

        Only namespaces with undecided actions and not already listed are
        checked; one surviving action lists the namespace, and so does one
        whose search reaches its bound (the safe approximation).
        """
        final = sure
        listed = set(self._space.namespaces_of(sure))
        need = candidate & ~sure
        budget = Budget()
        plan = None
        arns: list[tuple[int, str]] = []
        approximated: list[tuple[str, int]] = []
        for namespace, start, end in self._space.ranges_with_bits(need):
            if namespace in listed:
                continue
            plan = plan or self._checker.plan(levels)
            for position in bits_of(need, start, end):
                result = self._checker.check(plan, start, end, position, budget)
                if result.witness is None and not result.exhausted:
                    continue
                final |= 1 << position
                listed.add(namespace)
                if result.witness is not None:
                    arns.append((position, result.witness))
                else:
                    approximated.append((namespace, position))
                break
        return Outcome(
            bits=final,
            namespaces=frozenset(listed),
            arns=tuple(arns),
            approximated=tuple(approximated),
        )

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

    def approximated_namespaces(self, entity: str | EntityPath) -> frozenset[str]:
        """The namespaces :meth:`allowed_namespaces` lists only by the safe approximation.

        Those whose resource check reached its bound before deciding (see the
        module docstring); empty for every realistic SCP.
        """
        entity_id = self._entity_id(entity)
        if self._unlimited(entity_id):
            return frozenset()
        outcome = self._outcome(self._key_for(entity_id))
        return frozenset(ns for ns, _ in outcome.approximated)

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
        """Why ``namespace`` is or is not allowed for ``entity`` (under one policy, if given).

        The explanation names the level, the policies and the statements that
        decided the verdict, or says that no statement did (a level without an
        Allow for the service); see :mod:`orgaccess.engine.explain`.
        """
        self.catalog.service(namespace)
        entity_id = self._entity_id(entity)
        path = self.organization.path_of(entity_id)
        if self._unlimited(entity_id):
            management = self.organization.is_management_account(entity_id)
            return explain_unlimited(namespace, path, policy_id, management=management)
        if policy_id is not None:
            key = self._policy_key(policy_id)
            level_ids: tuple[EntityId | None, ...] = (None,)
        else:
            key = self._key_for(entity_id)
            level_ids = self.organization.parent_chain(entity_id)
        outcome = self._outcome(key)
        levels = self._compiler.levels(key)

        def arn_of(position: int) -> str | None:
            found = dict(outcome.arns).get(position)
            if found is not None:
                return found
            start, end, _mask = self._space.mask(namespace)
            plan = self._checker.plan(levels)
            return self._checker.check(plan, start, end, position, Budget()).witness

        return explain_combination(
            Combination(
                namespace=namespace,
                path=path,
                policy_id=policy_id,
                levels=levels,
                level_ids=level_ids,
                outcome=outcome,
                space=self._space,
                precise=self.resources == "precise",
                arn_of=arn_of,
            )
        )

    def __repr__(self) -> str:
        return (
            f"<Evaluator {self.organization.id} over {self.catalog!r}, resources={self.resources}, "
            f"{len(self._outcomes)} combinations cached>"
        )

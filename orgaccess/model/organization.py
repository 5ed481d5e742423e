"""The immutable model of an AWS Organization: root, OUs, accounts, SCPs and attachments.

Build one in code with :class:`OrganizationBuilder`, or load a snapshot with
:func:`orgaccess.load_organization`.

>>> b = OrganizationBuilder(
...     organization_id="o-a1b2c3d4e5", root_id="r-f6g7", management_account_id="111111111111"
... )
>>> _ = b.add_ou("ou-f6g7-aaaaaaaa", parent="r-f6g7", name="Prod")
>>> _ = b.add_account("222222222222", parent="ou-f6g7-aaaaaaaa", name="prod")
>>> _ = b.add_account("111111111111", parent="r-f6g7", name="management")
>>> org = b.build()
>>> str(org.path_of("222222222222"))
'o-a1b2c3d4e5/r-f6g7/ou-f6g7-aaaaaaaa/222222222222'
>>> [p.id for p in org.scps_attached("222222222222")]
[PolicyId('p-FullAWSAccess')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from ..errors import Problem, SnapshotError, UnknownEntityError, UnknownPolicyError
from ._structure import RawProblem, StructureIndex, index_structure
from .ids import (
    AccountId,
    EntityId,
    EntityPath,
    OrganizationId,
    OuId,
    PolicyId,
    RootId,
    parse_entity_id,
)
from .policy import PolicyDocument, parse_policy_document

__all__ = [
    "FULL_AWS_ACCESS",
    "FULL_AWS_ACCESS_ID",
    "MAX_SCPS_PER_TARGET",
    "SCP_TYPE",
    "Account",
    "Entity",
    "Organization",
    "OrganizationBuilder",
    "OrganizationalUnit",
    "Policy",
    "Root",
    "full_aws_access",
]

SCP_TYPE = "SERVICE_CONTROL_POLICY"
FULL_AWS_ACCESS_ID = PolicyId("p-FullAWSAccess")
MAX_SCPS_PER_TARGET = 5
_FULL_AWS_ACCESS_TEXT = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
)


@attrs.frozen(kw_only=True)
class Root:
    """The organization root. ``scp_enabled``: whether the SCP policy type is ENABLED on it."""

    id: RootId = attrs.field(converter=RootId)
    name: str = "Root"
    arn: str | None = None
    scp_enabled: bool = True
    scp_status: str | None = attrs.field(default=None, eq=False)


@attrs.frozen(kw_only=True)
class OrganizationalUnit:
    """An organizational unit and the id of its parent (the root or another OU)."""

    id: OuId = attrs.field(converter=OuId)
    parent_id: RootId | OuId = attrs.field(converter=parse_entity_id)
    name: str = ""
    arn: str | None = None


@attrs.frozen(kw_only=True)
class Account:
    """A member account (or the management account) and the id of its parent."""

    id: AccountId = attrs.field(converter=AccountId)
    parent_id: RootId | OuId = attrs.field(converter=parse_entity_id)
    name: str = ""
    arn: str | None = None
    email: str | None = None
    status: str | None = None
    state: str | None = None
    joined_method: str | None = None
    joined_timestamp: datetime | None = None


Entity = Root | OrganizationalUnit | Account


@attrs.frozen(kw_only=True)
class Policy:
    """A policy of the organization. Only ``SERVICE_CONTROL_POLICY`` ones limit access."""

    id: PolicyId = attrs.field(converter=PolicyId)
    name: str
    document: PolicyDocument
    type: str = SCP_TYPE
    description: str = ""
    aws_managed: bool = False
    arn: str | None = None

    @property
    def is_scp(self) -> bool:
        """Whether the policy is a service control policy."""
        return self.type == SCP_TYPE

    @property
    def content(self) -> str:
        """The policy text as AWS stores it."""
        return self.document.text


def full_aws_access() -> Policy:
    """AWS's managed ``p-FullAWSAccess`` SCP (Allow ``*`` on ``*``)."""
    return Policy(
        id=FULL_AWS_ACCESS_ID,
        name="FullAWSAccess",
        description="Allows access to every operation",
        aws_managed=True,
        document=parse_policy_document(_FULL_AWS_ACCESS_TEXT),
        arn="arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
    )


#: The managed allow-all SCP.
FULL_AWS_ACCESS = full_aws_access()


def _sorted_by_id(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(sorted(items, key=lambda item: str(item.id)))


def _attachments(pairs: Iterable[tuple[str, str]]) -> frozenset[tuple[PolicyId, EntityId]]:
    return frozenset((PolicyId(p), parse_entity_id(t)) for p, t in pairs)


#: ``locate(kind, id)`` gives the location to report a problem of an entity at.
Locator = Callable[[str, str], str]


def _default_locator(kind: str, ident: str) -> str:
    return f"{kind} {ident}"


class _StructureError(SnapshotError):
    """A SnapshotError that keeps each problem's entity, so :meth:`Organization.checked`
    can place it where the caller's input had it."""

    def __init__(self, raw: list[RawProblem]) -> None:
        super().__init__(_located(raw, _default_locator))
        self.raw = tuple(raw)


def _located(raw: Iterable[RawProblem], locate: Locator) -> list[Problem]:
    return [Problem(location=locate(r.kind, r.ident), message=r.message) for r in raw]


@attrs.frozen(kw_only=True)
class Organization:
    """An immutable AWS Organization.

    ``attachments`` holds (policy id, target id) pairs for every policy type.
    OUs, accounts and policies are kept sorted by id, so two organizations
    with the same content are equal whatever order they were given in.
    Construction checks the structure and raises :class:`SnapshotError`
    listing every problem.
    """

    id: OrganizationId = attrs.field(converter=OrganizationId)
    management_account_id: AccountId = attrs.field(converter=AccountId)
    root: Root
    organizational_units: tuple[OrganizationalUnit, ...] = attrs.field(
        default=(), converter=_sorted_by_id
    )
    accounts: tuple[Account, ...] = attrs.field(default=(), converter=_sorted_by_id)
    policies: tuple[Policy, ...] = attrs.field(default=(), converter=_sorted_by_id)
    attachments: frozenset[tuple[PolicyId, EntityId]] = attrs.field(
        default=frozenset(), converter=_attachments
    )
    feature_set: str = "ALL"
    arn: str | None = None
    management_account_arn: str | None = None
    management_account_email: str | None = None

    _index: StructureIndex = attrs.field(init=False, eq=False, repr=False, hash=False)
    # A memo of accounts_in (the organization is immutable, so it never goes stale).
    _subtree_accounts: dict[str, tuple[AccountId, ...]] = attrs.field(
        init=False, eq=False, repr=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        index, problems = index_structure(
            org_id=self.id,
            management_account_id=self.management_account_id,
            root=self.root,
            members=(*self.organizational_units, *self.accounts),
            policies=self.policies,
            attachments=self.attachments,
            max_scps=MAX_SCPS_PER_TARGET,
        )
        if index is None:
            raise _StructureError(problems)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_subtree_accounts", {})

    @classmethod
    def checked(
        cls, *, locate: Locator, **fields: Any
    ) -> tuple[Organization | None, tuple[Problem, ...]]:
        """Build an organization, returning the structural problems instead of raising.

        ``locate(kind, id)`` names where each entity came from (the snapshot
        loader passes JSON locations).
        """
        try:
            return cls(**fields), ()
        except _StructureError as exc:
            return None, tuple(_located(exc.raw, locate))

    # -- lookups ------------------------------------------------------------
    @property
    def management_account(self) -> Account:
        """The management (formerly master) account."""
        entity = self._index.entities[str(self.management_account_id)]
        assert isinstance(entity, Account)
        return entity

    def is_management_account(self, entity_id: str) -> bool:
        """Whether ``entity_id`` is the management account."""
        return entity_id == self.management_account_id

    @property
    def scp_enabled(self) -> bool:
        """Whether SCPs are enabled on the root."""
        return self.root.scp_enabled

    def has_entity(self, entity_id: str) -> bool:
        """Whether the root, an OU or an account has this id."""
        return entity_id in self._index.entities

    def entity(self, entity_id: str) -> Entity:
        """The root, OU or account with this id; :class:`UnknownEntityError` otherwise."""
        try:
            return self._index.entities[entity_id]
        except KeyError:
            raise UnknownEntityError(
                f"{entity_id!r} is not the root, an OU or an account of organization {self.id}"
            ) from None

    def account(self, account_id: str) -> Account:
        """The account with this id; :class:`UnknownEntityError` otherwise."""
        entity = self.entity(account_id)
        if not isinstance(entity, Account):
            raise UnknownEntityError(f"{account_id!r} is not an account of organization {self.id}")
        return entity

    def policy(self, policy_id: str) -> Policy:
        """The policy with this id; :class:`UnknownPolicyError` otherwise."""
        try:
            return self._index.policies[policy_id]
        except KeyError:
            raise UnknownPolicyError(
                f"policy {policy_id!r} does not exist in organization {self.id}"
            ) from None

    def has_policy(self, policy_id: str) -> bool:
        """Whether a policy has this id."""
        return policy_id in self._index.policies

    @property
    def scps(self) -> tuple[Policy, ...]:
        """Every service control policy, by id."""
        return tuple(p for p in self.policies if p.is_scp)

    # -- the tree -----------------------------------------------------------
    def path_of(self, entity_id: str) -> EntityPath:
        """The entity path of the root, an OU or an account."""
        self.entity(entity_id)
        return self._index.paths[entity_id]

    def resolve(self, path: EntityPath | str) -> EntityId:
        """The id a path ends at, checking that each element is the parent of the next.

        Raises :class:`UnknownEntityError` if the path does not exist in this
        organization (unknown id, another organization, or a wrong parent chain).
        """
        if isinstance(path, str):
            path = EntityPath.parse(path)
        if path.organization_id != self.id:
            raise UnknownEntityError(
                f"entity path {path} names organization {path.organization_id}, not {self.id}"
            )
        target = path.target
        if target not in self._index.paths or self._index.paths[str(target)] != path:
            raise UnknownEntityError(f"entity path {path} does not exist in organization {self.id}")
        return target

    def parent_of(self, entity_id: str) -> RootId | OuId | None:
        """The parent id of an OU or account; ``None`` for the root."""
        entity = self.entity(entity_id)
        return None if isinstance(entity, Root) else entity.parent_id

    def parent_chain(self, entity_id: str) -> tuple[EntityId, ...]:
        """The ids from the root down to ``entity_id`` (both included)."""
        return self.path_of(entity_id).entities

    def children_of(self, entity_id: str) -> tuple[EntityId, ...]:
        """The direct children (OUs and accounts) of the root or an OU, by id."""
        self.entity(entity_id)
        return self._index.children.get(entity_id, ())

    def accounts_in(self, entity_id: str) -> tuple[AccountId, ...]:
        """Every account in the subtree of ``entity_id`` (itself, if it is an account), sorted."""
        entity = self.entity(entity_id)
        if isinstance(entity, Account):
            return (entity.id,)
        cached = self._subtree_accounts.get(entity_id)
        if cached is not None:
            return cached
        found: list[AccountId] = []
        stack = [entity_id]
        while stack:
            for child in self._index.children.get(stack.pop(), ()):
                if isinstance(child, AccountId):
                    found.append(child)
                else:
                    stack.append(child)
        result = self._subtree_accounts[entity_id] = tuple(sorted(found))
        return result

    def descendants(self, entity_id: str) -> tuple[EntityId, ...]:
        """Every entity strictly below ``entity_id``."""
        self.entity(entity_id)
        found: list[EntityId] = []
        stack = [entity_id]
        while stack:
            for child in self._index.children.get(stack.pop(), ()):
                found.append(child)
                stack.append(child)
        return tuple(sorted(found))

    # -- policies -----------------------------------------------------------
    def scps_attached(self, entity_id: str) -> tuple[Policy, ...]:
        """The SCPs attached directly to an entity, by id."""
        self.entity(entity_id)
        policies = (self._index.policies[p] for p in self._index.by_target.get(entity_id, ()))
        return tuple(p for p in policies if p.is_scp)

    def scp_ids_attached(self, entity_id: str) -> frozenset[PolicyId]:
        """The ids of the SCPs attached directly to an entity."""
        return frozenset(p.id for p in self.scps_attached(entity_id))

    def scps_in_force(
        self, entity: str | EntityPath
    ) -> tuple[tuple[EntityId, tuple[Policy, ...]], ...]:
        """The SCPs attached at each level from the root down to ``entity``."""
        entity_id = self.resolve(entity) if isinstance(entity, EntityPath) else entity
        return tuple((level, self.scps_attached(level)) for level in self.parent_chain(entity_id))

    def targets_of(self, policy_id: str) -> frozenset[EntityId]:
        """Where a policy is attached (directly)."""
        self.policy(policy_id)
        return self._index.by_policy.get(policy_id, frozenset())

    # -- changes ------------------------------------------------------------
    def evolve(self, **changes: Any) -> Organization:
        """A copy with some fields changed (checked again)."""
        return attrs.evolve(self, **changes)

    def with_attachment(self, policy_id: str, target: str) -> Organization:
        """A copy with ``policy_id`` also attached to ``target``."""
        return self.evolve(
            attachments=self.attachments | {(PolicyId(policy_id), parse_entity_id(target))}
        )

    def without_attachment(self, policy_id: str, target: str) -> Organization:
        """A copy with ``policy_id`` detached from ``target``."""
        return self.evolve(
            attachments=self.attachments - {(PolicyId(policy_id), parse_entity_id(target))}
        )

    def with_policy(self, policy: Policy) -> Organization:
        """A copy with ``policy`` added (or replaced, if one has its id)."""
        others = [p for p in self.policies if p.id != policy.id]
        return self.evolve(policies=(*others, policy))

    def __repr__(self) -> str:
        return (
            f"<Organization {self.id}: {len(self.organizational_units)} OUs, "
            f"{len(self.accounts)} accounts, {len(self.policies)} policies>"
        )


class OrganizationBuilder:
    """Build an :class:`Organization` in code, step by step.

    Every entity added without ``scps=`` gets ``default_scps`` attached (AWS
    attaches FullAWSAccess to every new root, OU and account). The
    management account must be added with :meth:`add_account` like any other.
    """

    def __init__(
        self,
        *,
        organization_id: str,
        root_id: str,
        management_account_id: str,
        scp_enabled: bool = True,
        root_scps: Iterable[str] | None = None,
        default_scps: Iterable[str] = (FULL_AWS_ACCESS_ID,),
    ) -> None:
        self._org_id = OrganizationId(organization_id)
        self._root = Root(id=root_id, scp_enabled=scp_enabled)
        self._management = AccountId(management_account_id)
        self._default = tuple(PolicyId(p) for p in default_scps)
        self._ous: list[OrganizationalUnit] = []
        self._accounts: list[Account] = []
        self._policies: dict[str, Policy] = {str(FULL_AWS_ACCESS_ID): FULL_AWS_ACCESS}
        self._attachments: set[tuple[PolicyId, EntityId]] = set()
        self._attach_all(self._root.id, root_scps)

    def _attach_all(self, target: EntityId, scps: Iterable[str] | None) -> None:
        if not self._root.scp_enabled and scps is None:
            return
        for policy in self._default if scps is None else scps:
            self._attachments.add((PolicyId(policy), target))

    def add_policy(
        self,
        policy_id: str,
        document: str | Mapping[str, Any] | PolicyDocument,
        *,
        name: str | None = None,
        description: str = "",
        aws_managed: bool = False,
        type: str = SCP_TYPE,
        targets: Iterable[str] = (),
    ) -> OrganizationBuilder:
        """Add a policy (its document as JSON text, a mapping or a parsed document)."""
        pid = PolicyId(policy_id)
        doc = (
            document
            if isinstance(document, PolicyDocument)
            else parse_policy_document(document, name=str(pid))
        )
        self._policies[str(pid)] = Policy(
            id=pid,
            name=name or str(pid),
            document=doc,
            description=description,
            aws_managed=aws_managed,
            type=type,
        )
        for target in targets:
            self.attach(pid, target)
        return self

    def add_ou(
        self, ou_id: str, *, parent: str, name: str = "", scps: Iterable[str] | None = None
    ) -> OrganizationBuilder:
        """Add an OU under ``parent`` (the root or another OU)."""
        ou = OrganizationalUnit(id=ou_id, parent_id=parent, name=name or ou_id)
        self._ous.append(ou)
        self._attach_all(ou.id, scps)
        return self

    def add_account(
        self,
        account_id: str,
        *,
        parent: str,
        name: str = "",
        email: str | None = None,
        scps: Iterable[str] | None = None,
    ) -> OrganizationBuilder:
        """Add an account under ``parent`` (the root or an OU)."""
        account = Account(id=account_id, parent_id=parent, name=name or account_id, email=email)
        self._accounts.append(account)
        self._attach_all(account.id, scps)
        return self

    def attach(self, policy_id: str, target: str) -> OrganizationBuilder:
        """Attach a policy to the root, an OU or an account."""
        self._attachments.add((PolicyId(policy_id), parse_entity_id(target)))
        return self

    def detach(self, policy_id: str, target: str) -> OrganizationBuilder:
        """Detach a policy from a target (no error if it was not attached)."""
        self._attachments.discard((PolicyId(policy_id), parse_entity_id(target)))
        return self

    def set_scps(self, target: str, scps: Iterable[str]) -> OrganizationBuilder:
        """Make ``scps`` exactly the SCPs attached to ``target``."""
        entity = parse_entity_id(target)
        self._attachments = {(p, t) for p, t in self._attachments if t != entity}
        for policy in scps:
            self._attachments.add((PolicyId(policy), entity))
        return self

    def build(self) -> Organization:
        """The organization; :class:`SnapshotError` lists every structural problem."""
        used = {str(p) for p, _ in self._attachments}
        policies = [
            p for key, p in self._policies.items() if key != FULL_AWS_ACCESS_ID or key in used
        ]
        return Organization(
            id=self._org_id,
            management_account_id=self._management,
            root=self._root,
            organizational_units=tuple(self._ous),
            accounts=tuple(self._accounts),
            policies=tuple(policies),
            attachments=frozenset(self._attachments),
        )

"""Proposed SCP changes: typed, immutable edits and the organization they lead to.

An edit is one call AWS Organizations would take:

========================  =========================================================
edit                      AWS call
========================  =========================================================
:class:`AttachPolicy`     ``CreatePolicy`` (for a new document) + ``AttachPolicy``
:class:`DetachPolicy`     ``DetachPolicy``
:class:`ReplacePolicy`    ``UpdatePolicy`` with new ``Content``
:class:`MoveAccount`      ``MoveAccount``
========================  =========================================================

:func:`apply_changes` applies a sequence of edits in order, as the calls
would run one after another, and returns the new :class:`Organization`.
An edit AWS would refuse (an unknown target or policy, a policy attached
twice, a detach that leaves an entity with no SCP, more than five SCPs on a
target, a document that is malformed or over 5,120 characters, ...) is
skipped and recorded; the edits after it are still checked, so one
:class:`~orgaccess.errors.ChangeSetError` lists every refusal at once.

>>> from orgaccess.model.organization import OrganizationBuilder
>>> b = OrganizationBuilder(
...     organization_id="o-a1b2c3d4e5", root_id="r-f6g7", management_account_id="111111111111"
... )
>>> _ = b.add_ou("ou-f6g7-aaaaaaaa", parent="r-f6g7", name="Prod")
>>> _ = b.add_account("111111111111", parent="r-f6g7")
>>> _ = b.add_account("222222222222", parent="ou-f6g7-aaaaaaaa")
>>> org = b.build()
>>> deny = ProposedPolicy(
...     document='{"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}',
...     id="p-denys3only",
...     name="DenyS3",
... )
>>> after = apply_changes(org, [AttachPolicy(policy=deny, target="ou-f6g7-aaaaaaaa")])
>>> sorted(str(p.id) for p in after.scps_attached("ou-f6g7-aaaaaaaa"))
['p-FullAWSAccess', 'p-denys3only']
>>> from orgaccess.errors import ChangeSetError
>>> try:
...     apply_changes(org, [DetachPolicy(policy_id="p-FullAWSAccess", target="222222222222"),
...                         MoveAccount(account_id="333333333333", parent_id="r-f6g7")])
... except ChangeSetError as exc:
...     for problem in exc.problems:
...         print(problem.location, "->", problem.message.split(" ")[0].rstrip(":"))
changes[0] (detach p-FullAWSAccess from 222222222222) -> ConstraintViolationException
changes[1] (move 333333333333 to r-f6g7) -> AccountNotFoundException
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..errors import ChangeSetError, PolicyDocumentError, Problem
from .ids import AccountId, EntityId, OuId, PolicyId, RootId, parse_entity_id
from .organization import (
    MAX_SCPS_PER_TARGET,
    Account,
    Organization,
    Policy,
)
from .policy import SCP_MAX_CHARACTERS, PolicyDocument, parse_policy_document

__all__ = [
    "AttachPolicy",
    "Change",
    "DetachPolicy",
    "MoveAccount",
    "ProposedPolicy",
    "ReplacePolicy",
    "apply_changes",
    "inverse_of",
]


def _document_text(value: str | Mapping[str, Any] | PolicyDocument) -> str:
    """The policy text as AWS would store it (a mapping is written compactly)."""
    if isinstance(value, PolicyDocument):
        return value.text
    if isinstance(value, Mapping):
        return json.dumps(value, separators=(",", ":"))
    if not isinstance(value, str):
        raise TypeError(
            f"a policy document must be JSON text, a mapping or a PolicyDocument, got "
            f"{type(value).__name__}"
        )
    return value


def _proposed_id(text: str) -> PolicyId:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return PolicyId(f"p-proposed_{digest}")


@attrs.frozen(kw_only=True)
class ProposedPolicy:
    """A new SCP given by its document; it is created when an :class:`AttachPolicy` needs it.

    ``document`` is kept as text, unparsed, so that a malformed or too long
    document is reported with the other refused changes. Without ``id`` the
    policy gets ``p-proposed_`` and 12 hex digits of the text's SHA-256 (the
    same document, the same id); without ``name``, its id.
    """

    document: str = attrs.field(converter=_document_text)
    id: PolicyId = attrs.field(converter=PolicyId)
    name: str = ""

    @id.default
    def _default_id(self) -> PolicyId:
        return _proposed_id(self.document)

    def __str__(self) -> str:
        return f"{self.id} ({self.name})" if self.name else str(self.id)


def _policy_ref(value: PolicyId | ProposedPolicy | str) -> PolicyId | ProposedPolicy:
    return value if isinstance(value, ProposedPolicy) else PolicyId(value)


@attrs.frozen(kw_only=True)
class AttachPolicy:
    """Attach an existing SCP (by id) or a new one (:class:`ProposedPolicy`) to a target."""

    policy: PolicyId | ProposedPolicy = attrs.field(converter=_policy_ref)
    target: EntityId = attrs.field(converter=parse_entity_id)

    @property
    def policy_id(self) -> PolicyId:
        """The id of the attached policy."""
        return self.policy.id if isinstance(self.policy, ProposedPolicy) else self.policy

    def __str__(self) -> str:
        return f"attach {self.policy} to {self.target}"


@attrs.frozen(kw_only=True)
class DetachPolicy:
    """Detach an SCP from a target."""

    policy_id: PolicyId = attrs.field(converter=PolicyId)
    target: EntityId = attrs.field(converter=parse_entity_id)

    def __str__(self) -> str:
        return f"detach {self.policy_id} from {self.target}"


@attrs.frozen(kw_only=True)
class ReplacePolicy:
    """Replace the content of an existing (customer-managed) SCP, wherever it is attached."""

    policy_id: PolicyId = attrs.field(converter=PolicyId)
    document: str = attrs.field(converter=_document_text)

    def __str__(self) -> str:
        return f"replace the content of {self.policy_id}"


@attrs.frozen(kw_only=True)
class MoveAccount:
    """Move an account to another parent (the root or an OU)."""

    account_id: AccountId = attrs.field(converter=AccountId)
    parent_id: RootId | OuId = attrs.field(converter=parse_entity_id)

    def __str__(self) -> str:
        return f"move {self.account_id} to {self.parent_id}"


#: One edit of a change set.
Change = AttachPolicy | DetachPolicy | ReplacePolicy | MoveAccount


class _State:
    """The organization being edited: the few mutable indexes the checks need."""

    def __init__(self, org: Organization) -> None:
        self.org = org
        self.policies: dict[str, Policy] = {str(p.id): p for p in org.policies}
        self.attachments: set[tuple[PolicyId, EntityId]] = set(org.attachments)
        self.scps_on: dict[str, set[PolicyId]] = {}
        for policy_id, target in org.attachments:
            if self.policies[str(policy_id)].is_scp:
                self.scps_on.setdefault(str(target), set()).add(policy_id)
        self.parents: dict[str, RootId | OuId] = {str(a.id): a.parent_id for a in org.accounts}
        self.replaced: dict[str, Policy] = {}

    def build(self) -> Organization:
        org = self.org
        accounts = tuple(
            a
            if a.parent_id == self.parents[str(a.id)]
            else attrs.evolve(a, parent_id=self.parents[str(a.id)])
            for a in org.accounts
        )
        return org.evolve(
            policies=tuple(self.policies.values()),
            attachments=frozenset(self.attachments),
            accounts=accounts,
        )


def _parse(text: str, name: str) -> tuple[PolicyDocument | None, str | None]:
    """The parsed document, or the AWS refusal of it."""
    if len(text) > SCP_MAX_CHARACTERS:
        return None, (
            "ConstraintViolationException (POLICY_CONTENT_LIMIT_EXCEEDED): the document has "
            f"{len(text)} characters; an SCP may have at most {SCP_MAX_CHARACTERS}"
        )
    try:
        return parse_policy_document(text, name=name), None
    except PolicyDocumentError as exc:
        return None, f"MalformedPolicyDocumentException: {exc.message}"


def _check_scps_enabled(state: _State) -> str | None:
    if state.org.scp_enabled:
        return None
    return (
        "PolicyTypeNotEnabledException: the SERVICE_CONTROL_POLICY type is not enabled on root "
        f"{state.org.root.id}"
    )


def _unknown_target(state: _State, target: EntityId) -> str | None:
    if state.org.has_entity(target):
        return None
    return f"TargetNotFoundException: {target} is not the root, an OU or an account of " + str(
        state.org.id
    )


def _apply_attach(state: _State, change: AttachPolicy) -> list[str]:
    refusals = [r for r in (_check_scps_enabled(state), _unknown_target(state, change.target)) if r]
    pid = change.policy_id
    new_policy: Policy | None = None
    if isinstance(change.policy, ProposedPolicy):
        proposed = change.policy
        existing = state.policies.get(str(pid))
        if existing is not None and existing.content != proposed.document:
            refusals.append(
                f"DuplicatePolicyException: a policy with id {pid} and other content exists"
            )
        elif existing is None:
            document, refusal = _parse(proposed.document, str(pid))
            if refusal is not None:
                refusals.append(refusal)
            else:
                assert document is not None
                new_policy = Policy(id=pid, name=proposed.name or str(pid), document=document)
    elif str(pid) not in state.policies:
        refusals.append(f"PolicyNotFoundException: policy {pid} does not exist in {state.org.id}")
    elif not state.policies[str(pid)].is_scp:
        refusals.append(
            f"InvalidInputException: policy {pid} is a {state.policies[str(pid)].type}, not an SCP"
        )
    if refusals:
        return refusals
    on_target = state.scps_on.setdefault(str(change.target), set())
    if pid in on_target:
        return [f"DuplicatePolicyAttachmentException: {pid} is already attached to {change.target}"]
    if len(on_target) >= MAX_SCPS_PER_TARGET:
        return [
            "ConstraintViolationException (POLICY_NUMBER_LIMIT_EXCEEDED): "
            f"{change.target} already has {len(on_target)} SCPs; AWS allows at most "
            f"{MAX_SCPS_PER_TARGET}"
        ]
    if new_policy is not None:
        state.policies[str(pid)] = new_policy
    on_target.add(pid)
    state.attachments.add((pid, change.target))
    return []


def _apply_detach(state: _State, change: DetachPolicy) -> list[str]:
    refusals = [r for r in (_check_scps_enabled(state), _unknown_target(state, change.target)) if r]
    pid = change.policy_id
    if str(pid) not in state.policies:
        refusals.append(f"PolicyNotFoundException: policy {pid} does not exist in {state.org.id}")
    if refusals:
        return refusals
    on_target = state.scps_on.get(str(change.target), set())
    if (pid, change.target) not in state.attachments:
        return [f"PolicyNotAttachedException: {pid} is not attached to {change.target}"]
    if pid in on_target and len(on_target) == 1:
        return [
            "ConstraintViolationException (MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED): "
            f"{change.target} would have no SCP attached; AWS keeps at least one on every root, "
            "OU and account"
        ]
    on_target.discard(pid)
    state.attachments.discard((pid, change.target))
    return []


def _apply_replace(state: _State, change: ReplacePolicy) -> list[str]:
    pid = change.policy_id
    policy = state.policies.get(str(pid))
    if policy is None:
        return [f"PolicyNotFoundException: policy {pid} does not exist in {state.org.id}"]
    if policy.aws_managed:
        return [f"PolicyChangesNotAllowedException: {pid} is managed by AWS and cannot be edited"]
    if not policy.is_scp:
        return [f"InvalidInputException: policy {pid} is a {policy.type}, not an SCP"]
    document, refusal = _parse(change.document, str(pid))
    if refusal is not None:
        return [refusal]
    assert document is not None
    state.policies[str(pid)] = attrs.evolve(policy, document=document)
    return []


def _apply_move(state: _State, change: MoveAccount) -> list[str]:
    org = state.org
    refusals: list[str] = []
    current = state.parents.get(str(change.account_id))
    if current is None:
        refusals.append(
            f"AccountNotFoundException: {change.account_id} is not an account of organization "
            f"{org.id}"
        )
    if not org.has_entity(change.parent_id) or isinstance(org.entity(change.parent_id), Account):
        refusals.append(
            f"DestinationParentNotFoundException: {change.parent_id} is not the root or an OU of "
            f"organization {org.id}"
        )
    if refusals:
        return refusals
    if current == change.parent_id:
        return [f"DuplicateAccountException: {change.account_id} is already in {change.parent_id}"]
    state.parents[str(change.account_id)] = change.parent_id
    return []


def apply_changes(organization: Organization, changes: Iterable[Change]) -> Organization:
    """The organization after ``changes``, applied in order as AWS would run the calls.

    Raises :class:`~orgaccess.errors.ChangeSetError` listing every edit AWS
    would refuse (each is checked against the state the edits before it left).
    """
    state = _State(organization)
    problems: list[Problem] = []
    for i, change in enumerate(changes):
        if isinstance(change, AttachPolicy):
            refusals = _apply_attach(state, change)
        elif isinstance(change, DetachPolicy):
            refusals = _apply_detach(state, change)
        elif isinstance(change, ReplacePolicy):
            refusals = _apply_replace(state, change)
        elif isinstance(change, MoveAccount):
            refusals = _apply_move(state, change)
        else:
            raise TypeError(
                f"changes[{i}] is a {type(change).__name__}, not AttachPolicy, DetachPolicy, "
                "ReplacePolicy or MoveAccount"
            )
        problems.extend(Problem(location=f"changes[{i}] ({change})", message=r) for r in refusals)
    if problems:
        raise ChangeSetError(problems)
    return state.build()


def inverse_of(organization: Organization, change: Change) -> Change:
    """The edit that undoes ``change`` once it has been applied to ``organization``.

    ``organization`` is the organization *before* ``change`` (its old
    content or parent is what the inverse restores).
    """
    if isinstance(change, AttachPolicy):
        return DetachPolicy(policy_id=change.policy_id, target=change.target)
    if isinstance(change, DetachPolicy):
        return AttachPolicy(policy=change.policy_id, target=change.target)
    if isinstance(change, ReplacePolicy):
        return ReplacePolicy(
            policy_id=change.policy_id, document=organization.policy(change.policy_id).content
        )
    parent = organization.parent_of(change.account_id)
    assert parent is not None
    return MoveAccount(account_id=change.account_id, parent_id=parent)

"""The structural index of an organization, and every structural problem found building it.

Private to :mod:`orgaccess.model`. :func:`index_structure` takes the parts
of an organization and returns its lookup tables (:class:`StructureIndex`),
or the problems that make it no organization: duplicate ids, unknown or
account parents, OUs nested too deep, entities unreachable from the root (a
cycle of parents), a management account that is not an account, attachments
of unknown policies or to unknown targets, and SCP counts AWS would refuse.
A problem names the kind and id of the entity at fault (:class:`RawProblem`);
the caller turns that into a location (a JSON pointer for a snapshot).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from .ids import MAX_OU_DEPTH, AccountId, EntityId, EntityPath, OrganizationId, OuId, PolicyId

if TYPE_CHECKING:
    from .organization import Account, Entity, OrganizationalUnit, Policy, Root

__all__ = ["RawProblem", "StructureIndex", "index_structure"]


@attrs.frozen
class RawProblem:
    """One structural problem: the kind and id of the entity at fault, and what is wrong."""

    kind: str
    ident: str
    message: str


@attrs.frozen(kw_only=True)
class StructureIndex:
    """Lookup tables of a valid organization (built once; never mutated)."""

    entities: Mapping[str, Entity]
    policies: Mapping[str, Policy]
    children: Mapping[str, tuple[EntityId, ...]]
    by_target: Mapping[str, tuple[PolicyId, ...]]
    by_policy: Mapping[str, frozenset[EntityId]]
    paths: Mapping[str, EntityPath]


def _kind(node: Entity) -> str:
    if isinstance(node.id, AccountId):
        return "account"
    return "ou" if isinstance(node.id, OuId) else "root"


def _is_account(node: Entity | None) -> bool:
    return node is not None and isinstance(node.id, AccountId)


def _entities(
    root: Root, members: Sequence[OrganizationalUnit | Account], out: list[RawProblem]
) -> dict[str, Entity]:
    entities: dict[str, Entity] = {str(root.id): root}
    for node in members:
        key = str(node.id)
        if key in entities:
            out.append(RawProblem(_kind(node), key, f"duplicate id {key}"))
            continue
        entities[key] = node
    return entities


def _policies(policies: Iterable[Policy], out: list[RawProblem]) -> dict[str, Policy]:
    index: dict[str, Policy] = {}
    for policy in policies:
        if str(policy.id) in index:
            out.append(RawProblem("policy", str(policy.id), f"duplicate policy {policy.id}"))
        index[str(policy.id)] = policy
    return index


def _children(
    entities: Mapping[str, Entity],
    members: Sequence[OrganizationalUnit | Account],
    out: list[RawProblem],
) -> dict[str, list[EntityId]]:
    children: dict[str, list[EntityId]] = {key: [] for key in entities}
    for node in members:
        parent = entities.get(str(node.parent_id))
        if parent is None:
            message = f"parent {node.parent_id} of {node.id} does not exist"
        elif _is_account(parent):
            message = f"parent {node.parent_id} of {node.id} is an account"
        else:
            children[str(node.parent_id)].append(node.id)
            continue
        out.append(RawProblem(_kind(node), str(node.id), message))
    return children


def _paths(
    org_id: OrganizationId,
    root: Root,
    children: Mapping[str, list[EntityId]],
    out: list[RawProblem],
) -> tuple[dict[str, EntityPath], set[str]]:
    """Every reachable entity's path, walking down from the root; OUs nested too deep."""
    paths = {str(root.id): EntityPath(organization_id=org_id, root_id=root.id)}
    stack: list[tuple[str, tuple[OuId, ...]]] = [(str(root.id), ())]
    too_deep: set[str] = set()
    while stack:
        key, ous = stack.pop()
        for child in children.get(key, ()):
            if isinstance(child, AccountId):
                paths[str(child)] = EntityPath(
                    organization_id=org_id, root_id=root.id, ou_ids=ous, account_id=child
                )
                continue
            assert isinstance(child, OuId)
            if len(ous) >= MAX_OU_DEPTH:
                too_deep.add(str(child))
                out.append(
                    RawProblem(
                        "ou",
                        str(child),
                        f"OU {child} is nested more than {MAX_OU_DEPTH} levels below the root",
                    )
                )
                continue
            new = (*ous, child)
            paths[str(child)] = EntityPath(organization_id=org_id, root_id=root.id, ou_ids=new)
            stack.append((str(child), new))
    return paths, too_deep


def _unreachable(
    entities: Mapping[str, Entity],
    members: Sequence[OrganizationalUnit | Account],
    paths: Mapping[str, EntityPath],
    too_deep: set[str],
    out: list[RawProblem],
) -> None:
    """Entities with a valid parent that the walk from the root never reached: a cycle."""
    for node in members:
        key, parent = str(node.id), str(node.parent_id)
        if key in paths or key in too_deep or parent not in entities:
            continue
        if _is_account(entities[parent]) or entities.get(key) is not node:
            continue  # reported already (an account parent, a duplicate)
        out.append(
            RawProblem(
                _kind(node),
                key,
                f"{key} is not reachable from the root (a cycle of parents, or below an OU "
                "that is)",
            )
        )


def _attachments(
    attachments: Iterable[tuple[PolicyId, EntityId]],
    entities: Mapping[str, Entity],
    policies: Mapping[str, Policy],
    out: list[RawProblem],
) -> tuple[dict[str, list[PolicyId]], dict[str, set[EntityId]]]:
    by_target: dict[str, list[PolicyId]] = {}
    by_policy: dict[str, set[EntityId]] = {}
    for policy_id, target in sorted(attachments):
        where = f"{policy_id}->{target}"
        if str(policy_id) not in policies:
            message = f"policy {policy_id} is attached to {target} but is not one of the policies"
            out.append(RawProblem("attachment", where, message))
        elif str(target) not in entities:
            message = f"policy {policy_id} is attached to unknown target {target}"
            out.append(RawProblem("attachment", where, message))
        else:
            by_target.setdefault(str(target), []).append(policy_id)
            by_policy.setdefault(str(policy_id), set()).add(target)
    return by_target, by_policy


def _scp_counts(
    root: Root,
    entities: Mapping[str, Entity],
    policies: Mapping[str, Policy],
    by_target: Mapping[str, list[PolicyId]],
    max_scps: int,
    out: list[RawProblem],
) -> None:
    for key, entity in entities.items():
        scps = [p for p in by_target.get(key, ()) if policies[str(p)].is_scp]
        if root.scp_enabled and not scps:
            message = (
                f"{key} has no SCP attached while SCPs are enabled "
                "(AWS keeps at least one on every root, OU and account)"
            )
            out.append(RawProblem(_kind(entity), key, message))
        if len(scps) > max_scps:
            message = f"{key} has {len(scps)} SCPs attached; AWS allows at most {max_scps}"
            out.append(RawProblem(_kind(entity), key, message))


def index_structure(
    *,
    org_id: OrganizationId,
    management_account_id: AccountId,
    root: Root,
    members: Sequence[OrganizationalUnit | Account],
    policies: Iterable[Policy],
    attachments: Iterable[tuple[PolicyId, EntityId]],
    max_scps: int,
) -> tuple[StructureIndex | None, list[RawProblem]]:
    """The index of a valid organization, or ``None`` and every problem found."""
    out: list[RawProblem] = []
    entities = _entities(root, members, out)
    policy_index = _policies(policies, out)
    children = _children(entities, members, out)
    paths, too_deep = _paths(org_id, root, children, out)
    _unreachable(entities, members, paths, too_deep, out)
    if not _is_account(entities.get(str(management_account_id))):
        message = f"management account {management_account_id} is not one of the accounts"
        out.append(RawProblem("organization", str(org_id), message))
    by_target, by_policy = _attachments(attachments, entities, policy_index, out)
    _scp_counts(root, entities, policy_index, by_target, max_scps, out)
    if out:
        return None, out
    index = StructureIndex(
        entities=entities,
        policies=policy_index,
        children={k: tuple(sorted(v)) for k, v in children.items()},
        by_target={k: tuple(v) for k, v in by_target.items()},
        by_policy={k: frozenset(v) for k, v in by_policy.items()},
        paths=paths,
    )
    return index, []

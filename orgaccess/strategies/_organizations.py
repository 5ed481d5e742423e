"""Valid organizations and entity paths."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from ..model.catalog import ServiceCatalog
from ..model.ids import (
    MAX_OU_DEPTH,
    EntityId,
    EntityPath,
    OuId,
    PolicyId,
    RootId,
)
from ..model.organization import (
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_ID,
    MAX_SCPS_PER_TARGET,
    Account,
    Organization,
    OrganizationalUnit,
    Policy,
    Root,
)
from ..model.policy import PolicyDocument
from ._common import (
    _MAX_STATEMENTS,
    _OTHER_POLICY_TYPES,
    _check_catalog,
    _check_int,
    _check_order,
    checked_when_used,
)
from ._ids import (
    _custom_policy_ids,
    account_ids,
    organization_ids,
    ou_ids,
    root_ids,
)
from ._policies import (
    scp_documents,
)

# --------------------------------------------------------------------------- organizations


@functools.lru_cache(maxsize=64)
def _scp_documents(
    catalog: ServiceCatalog | None, max_statements: int
) -> st.SearchStrategy[PolicyDocument]:
    """``scp_documents(catalog=catalog, max_statements=max_statements)``, one object per options.

    Hypothesis validates and labels a strategy object on first use: drawing
    from the same object for every custom SCP of every organization, instead
    of a new equal one, saves most of the cost of a draw (same values drawn).
    """
    return scp_documents(catalog=catalog, max_statements=max_statements)


def _draw_tree(
    draw: st.DrawFn, root_id: RootId, min_ous: int, max_ous: int, max_depth: int
) -> tuple[list[OuId], list[RootId | OuId]]:
    """OU ids and their parents: each under the root or an earlier OU that is not too deep."""
    n_ous = draw(st.integers(min_ous, max_ous))
    ou_list = draw(st.lists(ou_ids(root_id=root_id), min_size=n_ous, max_size=n_ous, unique=True))
    depth: dict[str, int] = {root_id: 0}
    parents: list[RootId | OuId] = []
    for ou in ou_list:
        eligible: list[RootId | OuId] = [root_id]
        eligible.extend(o for o in ou_list[: len(parents)] if depth[o] < max_depth)
        # "nest under the previous OU" makes deep chains likely; it shrinks to a free choice.
        if len(eligible) > 1 and eligible[-1] == ou_list[len(parents) - 1] and draw(st.booleans()):
            parent = eligible[-1]
        else:
            parent = draw(st.sampled_from(eligible))
        parents.append(parent)
        depth[ou] = depth[parent] + 1
    return ou_list, parents


def _draw_policies(
    draw: st.DrawFn,
    catalog: ServiceCatalog | None,
    arn_head: str,
    org_id: str,
    entities: Sequence[EntityId],
    *,
    max_custom_scps: int,
    max_other_policies: int,
    max_statements: int,
) -> tuple[list[Policy], list[PolicyId], set[tuple[PolicyId, EntityId]]]:
    """FullAWSAccess, custom SCPs and policies of other types with their attachments."""
    n_custom = draw(st.integers(0, max_custom_scps))
    n_other = draw(st.integers(0, max_other_policies))
    policy_id_list = draw(
        st.lists(
            _custom_policy_ids(),
            min_size=n_custom + n_other,
            max_size=n_custom + n_other,
            unique=True,
        )
    )
    custom_ids = policy_id_list[:n_custom]
    policies: list[Policy] = [FULL_AWS_ACCESS]
    for i, pid in enumerate(custom_ids):
        document = draw(_scp_documents(catalog, max_statements))
        policies.append(
            Policy(
                id=pid,
                name=f"scp-{i + 1}",
                document=document,
                description=f"custom SCP {i + 1}",
                arn=f"{arn_head}:policy/{org_id}/service_control_policy/{pid}",
            )
        )
    attachments: set[tuple[PolicyId, EntityId]] = set()
    for i, pid in enumerate(policy_id_list[n_custom:]):
        kind = draw(st.sampled_from(_OTHER_POLICY_TYPES))
        policies.append(
            Policy(
                id=pid,
                name=f"{kind.lower()}-{i + 1}",
                type=kind,
                document=draw(_scp_documents(catalog, 1)),
                arn=f"{arn_head}:policy/{org_id}/{kind.lower()}/{pid}",
            )
        )
        for target in draw(st.lists(st.sampled_from(entities), max_size=3, unique=True)):
            attachments.add((pid, target))
    return policies, custom_ids, attachments


def _draw_scps(
    draw: st.DrawFn, custom_ids: Sequence[PolicyId], enabled: bool, max_scps_per_target: int
) -> list[PolicyId]:
    """The SCPs of one entity: 1..max when enabled (FullAWSAccess or customs), else 0..max.

    With SCPs disabled the same draw is made and then cut to 0..all of it: one
    more choice, so a failing example always shrinks towards SCPs enabled.
    """
    # True first: sampled_from shrinks to its first element, so towards FullAWSAccess.
    full = draw(st.sampled_from((True, False))) if custom_ids else True
    room = max_scps_per_target - (1 if full else 0)
    chosen: list[PolicyId] = (
        draw(
            st.lists(
                st.sampled_from(custom_ids),
                min_size=0 if full else 1,
                max_size=min(room, len(custom_ids)),
                unique=True,
            )
        )
        if custom_ids
        else []
    )
    if full:
        chosen.append(FULL_AWS_ACCESS_ID)
    if not enabled:
        chosen = chosen[: draw(st.integers(0, len(chosen)))]
    return chosen


@st.composite
def _organizations(
    draw: st.DrawFn,
    catalog: ServiceCatalog | None,
    *,
    min_ous: int,
    max_ous: int,
    min_accounts: int,
    max_accounts: int,
    max_depth: int,
    scps_enabled: bool | None,
    max_custom_scps: int,
    max_scps_per_target: int,
    max_statements: int,
    max_other_policies: int,
) -> Organization:
    org_id = draw(organization_ids())
    root_id = draw(root_ids())
    # Drawn as "disabled?" so that it shrinks to enabled (False is the simplest bool).
    enabled = scps_enabled if scps_enabled is not None else not draw(st.booleans())
    ou_list, parents = _draw_tree(draw, root_id, min_ous, max_ous, max_depth)
    containers: list[RootId | OuId] = [root_id, *ou_list]
    n_accounts = draw(st.integers(min_accounts, max_accounts))
    account_list = draw(
        st.lists(account_ids(), min_size=n_accounts, max_size=n_accounts, unique=True)
    )
    account_parents = [draw(st.sampled_from(containers)) for _ in account_list]
    management = draw(st.sampled_from(account_list))
    arn_head = f"arn:aws:organizations::{management}"
    entities: list[EntityId] = [root_id, *ou_list, *account_list]
    policies, custom_ids, attachments = _draw_policies(
        draw,
        catalog,
        arn_head,
        org_id,
        entities,
        max_custom_scps=max_custom_scps,
        max_other_policies=max_other_policies,
        max_statements=max_statements,
    )
    for entity in entities:
        chosen = _draw_scps(draw, custom_ids, enabled, max_scps_per_target)
        attachments.update((pid, entity) for pid in chosen)
    return Organization(
        id=org_id,
        management_account_id=management,
        root=Root(id=root_id, scp_enabled=enabled, arn=f"{arn_head}:root/{org_id}/{root_id}"),
        organizational_units=tuple(
            OrganizationalUnit(
                id=ou, parent_id=parent, name=f"OU {i + 1}", arn=f"{arn_head}:ou/{org_id}/{ou}"
            )
            for i, (ou, parent) in enumerate(zip(ou_list, parents, strict=True))
        ),
        accounts=tuple(
            Account(
                id=account,
                parent_id=parent,
                name="management" if account == management else f"account-{i + 1}",
                arn=f"{arn_head}:account/{org_id}/{account}",
                email=f"aws+{account}@example.com",
                status="ACTIVE",
            )
            for i, (account, parent) in enumerate(zip(account_list, account_parents, strict=True))
        ),
        policies=tuple(policies),
        attachments=frozenset(attachments),
        arn=f"{arn_head}:organization/{org_id}",
        management_account_arn=f"{arn_head}:account/{org_id}/{management}",
        management_account_email=f"aws+{management}@example.com",
    )


@checked_when_used
def organizations(
    *,
    catalog: ServiceCatalog | None = None,
    min_ous: int = 0,
    max_ous: int = 6,
    min_accounts: int = 1,
    max_accounts: int = 6,
    max_depth: int = MAX_OU_DEPTH,
    scps_enabled: bool | None = None,
    max_custom_scps: int = 4,
    max_scps_per_target: int = MAX_SCPS_PER_TARGET,
    max_statements: int = 3,
    max_other_policies: int = 0,
) -> st.SearchStrategy[Organization]:
    """Valid organizations: a root, ``min_ous..max_ous`` OUs and ``min_accounts..max_accounts``
    accounts.

    * OUs nest at most ``max_depth`` (0 to 5) levels below the root; each
      account sits under the root or any OU; one account (anywhere) is the
      management account.
    * ``scps_enabled``: ``True``, ``False``, or ``None`` (the default) for
      either, drawn so that it shrinks to enabled.
      When enabled, every root, OU and account has 1 to
      ``max_scps_per_target`` (1 to 5) SCPs: ``p-FullAWSAccess`` and/or some
      of the ``0..max_custom_scps`` custom SCPs (documents from
      :func:`scp_documents` over ``catalog``, up to ``max_statements``
      statements). When not enabled, entities have 0 to
      ``max_scps_per_target`` SCPs.
    * ``max_other_policies``: policies of other types (tag, backup, AI
      opt-out), attached anywhere; they never limit access.
    * ids follow :data:`orgaccess.model.ids.ID_PATTERNS`; OU ids share the root's
      suffix, custom policy ids are ``p-`` and 8 to 16 lower-case letters or
      digits; ARNs and e-mail addresses are filled in as AWS shows them.

    Shrinks towards no OUs, one account under the root, no custom SCPs and
    ``p-FullAWSAccess`` everywhere.
    """
    _check_catalog(catalog)
    _check_int("min_ous", min_ous, 0)
    _check_int("max_ous", max_ous, 0)
    _check_order("min_ous", min_ous, "max_ous", max_ous)
    _check_int("min_accounts", min_accounts, 1)
    _check_int("max_accounts", max_accounts, 1)
    _check_order("min_accounts", min_accounts, "max_accounts", max_accounts)
    _check_int("max_depth", max_depth, 0, MAX_OU_DEPTH)
    if min_ous > 0 and max_depth == 0:
        raise InvalidArgument(f"min_ous={min_ous} OUs cannot fit with max_depth=0")
    _check_int("max_custom_scps", max_custom_scps, 0)
    _check_int("max_scps_per_target", max_scps_per_target, 1, MAX_SCPS_PER_TARGET)
    _check_int("max_statements", max_statements, 1, _MAX_STATEMENTS)
    _check_int("max_other_policies", max_other_policies, 0)
    if scps_enabled is not None and not isinstance(scps_enabled, bool):
        raise InvalidArgument(f"scps_enabled must be True, False or None, got {scps_enabled!r}")
    return _organizations(
        catalog,
        min_ous=min_ous,
        max_ous=max_ous,
        min_accounts=min_accounts,
        max_accounts=max_accounts,
        max_depth=max_depth,
        scps_enabled=scps_enabled,
        max_custom_scps=max_custom_scps,
        max_scps_per_target=max_scps_per_target,
        max_statements=max_statements,
        max_other_policies=max_other_policies,
    )


@checked_when_used
def entity_paths(
    organization: Organization, *, include_management: bool = True
) -> st.SearchStrategy[EntityPath]:
    """Paths of the organization's root, OUs and accounts (shrinks towards the root path).

    ``include_management=False`` leaves the management account's path out.
    """
    if not isinstance(organization, Organization):
        raise InvalidArgument(f"organization must be an Organization, got {organization!r}")
    ids: list[EntityId] = [organization.root.id]
    ids.extend(ou.id for ou in organization.organizational_units)
    ids.extend(
        a.id
        for a in organization.accounts
        if include_management or a.id != organization.management_account_id
    )
    return st.sampled_from([organization.path_of(i) for i in ids])

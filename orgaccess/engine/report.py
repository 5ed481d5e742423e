"""The report engine: one pure function from an organization and its activity to a report.

:func:`build_report` applies the rules of the Organizations access report
(semantics sections 2, 4 and 5): which services are listed for the entity
(with or without a policy id), whose activity counts, the tracking window,
and one :class:`AccessDetail` per listed service.

A report that AWS would end as a FAILED job raises :class:`ReportFailedError`
with the AWS failure code (``SERVICE_CONTROL_POLICY_NOT_ENABLED``,
``INVALID_ORGANIZATIONS_ENTITY_PATH``, ``INVALID_ORGANIZATIONS_POLICY``).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta
from typing import Any

import attrs

from .._text import brief as _brief
from .._time import ensure_utc
from ..errors import ConfigurationError, ReportFailedError, UnknownEntityError
from ..model.catalog import ServiceCatalog, default_catalog
from ..model.events import ActivityIndex
from ..model.ids import AccountId, EntityId, EntityPath, PolicyId
from ..model.organization import Organization
from .evaluation import Evaluator, ResourceMode, check_evaluation_options

__all__ = [
    "DEFAULT_TRACKING_DAYS",
    "MAX_TRACKING_DAYS",
    "AccessDetail",
    "PolicyScope",
    "Report",
    "ReportOptions",
    "build_report",
    "counted_accounts",
]

#: The tracking period, in days, up to the report's creation time.
DEFAULT_TRACKING_DAYS = 400


class PolicyScope(enum.Enum):
    """Which accounts a policy-id report counts (semantics section 2).

    ``LITERAL`` (default, the seed text): accounts at or below an attachment
    of the policy *inside* the reported entity's subtree (for an account: the
    policy attached directly to it). ``INHERITED``: also every account of the
    subtree when the policy is attached to the entity or any of its ancestors.
    """

    LITERAL = "literal"
    INHERITED = "inherited"


#: The longest tracking period accepted: from year 1 to year 9999.
MAX_TRACKING_DAYS = 3_652_059


@attrs.frozen(kw_only=True)
class ReportOptions:
    """How a report is made where AWS leaves a choice."""

    tracking_days: int = attrs.field(default=DEFAULT_TRACKING_DAYS)
    policy_scope: PolicyScope = PolicyScope.LITERAL
    iam_region_quirk: bool = True
    resources: ResourceMode = "precise"
    #: the ARN partition of the organization's resources (``aws``, ``aws-cn``, ``aws-us-gov``)
    partition: str = "aws"

    @tracking_days.validator
    def _check_days(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigurationError(
                f"tracking_days must be a non-negative integer, got {_brief(value)}"
            )
        if value > MAX_TRACKING_DAYS:
            raise ConfigurationError(
                f"tracking_days must be at most {MAX_TRACKING_DAYS:,} (years 1-9999), "
                f"got {_brief(value)}"
            )

    def __attrs_post_init__(self) -> None:
        check_evaluation_options(self.resources, self.partition)


@attrs.frozen(kw_only=True)
class AccessDetail:
    """One listed service: when and where it was last used, and by how many accounts.

    ``region``, ``entity_path`` and ``last_authenticated_time`` are ``None``
    for a service nobody used in the tracking period (except the ``iam``
    region quirk, see :class:`ReportOptions`).
    """

    service_name: str
    service_namespace: str
    region: str | None = None
    entity_path: EntityPath | None = None
    last_authenticated_time: datetime | None = None
    total_authenticated_entities: int = 0

    @property
    def used(self) -> bool:
        """Whether any counted account attempted to use the service in the period."""
        return self.last_authenticated_time is not None


@attrs.frozen(kw_only=True)
class Report:
    """A finished report: the listed services in namespace order, and the two counts."""

    entity_path: EntityPath
    policy_id: PolicyId | None
    created: datetime
    details: tuple[AccessDetail, ...]
    counted_accounts: frozenset[AccountId]
    options: ReportOptions = ReportOptions()

    @property
    def number_of_services_accessible(self) -> int:
        """Services listed (``NumberOfServicesAccessible``)."""
        return len(self.details)

    @property
    def number_of_services_not_accessed(self) -> int:
        """Listed services with no counted attempt (``NumberOfServicesNotAccessed``)."""
        return sum(1 for d in self.details if d.last_authenticated_time is None)

    @property
    def namespaces(self) -> tuple[str, ...]:
        """The listed namespaces, ascending."""
        return tuple(d.service_namespace for d in self.details)

    def detail(self, namespace: str) -> AccessDetail | None:
        """The row of ``namespace``, or ``None`` if it is not listed."""
        for d in self.details:
            if d.service_namespace == namespace:
                return d
        return None


def _subtree_at_or_below(
    org: Organization, entity_id: EntityId, targets: Iterable[EntityId]
) -> set[AccountId]:
    """Accounts in ``entity_id``'s subtree at or below one of ``targets`` inside it."""
    subtree = set(org.descendants(entity_id)) | {entity_id}
    accounts: set[AccountId] = set()
    for target in targets:
        if target in subtree:
            accounts.update(org.accounts_in(target))
    return accounts


def counted_accounts(
    org: Organization,
    entity_id: EntityId,
    policy_id: str | None,
    scope: PolicyScope = PolicyScope.LITERAL,
) -> frozenset[AccountId]:
    """The accounts whose activity a report on ``entity_id`` counts (semantics section 2)."""
    management = org.management_account_id
    if org.is_management_account(entity_id):
        return frozenset({management})
    if policy_id is None:
        accounts = set(org.accounts_in(entity_id))
    else:
        targets = org.targets_of(policy_id)
        chain = org.parent_chain(entity_id)
        if scope is PolicyScope.INHERITED and any(level in targets for level in chain):
            accounts = set(org.accounts_in(entity_id))
        else:
            accounts = _subtree_at_or_below(org, entity_id, targets)
    accounts.discard(management)
    return frozenset(accounts)


def _resolve(org: Organization, path: EntityPath | str) -> tuple[EntityPath, EntityId]:
    try:
        parsed = path if isinstance(path, EntityPath) else EntityPath.parse(path)
        return parsed, org.resolve(parsed)
    except (ValueError, UnknownEntityError) as exc:
        raise ReportFailedError("INVALID_ORGANIZATIONS_ENTITY_PATH", str(exc)) from None


# Per namespace: (accounts with an attempt in the window, the latest attempt's
# time, its account, its region).
_Aggregate = tuple[int, datetime, AccountId, str]


def _aggregate(
    org: Organization,
    activity: ActivityIndex,
    accounts: frozenset[AccountId],
    listed: AbstractSet[str],
    start: datetime,
    end: datetime,
) -> dict[str, _Aggregate]:
    """Aggregate the counted accounts' attempts in ``[start, end]`` per listed namespace.

    Two ways, same result: when nearly every account of the index counts
    (a root report) and nothing in it is later than ``end``, binary searches
    in the index's per-namespace time columns; otherwise one pass over the
    counted accounts' entries.
    """
    latest = activity.latest
    if latest is None:
        return {}
    if latest <= end:
        everyone = activity.accounts
        if 2 * len(accounts) >= len(everyone):
            uncounted = everyone - accounts
            if len(uncounted) <= len(accounts):
                return _aggregate_by_namespace(org, activity, uncounted, listed, start, end)
    return _aggregate_by_account(org, activity, accounts, listed, start, end)


def _tie_key(org: Organization, account: AccountId, region: str) -> tuple[str, str]:
    return (str(org.path_of(account)), region)


def _aggregate_by_account(
    org: Organization,
    activity: ActivityIndex,
    accounts: frozenset[AccountId],
    listed: AbstractSet[str],
    start: datetime,
    end: datetime,
) -> dict[str, _Aggregate]:
    """One pass over the counted accounts' entries (exact for any creation time)."""
    found: dict[str, list[Any]] = {}
    for namespace, per in activity.namespaces().items():
        if namespace not in listed:
            continue
        iterate_accounts = len(accounts) < len(per)
        for account in accounts if iterate_accounts else per:
            entry = per.get(account)
            if entry is None or (not iterate_accounts and account not in accounts):
                continue
            moment = entry.time
            if moment > end:
                later = activity.latest_at_or_before(account, namespace, end)
                if later is None:
                    continue
                entry = later
                moment = entry.time
            if moment < start:
                continue
            agg = found.get(namespace)
            if agg is None:
                found[namespace] = [1, moment, account, entry.region]
                continue
            agg[0] += 1
            if moment > agg[1] or (
                moment == agg[1]
                and _tie_key(org, account, entry.region) < _tie_key(org, agg[2], agg[3])
            ):
                agg[1] = moment
                agg[2] = account
                agg[3] = entry.region
    return {ns: (a[0], a[1], a[2], a[3]) for ns, a in found.items()}


def _aggregate_by_namespace(
    org: Organization,
    activity: ActivityIndex,
    uncounted: AbstractSet[AccountId],
    listed: AbstractSet[str],
    start: datetime,
    end: datetime,
) -> dict[str, _Aggregate]:
    """Per namespace, C-level passes over its latest times; every account counts but ``uncounted``.

    Needs every entry at or before ``end`` (the caller checks).
    """
    found: dict[str, _Aggregate] = {}
    columns = activity.times()
    for namespace, per in activity.namespaces().items():
        if namespace not in listed or not per:
            continue
        times = columns[namespace]
        count = len(times) if min(times) >= start else sum(map(start.__le__, times))
        for account in uncounted:
            entry = per.get(account)
            if entry is not None and start <= entry.time <= end:
                count -= 1
        if count <= 0:
            continue
        top = max(times)
        if times.count(top) == 1:
            account, entry = next(itertools.islice(per.items(), times.index(top), None))
            if account not in uncounted:
                found[namespace] = (count, top, account, entry.region)
                continue
        # ties at the top, or the top is not counted: one pass over the namespace
        best: tuple[datetime, tuple[str, str], AccountId, str] | None = None
        for account, entry in per.items():
            moment = entry.time
            if account in uncounted or (best is not None and moment < best[0]):
                continue
            key = _tie_key(org, account, entry.region)
            if best is None or moment > best[0] or key < best[1]:
                best = (moment, key, account, entry.region)
        assert best is not None
        found[namespace] = (count, best[0], best[2], best[3])
    return found


def _evaluator_for(
    organization: Organization,
    catalog: ServiceCatalog | None,
    options: ReportOptions,
    evaluator: Evaluator | None,
) -> Evaluator:
    if evaluator is None:
        return Evaluator(
            organization,
            catalog if catalog is not None else default_catalog(),
            resources=options.resources,
            partition=options.partition,
        )
    if evaluator.organization is not organization:
        raise ConfigurationError("the evaluator was built for another organization")
    return evaluator


def _listed(
    org: Organization, evaluator: Evaluator, entity_id: EntityId, policy_id: str | None
) -> frozenset[str]:
    """The services the report lists (semantics section 2)."""
    if org.is_management_account(entity_id):
        return evaluator.catalog.namespaces
    if policy_id is None:
        return evaluator.allowed_namespaces(entity_id)
    if not org.has_policy(policy_id) or not org.policy(policy_id).is_scp:
        raise ReportFailedError(
            "INVALID_ORGANIZATIONS_POLICY", f"{policy_id} is not an SCP of organization {org.id}"
        )
    return evaluator.allowed_by_policy(PolicyId(policy_id))


def _detail(
    org: Organization,
    catalog: ServiceCatalog,
    namespace: str,
    aggregate: _Aggregate | None,
    options: ReportOptions,
) -> AccessDetail:
    name = catalog.report_name(namespace)
    if aggregate is None:
        quirk = options.iam_region_quirk and namespace == "iam"
        return AccessDetail(
            service_name=name, service_namespace=namespace, region="us-east-1" if quirk else None
        )
    count, moment, account, region = aggregate
    return AccessDetail(
        service_name=name,
        service_namespace=namespace,
        region=region,
        entity_path=org.path_of(account),
        last_authenticated_time=moment,
        total_authenticated_entities=count,
    )


def build_report(
    organization: Organization,
    activity: ActivityIndex,
    entity_path: EntityPath | str,
    *,
    created: datetime,
    policy_id: str | None = None,
    catalog: ServiceCatalog | None = None,
    options: ReportOptions | None = None,
    evaluator: Evaluator | None = None,
) -> Report:
    """Make the report AWS would make for ``entity_path`` at ``created``.

    ``evaluator`` may be passed to share its caches between reports (it must
    be over the same organization and catalog). Raises
    :class:`ReportFailedError` where AWS would end the job as FAILED.
    """
    options = options or ReportOptions()
    created = ensure_utc(created, what="created")
    evaluator = _evaluator_for(organization, catalog, options, evaluator)
    org = organization
    if not org.scp_enabled:
        raise ReportFailedError(
            "SERVICE_CONTROL_POLICY_NOT_ENABLED", f"root {org.root.id} has SCPs disabled"
        )
    path, entity_id = _resolve(org, entity_path)
    management = org.is_management_account(entity_id)
    listed = _listed(org, evaluator, entity_id, policy_id)
    accounts = counted_accounts(
        org, entity_id, None if management else policy_id, options.policy_scope
    )
    end = created
    try:
        start = created - timedelta(days=options.tracking_days)
    except OverflowError:  # the period reaches back past year 1: it starts at the beginning
        start = datetime.min.replace(tzinfo=created.tzinfo)
    aggregates = _aggregate(org, activity, accounts, listed, start, end)
    details = tuple(
        _detail(org, evaluator.catalog, namespace, aggregates.get(namespace), options)
        for namespace in sorted(listed)
    )
    return Report(
        entity_path=path,
        policy_id=None if policy_id is None else PolicyId(policy_id),
        created=created,
        details=details,
        counted_accounts=accounts,
        options=options,
    )

"""What an SCP change would break: the access that changes, and who used it recently.

:func:`impact` applies proposed edits (:mod:`orgaccess.model.changes`) to a
copy of the organization, evaluates the SCPs before and after, and lists
every (account, service) whose verdict changes, with the account's last
attempt in the window and the statements that decide the verdict after the
change. Nothing is read or written and no clock is consulted: ``as_of`` is
required.

Work grows with the distinct SCP chains, not with the accounts: accounts
that have the same SCP ids at every level of their path, before and after,
are one group, evaluated and explained once (the :class:`Evaluator` also
caches per policy combination). Per account, only the activity is looked up
and the group's explanation is carried over, each level named by the id at
the same position of the account's own path.

>>> from datetime import datetime, timezone
>>> from orgaccess.model.catalog import ServiceCatalog
>>> from orgaccess.model.changes import AttachPolicy, ProposedPolicy
>>> from orgaccess.model.events import AccessEvent, ActivityIndex
>>> from orgaccess.model.organization import OrganizationBuilder
>>> catalog = ServiceCatalog.from_mapping(
...     {"s3": {"actions": ["GetObject"]}, "ec2": {"actions": ["RunInstances"]}}
... )
>>> b = OrganizationBuilder(
...     organization_id="o-a1b2c3d4e5", root_id="r-f6g7", management_account_id="111111111111"
... )
>>> _ = b.add_ou("ou-f6g7-aaaaaaaa", parent="r-f6g7", name="Prod")
>>> _ = b.add_account("111111111111", parent="r-f6g7")
>>> _ = b.add_account("222222222222", parent="ou-f6g7-aaaaaaaa")
>>> org = b.build()
>>> now = datetime(2026, 11, 1, tzinfo=timezone.utc)
>>> activity = ActivityIndex([AccessEvent(account_id="222222222222", service_namespace="s3",
...                                       region="eu-west-1", time=datetime(2026, 10, 30,
...                                       tzinfo=timezone.utc))])
>>> deny = ProposedPolicy(
...     document='{"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}',
...     name="DenyS3",
... )
>>> result = impact(org, activity, [AttachPolicy(policy=deny, target="ou-f6g7-aaaaaaaa")],
...                 as_of=now, catalog=catalog)
>>> [(str(c.account_id), c.namespace, c.last_attempt.region) for c in result.used_cut_off]
[('222222222222', 's3', 'eu-west-1')]
>>> print(result.used_cut_off[0].deciding[0])
p-proposed_... (DenyS3) at ou-f6g7-aaaaaaaa Statement[0]: Deny Action s3:* on Resource *
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta

import attrs

from .._time import ensure_utc
from ..errors import ConfigurationError
from ..model.catalog import ServiceCatalog, default_catalog
from ..model.changes import Change, apply_changes
from ..model.events import ActivityIndex, LastAccess, from_micros, to_micros
from ..model.ids import AccountId, EntityId, EntityPath, OuId, RootId
from ..model.organization import Account, Organization, OrganizationalUnit, Root
from .evaluation import Evaluator, Explanation, ResourceMode, StatementRef
from .report import MAX_TRACKING_DAYS

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "AccessChange",
    "EntityImpact",
    "Impact",
    "impact",
]

#: The default window, in days up to ``as_of``, in which an attempt makes a service "used".
DEFAULT_WINDOW_DAYS = 90


@attrs.frozen(kw_only=True)
class AccessChange:
    """One (account, service) whose verdict the change flips.

    ``last_attempt`` is the account's latest attempt on the service in the
    window (``None``: no attempt in it). ``reason``, ``deciding`` and
    ``deciding_level`` come from :meth:`Evaluator.explain` on the
    organization *after* the change: for a service cut off, the Denies that
    remove it or the level that no longer allows it; for a service newly
    allowed, the Allows that let it through at each level.
    """

    account_id: AccountId
    entity_path: EntityPath
    namespace: str
    service_name: str
    allowed_before: bool
    allowed_after: bool
    last_attempt: LastAccess | None
    reason: str
    deciding: tuple[StatementRef, ...] = ()
    deciding_level: EntityId | None = None

    @property
    def cut_off(self) -> bool:
        """Allowed before the change, not after."""
        return self.allowed_before and not self.allowed_after

    @property
    def newly_allowed(self) -> bool:
        """Not allowed before the change, allowed after."""
        return self.allowed_after and not self.allowed_before

    @property
    def used(self) -> bool:
        """Whether the account attempted the service in the window."""
        return self.last_attempt is not None


@attrs.frozen(kw_only=True)
class EntityImpact:
    """Totals for the root or one OU (over the accounts below it after the change).

    ``services_removed`` / ``services_added``: what the SCPs in force at the
    entity itself stop or start allowing (what its own access report loses
    or gains). The counts are (account, service) pairs of the accounts in
    its subtree; ``accounts_affected`` counts accounts with any change.
    """

    entity_id: RootId | OuId
    entity_path: EntityPath
    services_removed: frozenset[str]
    services_added: frozenset[str]
    accounts_affected: int
    cut_off: int
    used_cut_off: int
    newly_allowed: int


@attrs.frozen(kw_only=True)
class Impact:
    """The result of :func:`impact`.

    ``access_changes`` holds every (account, service) whose verdict changes,
    in (account path, namespace) order, paths after the change. ``entities``
    holds the root and every OU with something changed, in path order.
    ``activity_in_window`` counts the (account, service) pairs of accounts
    SCPs limit with an attempt in the window: when it is 0, "nothing used is
    cut off" says nothing, because there was nothing to see.
    """

    as_of: datetime
    window_days: int
    changes: tuple[Change, ...]
    access_changes: tuple[AccessChange, ...]
    entities: tuple[EntityImpact, ...]
    activity_in_window: int
    accounts_with_activity: int
    organization: Organization = attrs.field(eq=False, repr=False)

    @property
    def window_start(self) -> datetime:
        """The first instant of the window (``as_of - window_days``, inclusive)."""
        try:
            return self.as_of - timedelta(days=self.window_days)
        except OverflowError:  # the window reaches back past year 1
            return datetime.min.replace(tzinfo=self.as_of.tzinfo)

    @property
    def cut_off(self) -> tuple[AccessChange, ...]:
        """Every (account, service) allowed before and not after."""
        return tuple(c for c in self.access_changes if c.cut_off)

    @property
    def used_cut_off(self) -> tuple[AccessChange, ...]:
        """The services cut off that the account attempted in the window: what would break."""
        return tuple(c for c in self.access_changes if c.cut_off and c.used)

    @property
    def newly_allowed(self) -> tuple[AccessChange, ...]:
        """Every (account, service) not allowed before and allowed after."""
        return tuple(c for c in self.access_changes if c.newly_allowed)

    @property
    def breaks_used_access(self) -> bool:
        """Whether some account loses a service it used in the window."""
        return any(c.cut_off and c.used for c in self.access_changes)


_Key = tuple[frozenset[str], ...] | None  # None: not limited by SCPs


class _Chains:
    """Per account: the SCP ids at each level of its path (memoised per root and OU)."""

    def __init__(self, org: Organization) -> None:
        self.org = org
        self._containers: dict[str, tuple[frozenset[str], ...]] = {}

    def _attached(self, entity: EntityId) -> frozenset[str]:
        return frozenset(str(p) for p in self.org.scp_ids_attached(entity))

    def _container(self, entity: RootId | OuId) -> tuple[frozenset[str], ...]:
        key = self._containers.get(entity)
        if key is None:
            parent = self.org.parent_of(entity)
            above = () if parent is None else self._container(parent)
            key = self._containers[entity] = (*above, self._attached(entity))
        return key

    def key(self, account: Account) -> _Key:
        org = self.org
        if not org.scp_enabled or org.is_management_account(account.id):
            return None
        return (*self._container(account.parent_id), self._attached(account.id))


def _last_attempt(
    activity: ActivityIndex, account: AccountId, namespace: str, start: int, end: int
) -> LastAccess | None:
    per = activity.raw().get(account)
    entry = None if per is None else per.get(namespace)
    if entry is None:
        return None
    if entry[0] > end:
        entry = activity.latest_micros_at_or_before(account, namespace, end)
        if entry is None:
            return None
    if entry[0] < start:
        return None
    return LastAccess(time=from_micros(entry[0]), region=entry[1])


def _rebase(
    refs: tuple[StatementRef, ...], moved: dict[EntityId, EntityId]
) -> tuple[StatementRef, ...]:
    """One account's explanation refs, for another account with the same SCP ids per level.

    Explanations depend on the policies at each level and name the level by
    position, so the other account's refs are these with each level id
    replaced by the id at the same position of its own path.
    """
    if not moved or not any(r.level in moved for r in refs):
        return refs
    return tuple(attrs.evolve(r, level=moved[r.level]) if r.level in moved else r for r in refs)


def _activity_counts(
    org: Organization, activity: ActivityIndex, start: int, end: int
) -> tuple[int, int]:
    pairs = accounts = 0
    raw = activity.raw()
    for account, per in raw.items():
        if not org.has_entity(account) or org.is_management_account(account):
            continue
        found = 0
        for namespace in per:
            if _last_attempt(activity, account, namespace, start, end) is not None:
                found += 1
        pairs += found
        accounts += 1 if found else 0
    return pairs, accounts


def _entity_totals(
    before: Evaluator,
    after: Evaluator,
    rows: Iterable[AccessChange],
) -> tuple[EntityImpact, ...]:
    org = after.organization
    per_account: dict[AccountId, list[int]] = {}
    paths: dict[AccountId, EntityPath] = {}
    for row in rows:
        delta = per_account.get(row.account_id)
        if delta is None:
            delta = per_account[row.account_id] = [0, 0, 0]
            paths[row.account_id] = row.entity_path
        delta[0] += row.cut_off
        delta[1] += row.cut_off and row.used
        delta[2] += row.newly_allowed
    counts: dict[EntityId, list[int]] = {}
    for account, delta in per_account.items():
        for level in paths[account].entities[:-1]:
            total = counts.get(level)
            if total is None:
                counts[level] = [*delta, 1]
            else:
                total[0] += delta[0]
                total[1] += delta[1]
                total[2] += delta[2]
                total[3] += 1
    found: list[EntityImpact] = []
    containers: list[Root | OrganizationalUnit] = [org.root, *org.organizational_units]
    for entity in containers:
        was = before.allowed_namespaces(entity.id)
        now = after.allowed_namespaces(entity.id)
        totals = counts.get(entity.id)
        if totals is None and was == now:
            continue
        cut, used, added, affected = totals or (0, 0, 0, 0)
        found.append(
            EntityImpact(
                entity_id=entity.id,
                entity_path=org.path_of(entity.id),
                services_removed=frozenset(was - now),
                services_added=frozenset(now - was),
                accounts_affected=affected,
                cut_off=cut,
                used_cut_off=used,
                newly_allowed=added,
            )
        )
    found.sort(key=lambda e: str(e.entity_path))
    return tuple(found)


def _groups(
    organization: Organization, changed: Organization
) -> list[tuple[_Key, list[AccountId]]]:
    """Accounts grouped by the SCP ids at every level, before and after the change: each
    group is evaluated once, on its first account."""
    chains_before, chains_after = _Chains(organization), _Chains(changed)
    groups: dict[tuple[_Key, _Key], list[AccountId]] = {}
    for member in changed.accounts:
        key = (chains_before.key(organization.account(member.id)), chains_after.key(member))
        groups.setdefault(key, []).append(member.id)
    return [(key_after, members) for (_before, key_after), members in groups.items()]


def _rows_of(
    changed: Organization,
    catalog: ServiceCatalog,
    activity: ActivityIndex,
    account: AccountId,
    witness: AccountId,
    flipped: Sequence[str],
    known: Mapping[str, Explanation],
    was: AbstractSet[str],
    now: AbstractSet[str],
    window: tuple[int, int],
) -> Iterator[AccessChange]:
    """One account's changed services; the witness's explanations with its levels renamed."""
    path = changed.path_of(account)
    moved: dict[EntityId, EntityId] = {
        old: new
        for old, new in zip(changed.parent_chain(witness), path.entities, strict=True)
        if old != new
    }
    for namespace in flipped:
        why = known[namespace]
        level = why.deciding_level
        reason = why.reason
        if level is not None and level in moved:
            reason = reason.replace(f"at {level} ", f"at {moved[level]} ")
            level = moved[level]
        yield AccessChange(
            account_id=account,
            entity_path=path,
            namespace=namespace,
            service_name=catalog.report_name(namespace),
            allowed_before=namespace in was,
            allowed_after=namespace in now,
            last_attempt=_last_attempt(activity, account, namespace, *window),
            reason=reason,
            deciding=_rebase(why.deciding, moved),
            deciding_level=level,
        )


def impact(
    organization: Organization,
    activity: ActivityIndex,
    changes: Iterable[Change],
    *,
    as_of: datetime,
    window_days: int = DEFAULT_WINDOW_DAYS,
    catalog: ServiceCatalog | None = None,
    resources: ResourceMode = "precise",
    partition: str = "aws",
) -> Impact:
    """What ``changes`` would change in the access of every account of ``organization``.

    An attempt counts as use when ``as_of - window_days <= time <= as_of``.
    Raises :class:`~orgaccess.errors.ChangeSetError` listing every edit AWS
    would refuse; :class:`~orgaccess.errors.ConfigurationError` for a bad
    ``window_days``; :class:`~orgaccess.errors.InvalidTimeError` for a naive
    ``as_of``; :class:`~orgaccess.errors.ActivityHorizonError` when an
    account's last attempt in the window was not kept by ``activity``.
    """
    as_of = ensure_utc(as_of, what="as_of")
    if (
        not isinstance(window_days, int)
        or isinstance(window_days, bool)
        or not 0 <= window_days <= MAX_TRACKING_DAYS
    ):
        shown = (
            "a huge integer"
            if isinstance(window_days, int) and abs(window_days) > 10**9
            else (f"{window_days!r:.80}")
        )
        raise ConfigurationError(
            f"window_days must be an integer from 0 to {MAX_TRACKING_DAYS:,}, got {shown}"
        )
    edits = tuple(changes)
    changed = apply_changes(organization, edits)
    catalog = catalog if catalog is not None else default_catalog()
    before = Evaluator(organization, catalog, resources=resources, partition=partition)
    after = Evaluator(changed, catalog, resources=resources, partition=partition)
    end = to_micros(as_of)
    try:
        start = to_micros(as_of - timedelta(days=window_days))
    except OverflowError:  # the window reaches back past year 1
        start = to_micros(datetime.min.replace(tzinfo=as_of.tzinfo))

    # Explanations depend only on the SCPs after the change: one per (chain after, service).
    explained: dict[_Key, tuple[AccountId, dict[str, Explanation]]] = {}
    rows: list[AccessChange] = []
    for key_after, members in _groups(organization, changed):
        rep = members[0]
        was = before.allowed_namespaces(rep)
        now = after.allowed_namespaces(rep)
        flipped = sorted(was ^ now)
        if not flipped:
            continue
        witness, known = explained.setdefault(key_after, (rep, {}))
        for namespace in flipped:
            if namespace not in known:
                known[namespace] = after.explain(witness, namespace)
        for account in members:
            rows.extend(
                _rows_of(
                    changed,
                    catalog,
                    activity,
                    account,
                    witness,
                    flipped,
                    known,
                    was,
                    now,
                    (start, end),
                )
            )
    text = {a: str(changed.path_of(a)) for a in {r.account_id for r in rows}}
    rows.sort(key=lambda r: (text[r.account_id], r.namespace))
    pairs, accounts = _activity_counts(organization, activity, start, end)
    return Impact(
        as_of=as_of,
        window_days=window_days,
        changes=edits,
        access_changes=tuple(rows),
        entities=_entity_totals(before, after, rows),
        activity_in_window=pairs,
        accounts_with_activity=accounts,
        organization=changed,
    )

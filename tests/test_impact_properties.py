"""Properties of ``orgaccess.impact`` on generated organizations, activity and change sets.

* an empty change set has no impact;
* attaching FullAWSAccess next to existing SCPs never removes access;
* attaching a Deny of ``X:*`` cuts off exactly the accounts below the target
  that were allowed ``X``, and the used cut-offs are exactly those that
  attempted ``X`` in the window (computed from the events, not the index);
* the impact equals the difference between the reports built on the
  organization before and after the change, for every entity;
* a change followed by its inverse has no impact;
* every row's deciding statements are those of ``Evaluator.explain`` after
  the change (the per-group explanation, carried over to each account).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orgaccess.engine.change_impact import impact
from orgaccess.engine.evaluation import Evaluator
from orgaccess.engine.report import ReportOptions, build_report
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.changes import (
    AttachPolicy,
    Change,
    DetachPolicy,
    MoveAccount,
    ProposedPolicy,
    ReplacePolicy,
    apply_changes,
    inverse_of,
)
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.ids import AccountId, EntityId
from orgaccess.model.organization import (
    FULL_AWS_ACCESS_ID,
    MAX_SCPS_PER_TARGET,
    Account,
    Organization,
)
from orgaccess.strategies import access_events, organizations, scp_documents

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
WINDOW = 30
START = AS_OF - timedelta(days=2 * WINDOW)

CATALOG = ServiceCatalog.from_mapping(
    {
        "s3": {"name": "Amazon S3", "actions": ["GetObject", "PutObject", "ListBucket"]},
        "ec2": {"name": "Amazon EC2", "actions": ["DescribeInstances", "RunInstances"]},
        "iam": {"name": "AWS Identity and Access Management (IAM)", "actions": ["GetRole"]},
        "lambda": {"name": "AWS Lambda", "actions": ["InvokeFunction", "ListFunctions"]},
        "sts": {"name": "AWS Security Token Service", "actions": ["AssumeRole"]},
        "nullsvc": {"name": "A service listed without actions"},
    },
    description="impact properties",
)

ORGS = organizations(catalog=CATALOG, scps_enabled=True, max_accounts=5, max_ous=4)


def _entities(org: Organization) -> list[EntityId]:
    return [org.root.id, *(o.id for o in org.organizational_units), *(a.id for a in org.accounts)]


def _with_room(org: Organization) -> list[EntityId]:
    return [e for e in _entities(org) if len(org.scps_attached(e)) < MAX_SCPS_PER_TARGET]


@st.composite
def one_change(draw: st.DrawFn, org: Organization) -> Change:
    """One edit AWS would accept on ``org`` (built from what is valid, not filtered)."""
    kinds = ["move"]
    if _with_room(org):
        kinds.append("attach")
    detachable = [
        (p.id, e)
        for e in _entities(org)
        for p in org.scps_attached(e)
        if len(org.scps_attached(e)) > 1
    ]
    if detachable:
        kinds.append("detach")
    custom = [p for p in org.scps if not p.aws_managed]
    if custom:
        kinds.append("replace")
    kind = draw(st.sampled_from(kinds))
    if kind == "attach":
        target = draw(st.sampled_from(_with_room(org)))
        attached = org.scp_ids_attached(target)
        existing = [p.id for p in org.scps if p.id not in attached]
        document = draw(scp_documents(catalog=CATALOG, max_statements=2))
        proposed = ProposedPolicy(document=document, name="new")
        # A proposed policy's id comes from its document: the same document drawn
        # twice for one target would be a DuplicatePolicyAttachment, which AWS refuses.
        options: list[ProposedPolicy | str] = [] if proposed.id in attached else [proposed]
        options.extend(str(p) for p in existing)
        assume(options)
        return AttachPolicy(policy=draw(st.sampled_from(options)), target=target)
    if kind == "detach":
        policy_id, target = draw(st.sampled_from(detachable))
        return DetachPolicy(policy_id=policy_id, target=target)
    if kind == "replace":
        policy = draw(st.sampled_from(custom))
        document = draw(scp_documents(catalog=CATALOG, max_statements=2))
        return ReplacePolicy(policy_id=policy.id, document=document)
    account: Account = draw(st.sampled_from(org.accounts))
    parents = [org.root.id, *(o.id for o in org.organizational_units)]
    others = [p for p in parents if p != account.parent_id]
    assume(others)
    return MoveAccount(account_id=account.id, parent_id=draw(st.sampled_from(others)))


@st.composite
def change_sets(draw: st.DrawFn, org: Organization, max_size: int = 3) -> list[Change]:
    """Valid sequences of edits: each is drawn against the state the earlier ones left."""
    changes: list[Change] = []
    state = org
    for _ in range(draw(st.integers(0, max_size))):
        change = draw(one_change(state))
        changes.append(change)
        state = apply_changes(state, [change])
    return changes


def _events(data: st.DataObject, org: Organization) -> list[AccessEvent]:
    return data.draw(access_events(org, start=START, end=AS_OF, catalog=CATALOG, max_size=25))


def _used(events: list[AccessEvent], start: datetime) -> set[tuple[AccountId, str]]:
    return {(e.account_id, e.service_namespace) for e in events if start <= e.time <= AS_OF}


@given(st.data())
def test_an_empty_change_set_has_no_impact(data: st.DataObject) -> None:
    org = data.draw(ORGS)
    result = impact(org, ActivityIndex(_events(data, org)), [], as_of=AS_OF, catalog=CATALOG)
    assert result.access_changes == ()
    assert result.entities == ()
    assert not result.breaks_used_access


@given(st.data())
def test_attaching_full_aws_access_next_to_existing_scps_never_removes_access(
    data: st.DataObject,
) -> None:
    org = data.draw(ORGS)
    targets = [e for e in _with_room(org) if FULL_AWS_ACCESS_ID not in org.scp_ids_attached(e)]
    assume(targets)
    target = data.draw(st.sampled_from(targets))
    events = _events(data, org)
    result = impact(
        org,
        ActivityIndex(events),
        [AttachPolicy(policy=FULL_AWS_ACCESS_ID, target=target)],
        as_of=AS_OF,
        catalog=CATALOG,
    )
    assert result.cut_off == ()
    assert all(e.services_removed == frozenset() for e in result.entities)


@given(st.data())
def test_a_deny_of_a_service_cuts_off_exactly_the_accounts_below_the_target_that_used_it(
    data: st.DataObject,
) -> None:
    org = data.draw(ORGS)
    targets = _with_room(org)
    assume(targets)
    target = data.draw(st.sampled_from(targets))
    namespace = data.draw(st.sampled_from(sorted(CATALOG.namespaces)))
    events = _events(data, org)
    deny = ProposedPolicy(
        document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": f"{namespace}:*", "Resource": "*"}],
        }
    )
    result = impact(
        org,
        ActivityIndex(events),
        [AttachPolicy(policy=deny, target=target)],
        as_of=AS_OF,
        window_days=WINDOW,
        catalog=CATALOG,
    )
    before = Evaluator(org, CATALOG)
    below = {
        a
        for a in org.accounts_in(target)
        if not org.is_management_account(a) and namespace in before.allowed_namespaces(a)
    }
    assert {(c.account_id, c.namespace) for c in result.cut_off} == {(a, namespace) for a in below}
    used = _used(events, AS_OF - timedelta(days=WINDOW))
    assert {(c.account_id, c.namespace) for c in result.used_cut_off} == {
        (a, namespace) for a in below if (a, namespace) in used
    }
    assert result.newly_allowed == ()
    assert result.breaks_used_access == bool(result.used_cut_off)
    for change in result.cut_off:
        # The new Deny decides (other Denies and resource-limited Allows may be named too).
        assert (str(deny.id), target) in [(r.policy_id, r.level) for r in change.deciding]


@settings(max_examples=40)
@given(st.data())
def test_impact_equals_the_difference_between_reports_before_and_after(
    data: st.DataObject,
) -> None:
    org = data.draw(ORGS)
    changes = data.draw(change_sets(org))
    events = _events(data, org)
    activity = ActivityIndex(events)
    result = impact(org, activity, changes, as_of=AS_OF, window_days=WINDOW, catalog=CATALOG)
    after = apply_changes(org, changes)
    options = ReportOptions(tracking_days=WINDOW, iam_region_quirk=False)
    ev_before, ev_after = Evaluator(org, CATALOG), Evaluator(after, CATALOG)
    rows = {(c.account_id, c.namespace): c for c in result.access_changes}
    totals = {e.entity_id: e for e in result.entities}
    for entity in _entities(org):
        was = build_report(
            org, activity, org.path_of(entity), created=AS_OF, options=options, evaluator=ev_before
        )
        now = build_report(
            after,
            activity,
            after.path_of(entity),
            created=AS_OF,
            options=options,
            evaluator=ev_after,
        )
        removed = set(was.namespaces) - set(now.namespaces)
        added = set(now.namespaces) - set(was.namespaces)
        if isinstance(entity, AccountId):
            mine = {ns: c for (a, ns), c in rows.items() if a == entity}
            assert {ns for ns, c in mine.items() if c.cut_off} == removed
            assert {ns for ns, c in mine.items() if c.newly_allowed} == added
            for namespace, change in mine.items():
                detail = was.detail(namespace) or now.detail(namespace)
                assert detail is not None
                if change.last_attempt is None:
                    assert detail.last_authenticated_time is None
                else:
                    assert detail.last_authenticated_time == change.last_attempt.time
                    assert detail.region == change.last_attempt.region
        else:
            below = {c for c in result.access_changes if entity in c.entity_path.entities[:-1]}
            if entity in totals:
                total = totals[entity]
                assert total.services_removed == removed
                assert total.services_added == added
                assert total.cut_off == sum(1 for c in below if c.cut_off)
                assert total.used_cut_off == sum(1 for c in below if c.cut_off and c.used)
                assert total.newly_allowed == sum(1 for c in below if c.newly_allowed)
                assert total.accounts_affected == len({c.account_id for c in below})
            else:
                assert not removed
                assert not added
                assert not below


@given(st.data())
def test_a_change_then_its_inverse_has_no_impact(data: st.DataObject) -> None:
    org = data.draw(ORGS)
    change = data.draw(one_change(org))
    undo = inverse_of(org, change)
    result = impact(
        org, ActivityIndex(_events(data, org)), [change, undo], as_of=AS_OF, catalog=CATALOG
    )
    assert result.access_changes == ()
    restored = apply_changes(org, [change, undo])
    assert restored.attachments == org.attachments
    assert [a.parent_id for a in restored.accounts] == [a.parent_id for a in org.accounts]


@settings(max_examples=40)
@given(st.data())
def test_each_row_carries_the_explanation_of_its_own_account_after_the_change(
    data: st.DataObject,
) -> None:
    org = data.draw(ORGS)
    changes = data.draw(change_sets(org, max_size=2))
    result = impact(org, ActivityIndex(), changes, as_of=AS_OF, catalog=CATALOG)
    after = Evaluator(apply_changes(org, changes), CATALOG)
    for change in result.access_changes:
        explanation = after.explain(change.account_id, change.namespace)
        assert change.deciding == explanation.deciding
        assert change.reason == explanation.reason
        assert change.deciding_level == explanation.deciding_level
        assert change.allowed_after == explanation.listed

"""Examples of ``orgaccess.impact`` and the change model, mostly on the example organization.

Expected values come from the demo events themselves (which account used
which service when), from the organization's layout, or from AWS's rules for
refusing a call; never from ``impact`` itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from orgaccess import (
    ActivityIndex,
    AttachPolicy,
    ChangeSetError,
    DetachPolicy,
    Evaluator,
    MoveAccount,
    OrganizationBuilder,
    ProposedPolicy,
    ReplacePolicy,
    ServiceCatalog,
    apply_changes,
    example_organization,
    impact,
)
from orgaccess.cli.demo import DEMO_AS_OF, demo_events
from orgaccess.errors import ConfigurationError, InvalidTimeError
from orgaccess.model.events import AccessEvent
from orgaccess.model.ids import AccountId

WORKLOADS = "ou-ex12-workloads"
WORKLOAD_ACCOUNTS = {"121212121212", "444455556666", "555566667777", "666677778888", "777788889999"}
DEV_ACCOUNT = "777788889999"

CATALOG = ServiceCatalog.from_mapping(
    {
        "s3": {"name": "Amazon S3", "actions": ["GetObject", "PutObject"]},
        "ec2": {"name": "Amazon EC2", "actions": ["DescribeInstances", "RunInstances"]},
        "lambda": {"name": "AWS Lambda", "actions": ["InvokeFunction"]},
        "rds": {"name": "Amazon RDS", "actions": ["DescribeDBInstances"]},
        "sts": {"name": "AWS Security Token Service", "actions": ["AssumeRole"]},
    },
    description="impact examples",
)


def deny(*actions: str, name: str = "deny") -> ProposedPolicy:
    return ProposedPolicy(
        document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": list(actions), "Resource": "*"}],
        },
        name=name,
    )


@pytest.fixture(scope="module")
def demo() -> tuple[list[AccessEvent], ActivityIndex]:
    events = list(demo_events(example_organization()))
    return events, ActivityIndex(events, until=DEMO_AS_OF)


def last_use(events: list[AccessEvent], account: str, namespace: str, days: int) -> datetime | None:
    start = DEMO_AS_OF - timedelta(days=days)
    times = [
        e.time
        for e in events
        if e.account_id == account
        and e.service_namespace == namespace
        and start <= e.time
        and e.time <= DEMO_AS_OF
    ]
    return max(times, default=None)


# -- the example organization -------------------------------------------------------
def test_a_deny_of_lambda_on_workloads_cuts_off_the_workload_accounts_that_used_it(
    demo: tuple[list[AccessEvent], ActivityIndex],
) -> None:
    events, index = demo
    policy = deny("lambda:*", name="DenyLambda")
    result = impact(
        example_organization(),
        index,
        [AttachPolicy(policy=policy, target=WORKLOADS)],
        as_of=DEMO_AS_OF,
    )
    used = {a for a in WORKLOAD_ACCOUNTS if last_use(events, a, "lambda", 90) is not None}
    assert used  # the demo events make the example meaningful
    assert {str(c.account_id) for c in result.used_cut_off} == used
    # Only lambda, only below Workloads (the dev OU's allow list allows lambda too).
    assert {c.namespace for c in result.access_changes} == {"lambda"}
    assert {str(c.account_id) for c in result.cut_off} <= WORKLOAD_ACCOUNTS
    for change in result.used_cut_off:
        assert change.last_attempt is not None
        assert change.last_attempt.time == last_use(events, str(change.account_id), "lambda", 90)
        assert (change.deciding[0].policy_id, change.deciding[0].level) == (
            str(policy.id),
            WORKLOADS,
        )
    assert result.breaks_used_access
    assert result.newly_allowed == ()
    by_entity = {str(e.entity_id): e for e in result.entities}
    assert by_entity[WORKLOADS].services_removed == {"lambda"}
    assert by_entity["r-ex12"].services_removed == frozenset()
    assert by_entity["r-ex12"].used_cut_off == len(used)
    assert "ou-ex12-security" not in by_entity


def test_a_deny_of_a_service_nobody_used_in_the_window_cuts_off_nothing_used(
    demo: tuple[list[AccessEvent], ActivityIndex],
) -> None:
    events, index = demo
    # athena is occasional in the demo; pick a service no Security account used.
    security = ("222233334444", "333344445555")
    unused = next(
        ns
        for ns in ("athena", "ecr", "ecs", "secretsmanager", "cloudformation", "ssm", "sns")
        if all(last_use(events, a, ns, 90) is None for a in security)
    )
    result = impact(
        example_organization(),
        index,
        [AttachPolicy(policy=deny(f"{unused}:*"), target="ou-ex12-security")],
        as_of=DEMO_AS_OF,
    )
    assert {str(c.account_id) for c in result.cut_off} == set(security)
    assert result.used_cut_off == ()
    assert not result.breaks_used_access
    assert result.activity_in_window > 0


def test_moving_the_dev_account_to_prod_allows_what_the_dev_allow_list_did_not() -> None:
    org = example_organization()
    result = impact(
        org,
        ActivityIndex(),
        [MoveAccount(account_id=DEV_ACCOUNT, parent_id="ou-ex12-prod0001")],
        as_of=DEMO_AS_OF,
        catalog=CATALOG,
    )
    # p-devrestrict allows some ec2 and s3 actions (and lambda, logs ...), not rds or sts.
    added = {c.namespace for c in result.newly_allowed}
    assert "rds" in added
    assert "ec2" not in added
    assert result.cut_off == ()
    assert all(str(c.account_id) == DEV_ACCOUNT for c in result.access_changes)
    assert all(c.entity_path.ou_ids[-1] == "ou-ex12-prod0001" for c in result.access_changes)


def test_replacing_the_sandbox_allow_list_cuts_off_what_it_no_longer_lists() -> None:
    org = example_organization()
    new = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ec2:*", "sts:*"], "Resource": "*"}],
    }
    result = impact(
        org,
        ActivityIndex(),
        [ReplacePolicy(policy_id="p-sandboxallow", document=new)],
        as_of=DEMO_AS_OF,
        catalog=CATALOG,
    )
    sandbox = {"888899990000", "999900001111"}
    assert {(str(c.account_id), c.namespace) for c in result.cut_off} == {
        (a, ns) for a in sandbox for ns in ("s3", "lambda")
    }
    for change in result.cut_off:
        assert change.deciding_level == "ou-ex12-sandbox1"


def test_the_management_account_is_never_affected() -> None:
    org = example_organization()
    result = impact(
        org,
        ActivityIndex(),
        [AttachPolicy(policy=deny("s3:*"), target="r-ex12")],
        as_of=DEMO_AS_OF,
        catalog=CATALOG,
    )
    accounts = {str(c.account_id) for c in result.cut_off}
    assert "111122223333" not in accounts
    members = {str(a.id) for a in org.accounts} - {"111122223333"}
    # Suspended accounts were already denied everything; every other account loses s3.
    assert accounts == members - {"101010101010"}


# -- the window and the activity count ------------------------------------------------
def _one_account_org() -> OrganizationBuilder:
    b = OrganizationBuilder(
        organization_id="o-a1b2c3d4e5", root_id="r-f6g7", management_account_id="111111111111"
    )
    b.add_ou("ou-f6g7-aaaaaaaa", parent="r-f6g7")
    b.add_account("111111111111", parent="r-f6g7")
    b.add_account("222222222222", parent="ou-f6g7-aaaaaaaa")
    b.add_account("333333333333", parent="ou-f6g7-aaaaaaaa")
    return b


@pytest.mark.parametrize(
    ("age", "used"),
    [
        (timedelta(days=30), True),
        (timedelta(days=30, microseconds=1), False),
        (timedelta(0), True),
        (-timedelta(microseconds=1), False),  # after as_of: not seen yet
    ],
)
def test_an_attempt_is_use_from_the_window_start_to_as_of_both_included(
    age: timedelta, used: bool
) -> None:
    org = _one_account_org().build()
    as_of = datetime(2026, 5, 1, tzinfo=UTC)
    event = AccessEvent(
        account_id="222222222222", service_namespace="s3", region="eu-west-1", time=as_of - age
    )
    result = impact(
        org,
        ActivityIndex([event], keep_history=True),
        [AttachPolicy(policy=deny("s3:*"), target="222222222222")],
        as_of=as_of,
        window_days=30,
        catalog=CATALOG,
    )
    assert len(result.cut_off) == 1
    assert result.cut_off[0].used is used
    assert result.activity_in_window == (1 if used else 0)


def test_the_management_accounts_activity_is_not_counted_as_evidence() -> None:
    org = _one_account_org().build()
    event = AccessEvent(
        account_id="111111111111", service_namespace="s3", region="eu-west-1", time=DEMO_AS_OF
    )
    result = impact(org, ActivityIndex([event]), [], as_of=DEMO_AS_OF, catalog=CATALOG)
    assert result.activity_in_window == 0
    assert result.accounts_with_activity == 0


def test_as_of_must_be_aware_and_window_days_a_non_negative_integer() -> None:
    org = _one_account_org().build()
    with pytest.raises(InvalidTimeError, match="naive"):
        impact(org, ActivityIndex(), [], as_of=datetime(2026, 1, 1), catalog=CATALOG)
    for bad in (-1, True, 1.5):
        with pytest.raises(ConfigurationError, match="window_days"):
            impact(org, ActivityIndex(), [], as_of=DEMO_AS_OF, window_days=bad, catalog=CATALOG)  # type: ignore[arg-type]


# -- explanations are each account's own ------------------------------------------------
def test_an_account_level_verdict_names_each_account_not_a_representative() -> None:
    b = _one_account_org()
    b.add_policy(
        "p-allowalls3",
        '{"Statement": {"Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"}}',
    )
    b.set_scps("222222222222", ["p-allowalls3"])
    b.set_scps("333333333333", ["p-allowalls3"])
    org = b.build()
    new = '{"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}'
    result = impact(
        org,
        ActivityIndex(),
        [ReplacePolicy(policy_id="p-allowalls3", document=new)],
        as_of=DEMO_AS_OF,
        catalog=CATALOG,
    )
    assert [(str(c.account_id), c.namespace) for c in result.cut_off] == [
        ("222222222222", "s3"),
        ("333333333333", "s3"),
    ]
    for change in result.cut_off:
        assert change.deciding_level == change.account_id
        assert f"at {change.account_id} " in change.reason

    # Undo it: the newly allowed rows name each account's own Allow statement.
    back = impact(
        apply_changes(org, [ReplacePolicy(policy_id="p-allowalls3", document=new)]),
        ActivityIndex(),
        [ReplacePolicy(policy_id="p-allowalls3", document=org.policy("p-allowalls3").content)],
        as_of=DEMO_AS_OF,
        catalog=CATALOG,
    )
    for change in back.newly_allowed:
        assert change.deciding[-1].level == change.account_id


# -- refusals ----------------------------------------------------------------------------
def test_every_change_aws_would_refuse_is_reported_at_once() -> None:
    org = example_organization()
    long_doc = json.dumps(
        {
            "Statement": [
                {"Effect": "Deny", "Action": f"s3:Get{'x' * 40}{i}", "Resource": "*"}
                for i in range(100)
            ]
        }
    )
    assert len(long_doc) > 5120
    changes = [
        AttachPolicy(policy=deny("s3:*"), target="ou-ex12-zzzzzzzz"),  # 0 unknown target
        AttachPolicy(policy="p-doesnotexist", target=WORKLOADS),  # 1 unknown policy
        DetachPolicy(policy_id="p-devrestrict", target="ou-ex12-dev00001"),  # 2 leaves none
        AttachPolicy(policy=ProposedPolicy(document=long_doc), target=WORKLOADS),  # 3 too long
        AttachPolicy(policy="p-FullAWSAccess", target=WORKLOADS),  # 4 already attached
        DetachPolicy(policy_id="p-rootguard", target=WORKLOADS),  # 5 not attached there
        ReplacePolicy(policy_id="p-FullAWSAccess", document='{"Statement": []}'),  # 6 managed
        ReplacePolicy(policy_id="p-rootguard", document='{"Statement": []}'),  # 7 malformed
        MoveAccount(account_id="000000000000", parent_id="ou-ex12-prod0001"),  # 8 no account
        MoveAccount(account_id=DEV_ACCOUNT, parent_id="ou-ex12-nothere1"),  # 9 no parent
        MoveAccount(account_id=DEV_ACCOUNT, parent_id="ou-ex12-dev00001"),  # 10 already there
    ]
    with pytest.raises(ChangeSetError) as caught:
        apply_changes(org, changes)
    codes = [
        (p.location.split(" ")[0], p.message.split(" ")[0].rstrip(":"))
        for p in caught.value.problems
    ]
    assert codes == [
        ("changes[0]", "TargetNotFoundException"),
        ("changes[1]", "PolicyNotFoundException"),
        ("changes[2]", "ConstraintViolationException"),
        ("changes[3]", "ConstraintViolationException"),
        ("changes[4]", "DuplicatePolicyAttachmentException"),
        ("changes[5]", "PolicyNotAttachedException"),
        ("changes[6]", "PolicyChangesNotAllowedException"),
        ("changes[7]", "MalformedPolicyDocumentException"),
        ("changes[8]", "AccountNotFoundException"),
        ("changes[9]", "DestinationParentNotFoundException"),
        ("changes[10]", "DuplicateAccountException"),
    ]
    messages = [p.message for p in caught.value.problems]
    assert "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" in messages[2]
    assert "POLICY_CONTENT_LIMIT_EXCEEDED" in messages[3]
    assert "5120" in messages[3]
    # impact() refuses the same way, before any evaluation.
    with pytest.raises(ChangeSetError):
        impact(org, ActivityIndex(), changes, as_of=DEMO_AS_OF, catalog=CATALOG)


def test_a_sixth_scp_on_a_target_is_refused() -> None:
    org = example_organization()
    changes = [
        AttachPolicy(policy=deny(f"s3:Get{i}x"), target=WORKLOADS) for i in range(4)
    ]  # Workloads has 2 SCPs: 2 + 3 = 5 is fine, the 4th new one is the 6th
    with pytest.raises(ChangeSetError) as caught:
        apply_changes(org, changes)
    assert [p.location.split(" ")[0] for p in caught.value.problems] == ["changes[3]"]
    assert "POLICY_NUMBER_LIMIT_EXCEEDED" in caught.value.problems[0].message


def test_edits_are_checked_in_order_as_aws_would_run_them() -> None:
    org = example_organization()
    attach = AttachPolicy(policy=deny("rds:*"), target=DEV_ACCOUNT)
    detach = DetachPolicy(policy_id="p-FullAWSAccess", target=DEV_ACCOUNT)
    after = apply_changes(org, [attach, detach])  # attach first: one SCP is always left
    assert after.scp_ids_attached(DEV_ACCOUNT) == {attach.policy_id}
    with pytest.raises(ChangeSetError) as caught:
        apply_changes(org, [detach, attach])
    assert [p.location.split(" ")[0] for p in caught.value.problems] == ["changes[0]"]


def test_scps_not_enabled_refuses_attach_and_detach() -> None:
    b = OrganizationBuilder(
        organization_id="o-a1b2c3d4e5",
        root_id="r-f6g7",
        management_account_id="111111111111",
        scp_enabled=False,
    )
    b.add_account("111111111111", parent="r-f6g7")
    org = b.build()
    with pytest.raises(ChangeSetError, match="PolicyTypeNotEnabledException"):
        apply_changes(org, [AttachPolicy(policy=deny("s3:*"), target="r-f6g7")])


def test_the_same_proposed_document_gets_the_same_id_and_is_created_once() -> None:
    org = example_organization()
    policy = deny("s3:*")
    assert policy.id == deny("s3:*").id
    assert policy.id != deny("ec2:*").id
    after = apply_changes(
        org,
        [
            AttachPolicy(policy=policy, target=WORKLOADS),
            AttachPolicy(policy=policy, target="ou-ex12-security"),
        ],
    )
    assert after.targets_of(policy.id) == {WORKLOADS, "ou-ex12-security"}
    assert len(after.policies) == len(org.policies) + 1


def test_changes_are_immutable_values() -> None:
    change = AttachPolicy(policy="p-FullAWSAccess", target=WORKLOADS)
    assert change == AttachPolicy(policy="p-FullAWSAccess", target=WORKLOADS)
    assert hash(change) == hash(AttachPolicy(policy="p-FullAWSAccess", target=WORKLOADS))
    with pytest.raises(AttributeError):
        change.target = "r-ex12"  # type: ignore[misc]


def test_impact_evaluates_each_distinct_chain_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts that share parent and SCP ids form one group: one explanation per service."""
    b = _one_account_org()
    for i in range(50):
        b.add_account(f"4444{i:08d}", parent="ou-f6g7-aaaaaaaa")
    org = b.build()
    calls: list[tuple[str, str]] = []
    original = Evaluator.explain

    def counting(self: Evaluator, entity: object, namespace: str, **kw: object) -> object:
        calls.append((str(entity), namespace))
        return original(self, entity, namespace, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Evaluator, "explain", counting)
    result = impact(
        org,
        ActivityIndex(),
        [AttachPolicy(policy=deny("s3:*", "ec2:*"), target="ou-f6g7-aaaaaaaa")],
        as_of=DEMO_AS_OF,
        catalog=CATALOG,
    )
    assert len(result.cut_off) == 52 * 2
    assert len(calls) == 2
    assert AccountId("222222222222") in {c.account_id for c in result.cut_off}

"""Tests of orgaccess.formats.snapshot: loading and writing snapshots (semantics.md 9)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.errors import OrgAccessError, SnapshotError
from orgaccess.formats.snapshot import (
    dump_organization,
    example_organization,
    example_snapshot,
    load_organization,
    to_snapshot,
)
from orgaccess.model.ids import AccountId, OuId, PolicyId, RootId
from orgaccess.model.organization import (
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_ID,
    SCP_TYPE,
    Account,
    Organization,
    OrganizationalUnit,
    Policy,
    Root,
)
from orgaccess.model.policy import parse_policy_document

Snapshot = dict[str, Any]

ORG = "o-a1b2c3d4e5"
ROOT = "r-f6g7"
PROD = "ou-f6g7-aaaaaaaa"
MGMT = "111111111111"
MEMBER = "222222222222"
FULL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
DENY_S3 = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}'
TAG_CONTENT = '{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"}}}}'
NO_SCP = (
    "has no SCP attached while SCPs are enabled (AWS keeps at least one on every root, "
    "OU and account)"
)


def small() -> Snapshot:
    """The example of semantics.md section 9, with the management account at the root.

    Indexes: OrganizationalUnits/0 = Prod; Accounts/0 = management, /1 = member;
    Policies/0 = FullAWSAccess with Targets root, Prod, management, member.
    """
    return {
        "Organization": {"Id": ORG, "MasterAccountId": MGMT, "FeatureSet": "ALL"},
        "Roots": [
            {
                "Id": ROOT,
                "Name": "Root",
                "PolicyTypes": [{"Type": SCP_TYPE, "Status": "ENABLED"}],
            }
        ],
        "OrganizationalUnits": [{"Id": PROD, "Name": "Prod", "ParentId": ROOT}],
        "Accounts": [
            {"Id": MGMT, "Name": "management", "ParentId": ROOT},
            {"Id": MEMBER, "Name": "prod", "ParentId": PROD},
        ],
        "Policies": [
            {
                "PolicySummary": {
                    "Id": "p-FullAWSAccess",
                    "Name": "FullAWSAccess",
                    "Type": SCP_TYPE,
                    "AwsManaged": True,
                },
                "Content": FULL,
                "Targets": [
                    {"TargetId": ROOT},
                    {"TargetId": PROD},
                    {"TargetId": MGMT},
                    {"TargetId": MEMBER},
                ],
            }
        ],
    }


_LABEL = re.compile(r" \((?:root|ou|account|policy) [^ ()]+\)$")


def pointer(location: str) -> str:
    """The JSON pointer of a problem's location, without the id label of its entry
    (``/Policies/7/Content (policy p-abc12345)`` -> ``/Policies/7/Content``)."""
    return _LABEL.sub("", location)


def problems_of(snapshot: object) -> list[tuple[str, str]]:
    """The (JSON pointer, message) pairs of the SnapshotError loading ``snapshot`` raises."""
    with pytest.raises(SnapshotError) as info:
        load_organization(snapshot)  # type: ignore[arg-type]
    return [(pointer(p.location), p.message) for p in info.value.problems]


def add_policy(
    snapshot: Snapshot,
    policy_id: str,
    content: object,
    targets: list[Any],
    *,
    type: str = SCP_TYPE,
) -> None:
    snapshot["Policies"].append(
        {
            "PolicySummary": {"Id": policy_id, "Name": policy_id, "Type": type},
            "Content": content,
            "Targets": targets,
        }
    )


# -- the bundled example ------------------------------------------------------------------


def test_bundled_example_loads_with_its_documented_shape() -> None:
    org = example_organization()
    assert (org.id, org.root.id, org.management_account_id) == (
        "o-exampleorg1",
        "r-ex12",
        "111122223333",
    )
    assert org.scp_enabled
    names = {ou.name for ou in org.organizational_units}
    assert names == {"Security", "Workloads", "Prod", "Payments", "Dev", "Sandbox", "Suspended"}
    assert 8 <= len(org.accounts) <= 12
    depths = {len(org.path_of(a.id).ou_ids) for a in org.accounts}
    assert depths == {0, 1, 2, 3}
    payments = next(ou for ou in org.organizational_units if ou.name == "Payments")
    chain = [org.entity(e).name for e in org.parent_chain(payments.id)]
    assert chain == ["Root", "Workloads", "Prod", "Payments"]


def test_bundled_example_has_the_documented_policies() -> None:
    org = example_organization()
    by_name = {p.name: p for p in org.policies}
    root_scps = {p.name for p in org.scps_attached(org.root.id)}
    assert root_scps == {"FullAWSAccess", "OrganizationGuardrails"}
    assert by_name["FullAWSAccess"].aws_managed
    assert org.targets_of(by_name["ProtectCloudTrail"].id) == frozenset()
    ou_ids = {ou.name: ou.id for ou in org.organizational_units}
    assert {p.name for p in org.scps_attached(ou_ids["Sandbox"])} == {"SandboxAllowList"}
    assert {p.name for p in org.scps_attached(ou_ids["Suspended"])} == {
        "FullAWSAccess",
        "DenyAllSuspended",
    }
    guard = by_name["RegionGuardrail"].document.statements[0]
    assert (guard.effect.value, guard.not_actions is not None, guard.has_condition) == (
        "Deny",
        True,
        True,
    )
    assert {ou_ids["Workloads"]} == set(org.targets_of(by_name["RegionGuardrail"].id))
    patterns = {
        a.text
        for s in by_name["DevRestrictedAccess"].document.statements
        for a in s.action_patterns
    }
    assert {"s3:*Object", "ec2:?escribe*"} <= patterns
    denied = {
        a.text for a in by_name["OrganizationGuardrails"].document.statements[0].action_patterns
    }
    denied |= {
        a.text for a in by_name["OrganizationGuardrails"].document.statements[1].action_patterns
    }
    assert denied == {"organizations:LeaveOrganization", "iam:CreateUser"}
    assert all(len(p.content) <= 5120 for p in org.scps)


def test_bundled_example_is_written_back_unchanged() -> None:
    assert to_snapshot(example_organization()) == example_snapshot()


def test_bundled_example_loads_from_its_parsed_json_too() -> None:
    assert load_organization(example_snapshot()) == example_organization()


# -- round trips ---------------------------------------------------------------------------


def test_load_of_written_example_is_equal() -> None:
    org = example_organization()
    assert load_organization(to_snapshot(org)) == org


def test_dump_organization_writes_a_file_that_loads_back(tmp_path: Path) -> None:
    org = example_organization()
    target = tmp_path / "org.json"
    written = dump_organization(org, target)
    assert json.loads(target.read_text(encoding="utf-8")) == written
    assert load_organization(target) == org
    assert load_organization(str(target)) == org


def test_write_keeps_scp_status_and_omits_unset_optional_keys() -> None:
    snapshot = small()
    snapshot["Roots"][0]["PolicyTypes"] = [{"Type": SCP_TYPE, "Status": "PENDING_ENABLE"}]
    written = to_snapshot(load_organization(snapshot))
    assert written["Roots"][0]["PolicyTypes"] == [{"Type": SCP_TYPE, "Status": "PENDING_ENABLE"}]
    assert written["Accounts"][1] == {"Id": MEMBER, "Name": "prod", "ParentId": PROD}
    assert written["Organization"] == {"Id": ORG, "FeatureSet": "ALL", "MasterAccountId": MGMT}


def test_write_lists_ous_and_accounts_in_tree_order() -> None:
    snapshot = small()
    snapshot["OrganizationalUnits"].insert(
        0, {"Id": "ou-f6g7-00000000", "Name": "Child", "ParentId": PROD}
    )
    snapshot["Policies"][0]["Targets"].append("ou-f6g7-00000000")
    written = to_snapshot(load_organization(snapshot))
    assert [ou["Id"] for ou in written["OrganizationalUnits"]] == [PROD, "ou-f6g7-00000000"]
    assert [a["Id"] for a in written["Accounts"]] == [MGMT, MEMBER]
    targets = written["Policies"][0]["Targets"]
    assert targets[0] == {"TargetId": MGMT, "Type": "ACCOUNT"}
    assert {t["Type"] for t in targets} == {"ACCOUNT", "ORGANIZATIONAL_UNIT", "ROOT"}


# A Hypothesis strategy of valid organizations, built up from the id grammar.
_LABELS = st.text(max_size=12)
_OPTIONAL_TEXT = st.none() | _LABELS
_TIMES = st.none() | st.datetimes(timezones=st.just(UTC))
_DOCUMENTS: st.SearchStrategy[str | dict[str, Any]] = st.sampled_from(
    [
        DENY_S3,
        {"Statement": {"Effect": "Allow", "Action": ["ec2:?escribe*", "s3:*Object"]}},
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Region",
                    "Effect": "Deny",
                    "NotAction": ["iam:*", "sts:*"],
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
                }
            ],
        },
        '{\n  "Statement": {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::x"}\n}',
    ]
)


@st.composite
def organizations(draw: st.DrawFn) -> Organization:
    """Valid organizations: nested OUs (at most five deep), accounts, SCPs and other policies."""
    root_part = draw(st.from_regex(r"[0-9a-z]{4,6}", fullmatch=True))
    root_id = f"r-{root_part}"
    ou_ids = draw(
        st.lists(
            st.from_regex(rf"ou-{root_part}-[a-z0-9]{{8,10}}", fullmatch=True),
            max_size=8,
            unique=True,
        )
    )
    depth = {root_id: 0}
    ous = []
    for ou_id in ou_ids:
        parent = draw(st.sampled_from([p for p, d in depth.items() if d < 5]))
        depth[ou_id] = depth[parent] + 1
        ous.append(
            OrganizationalUnit(
                id=ou_id, parent_id=parent, name=draw(_LABELS), arn=draw(_OPTIONAL_TEXT)
            )
        )
    account_ids = draw(
        st.lists(st.from_regex(r"[0-9]{12}", fullmatch=True), min_size=1, max_size=6, unique=True)
    )
    accounts = [
        Account(
            id=account_id,
            parent_id=draw(st.sampled_from(sorted(depth))),
            name=draw(_LABELS),
            arn=draw(_OPTIONAL_TEXT),
            email=draw(_OPTIONAL_TEXT),
            status=draw(st.none() | st.sampled_from(["ACTIVE", "SUSPENDED"])),
            state=draw(st.none() | st.sampled_from(["ACTIVE", "CLOSED", "SOMETHING_NEW"])),
            joined_method=draw(st.none() | st.sampled_from(["INVITED", "CREATED"])),
            joined_timestamp=draw(_TIMES),
        )
        for account_id in account_ids
    ]
    policy_ids = draw(
        st.lists(st.from_regex(r"p-[0-9a-zA-Z_]{8,12}", fullmatch=True), max_size=4, unique=True)
    )
    policies = [FULL_AWS_ACCESS] + [
        Policy(
            id=policy_id,
            name=draw(_LABELS),
            document=parse_policy_document(draw(_DOCUMENTS)),
            type=draw(st.sampled_from([SCP_TYPE, SCP_TYPE, "TAG_POLICY"])),
            description=draw(_LABELS),
            aws_managed=draw(st.booleans()),
            arn=draw(_OPTIONAL_TEXT),
        )
        for policy_id in policy_ids
        if policy_id != FULL_AWS_ACCESS_ID
    ]
    scp_ids = [p.id for p in policies if p.is_scp]
    other_ids = [p.id for p in policies if not p.is_scp]
    scp_enabled = draw(st.booleans())
    attachments = set()
    for target in [root_id, *ou_ids, *account_ids]:
        chosen = draw(
            st.lists(
                st.sampled_from(scp_ids),
                min_size=1 if scp_enabled else 0,
                max_size=min(5, len(scp_ids)),
                unique=True,
            )
        )
        if other_ids:
            chosen += draw(st.lists(st.sampled_from(other_ids), unique=True))
        attachments |= {(p, target) for p in chosen}
    return Organization(
        id=draw(st.from_regex(r"o-[a-z0-9]{10,12}", fullmatch=True)),
        management_account_id=draw(st.sampled_from(account_ids)),
        root=Root(
            id=root_id,
            name=draw(_LABELS),
            arn=draw(_OPTIONAL_TEXT),
            scp_enabled=scp_enabled,
            scp_status=draw(
                st.sampled_from([None, "ENABLED", "PENDING_ENABLE", "PENDING_DISABLE"])
            ),
        ),
        organizational_units=ous,
        accounts=accounts,
        policies=policies,
        attachments=attachments,
        feature_set=draw(st.sampled_from(["ALL", "CONSOLIDATED_BILLING"])),
        arn=draw(_OPTIONAL_TEXT),
        management_account_arn=draw(_OPTIONAL_TEXT),
        management_account_email=draw(_OPTIONAL_TEXT),
    )


@settings(max_examples=150)
@given(organizations())
def test_load_of_written_organization_is_equal_through_json_text(org: Organization) -> None:
    text = json.dumps(to_snapshot(org))
    assert load_organization(json.loads(text)) == org


@given(organizations())
def test_write_of_loaded_snapshot_is_the_same_snapshot(org: Organization) -> None:
    snapshot = to_snapshot(org)
    assert to_snapshot(load_organization(snapshot)) == snapshot


# -- a realistic snapshot: extra AWS keys, plain-string targets ---------------------------------


def realistic() -> Snapshot:
    arn = "arn:aws:organizations::111111111111"
    return {
        "Organization": {
            "Id": ORG,
            "Arn": f"{arn}:organization/{ORG}",
            "FeatureSet": "ALL",
            "MasterAccountArn": f"{arn}:account/{ORG}/{MGMT}",
            "MasterAccountEmail": "root@example.com",
            "MasterAccountId": MGMT,
            "AvailablePolicyTypes": [{"Type": SCP_TYPE, "Status": "ENABLED"}],
        },
        "Roots": [
            {
                "Id": ROOT,
                "Arn": f"{arn}:root/{ORG}/{ROOT}",
                "Name": "Root",
                "PolicyTypes": [
                    {"Type": "TAG_POLICY", "Status": "ENABLED"},
                    {"Type": SCP_TYPE, "Status": "ENABLED"},
                ],
            }
        ],
        "OrganizationalUnits": [
            {
                "Id": PROD,
                "Arn": f"{arn}:ou/{ORG}/{PROD}",
                "Name": "Prod",
                "Path": f"{ORG}/{ROOT}/{PROD}/",
                "ParentId": ROOT,
            }
        ],
        "Accounts": [
            {
                "Id": MGMT,
                "Arn": f"{arn}:account/{ORG}/{MGMT}",
                "Email": "root@example.com",
                "Name": "management",
                "Status": "ACTIVE",
                "State": "ACTIVE",
                "JoinedMethod": "INVITED",
                "JoinedTimestamp": "2019-03-14T09:26:53.123000+00:00",
                "Paths": [f"{ORG}/{ROOT}/{MGMT}/"],
                "ParentId": ROOT,
            },
            {
                "Id": MEMBER,
                "Arn": f"{arn}:account/{ORG}/{MEMBER}",
                "Email": "prod@example.com",
                "Name": "prod",
                "Status": "ACTIVE",
                "State": "ACTIVE",
                "JoinedMethod": "CREATED",
                "JoinedTimestamp": 1581956453.5,
                "ParentId": PROD,
            },
        ],
        "Policies": [
            {
                "PolicySummary": {
                    "Id": "p-FullAWSAccess",
                    "Arn": FULL_AWS_ACCESS.arn,
                    "Name": "FullAWSAccess",
                    "Description": "Allows access to every operation",
                    "Type": SCP_TYPE,
                    "AwsManaged": True,
                },
                "Content": FULL,
                "Targets": [
                    {
                        "TargetId": ROOT,
                        "Arn": f"{arn}:root/{ORG}/{ROOT}",
                        "Name": "Root",
                        "Type": "ROOT",
                    },
                    PROD,
                    MGMT,
                    {"TargetId": MEMBER, "Type": "ACCOUNT"},
                ],
            },
            {
                "PolicySummary": {
                    "Id": "p-denys3all",
                    "Arn": f"{arn}:policy/{ORG}/service_control_policy/p-denys3all",
                    "Name": "DenyS3",
                    "Description": "",
                    "Type": SCP_TYPE,
                    "AwsManaged": False,
                },
                "Content": DENY_S3,
                "Targets": [PROD],
            },
            {
                "PolicySummary": {
                    "Id": "p-tagcostctr",
                    "Name": "CostCenterTags",
                    "Type": "TAG_POLICY",
                    "AwsManaged": False,
                },
                "Content": TAG_CONTENT,
                "Targets": [ROOT],
            },
        ],
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }


def test_realistic_snapshot_keeps_every_modelled_key() -> None:
    org = load_organization(realistic())
    arn = "arn:aws:organizations::111111111111"
    assert org.arn == f"{arn}:organization/{ORG}"
    assert org.management_account_arn == f"{arn}:account/{ORG}/{MGMT}"
    assert org.management_account_email == "root@example.com"
    assert org.root == Root(id=ROOT, name="Root", arn=f"{arn}:root/{ORG}/{ROOT}", scp_enabled=True)
    assert org.root.scp_status == "ENABLED"
    assert org.entity(PROD) == OrganizationalUnit(
        id=PROD, parent_id=ROOT, name="Prod", arn=f"{arn}:ou/{ORG}/{PROD}"
    )
    expected_member = Account(
        id=MEMBER,
        parent_id=PROD,
        name="prod",
        arn=f"{arn}:account/{ORG}/{MEMBER}",
        email="prod@example.com",
        status="ACTIVE",
        state="ACTIVE",
        joined_method="CREATED",
        joined_timestamp=datetime(2020, 2, 17, 16, 20, 53, 500000, tzinfo=UTC),
    )
    assert org.account(MEMBER) == expected_member
    assert org.account(MGMT).joined_timestamp == datetime(
        2019, 3, 14, 9, 26, 53, 123000, tzinfo=UTC
    )
    assert org.policy("p-FullAWSAccess") == FULL_AWS_ACCESS


def test_plain_string_and_object_targets_are_the_same_attachments() -> None:
    org = load_organization(realistic())
    expected = {RootId(ROOT), OuId(PROD), AccountId(MGMT), AccountId(MEMBER)}
    assert org.targets_of("p-FullAWSAccess") == expected
    assert org.targets_of("p-denys3all") == {OuId(PROD)}


def test_write_of_realistic_snapshot_preserves_the_modelled_keys() -> None:
    source = realistic()
    written = to_snapshot(load_organization(source))
    ignored = {"AvailablePolicyTypes", "Path", "Paths"}

    def modelled(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in entry.items() if k not in ignored}

    assert written["Organization"] == modelled(source["Organization"])
    assert written["Roots"][0]["PolicyTypes"] == [{"Type": SCP_TYPE, "Status": "ENABLED"}]
    assert modelled(written["Roots"][0]) | {"PolicyTypes": None} == modelled(source["Roots"][0]) | {
        "PolicyTypes": None
    }
    assert written["OrganizationalUnits"] == [modelled(source["OrganizationalUnits"][0])]
    assert written["Accounts"][0] == modelled(source["Accounts"][0])
    assert written["Accounts"][1] == source["Accounts"][1] | {
        "JoinedTimestamp": "2020-02-17T16:20:53.500000+00:00"
    }
    by_id = {p["PolicySummary"]["Id"]: p for p in written["Policies"]}
    for policy in source["Policies"]:
        out = by_id[policy["PolicySummary"]["Id"]]
        assert out["Content"] == policy["Content"]
        assert out["PolicySummary"] == {"Description": ""} | policy["PolicySummary"]
        ids = sorted(t if isinstance(t, str) else t["TargetId"] for t in policy["Targets"])
        assert [t["TargetId"] for t in out["Targets"]] == ids


def test_non_scp_policy_is_kept_with_its_type_and_verbatim_content() -> None:
    org = load_organization(realistic())
    tags = org.policy("p-tagcostctr")
    assert (tags.type, tags.is_scp, tags.content) == ("TAG_POLICY", False, TAG_CONTENT)
    assert tags.document.statements == ()
    assert org.targets_of("p-tagcostctr") == {RootId(ROOT)}
    assert PolicyId("p-tagcostctr") not in org.scp_ids_attached(ROOT)
    assert PolicyId("p-tagcostctr") not in {p.id for p in org.scps}


def test_non_scp_policy_in_scp_grammar_keeps_its_statements() -> None:
    snapshot = small()
    add_policy(snapshot, "p-rcpdenys3", DENY_S3, [ROOT], type="RESOURCE_CONTROL_POLICY")
    policy = load_organization(snapshot).policy("p-rcpdenys3")
    assert policy.document == parse_policy_document(DENY_S3)
    assert not policy.is_scp


def test_non_scp_policy_does_not_count_as_the_required_scp() -> None:
    snapshot = small()
    snapshot["Policies"][0]["Targets"].pop()  # the member account's FullAWSAccess
    add_policy(snapshot, "p-tagcostctr", TAG_CONTENT, [MEMBER], type="TAG_POLICY")
    assert problems_of(snapshot) == [("/Accounts/1", f"{MEMBER} {NO_SCP}")]


def test_non_scp_policy_is_not_limited_to_5120_characters() -> None:
    snapshot = small()
    big = json.dumps({"tags": {f"k{i:05d}": {"tag_key": {"@@assign": "x"}} for i in range(300)}})
    assert len(big) > 5120
    add_policy(snapshot, "p-tagcostctr", big, [], type="TAG_POLICY")
    assert load_organization(snapshot).policy("p-tagcostctr").content == big


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        ("[1, 2]", "policy content must be a JSON object, got an array"),
    ],
)
def test_non_scp_policy_content_must_still_be_a_json_object(content: str, message: str) -> None:
    snapshot = small()
    add_policy(snapshot, "p-tagcostctr", content, [], type="TAG_POLICY")
    assert problems_of(snapshot) == [("/Policies/1/Content", message)]


def test_content_may_be_an_already_parsed_object() -> None:
    snapshot = small()
    add_policy(snapshot, "p-denys3all", json.loads(DENY_S3), [PROD])
    policy = load_organization(snapshot).policy("p-denys3all")
    assert policy.document == parse_policy_document(DENY_S3)
    assert policy.content == DENY_S3


def test_null_optional_keys_count_as_absent() -> None:
    snapshot = small()
    snapshot["Accounts"][1] |= {"Email": None, "JoinedTimestamp": None, "Arn": None}
    snapshot["Policies"][0]["Targets"] = [ROOT, PROD, MGMT, MEMBER]
    snapshot["OrganizationalUnits"].append(
        {"Id": "ou-f6g7-bbbbbbbb", "Name": "Empty", "ParentId": PROD}
    )
    snapshot["Policies"][0]["Targets"].append("ou-f6g7-bbbbbbbb")
    snapshot["Policies"][0]["PolicySummary"]["Description"] = None
    member = load_organization(snapshot).account(MEMBER)
    assert (member.email, member.joined_timestamp, member.arn) == (None, None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-03-14T09:26:53Z", datetime(2019, 3, 14, 9, 26, 53, tzinfo=UTC)),
        ("2019-03-14T11:26:53+02:00", datetime(2019, 3, 14, 9, 26, 53, tzinfo=UTC)),
        ("2019-03-14T09:26:53.250000+00:00", datetime(2019, 3, 14, 9, 26, 53, 250000, tzinfo=UTC)),
        (1552555613, datetime(2019, 3, 14, 9, 26, 53, tzinfo=UTC)),
        (1552555613.25, datetime(2019, 3, 14, 9, 26, 53, 250000, tzinfo=UTC)),
    ],
)
def test_joined_timestamp_accepts_iso_text_and_epoch_seconds_normalised_to_utc(
    value: object, expected: datetime
) -> None:
    snapshot = small()
    snapshot["Accounts"][1]["JoinedTimestamp"] = value
    joined = load_organization(snapshot).account(MEMBER).joined_timestamp
    assert joined == expected
    assert joined is not None
    assert joined.tzinfo is UTC


# -- SCPs enabled or not --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy_types", "enabled", "status"),
    [
        ([{"Type": SCP_TYPE, "Status": "ENABLED"}], True, "ENABLED"),
        ([{"Type": SCP_TYPE, "Status": "PENDING_ENABLE"}], False, "PENDING_ENABLE"),
        ([{"Type": SCP_TYPE, "Status": "PENDING_DISABLE"}], False, "PENDING_DISABLE"),
        ([{"Type": "TAG_POLICY", "Status": "ENABLED"}], False, None),
        ([], False, None),
    ],
)
def test_scps_are_enabled_only_when_the_scp_type_is_enabled(
    policy_types: list[dict[str, str]], enabled: bool, status: str | None
) -> None:
    snapshot = small()
    snapshot["Roots"][0]["PolicyTypes"] = policy_types
    root = load_organization(snapshot).root
    assert (root.scp_enabled, root.scp_status) == (enabled, status)


def test_scps_not_enabled_require_no_attachments() -> None:
    snapshot = small()
    snapshot["Roots"][0]["PolicyTypes"] = []
    del snapshot["Policies"]
    org = load_organization(snapshot)
    assert not org.scp_enabled
    assert org.attachments == frozenset()
    assert to_snapshot(org)["Roots"][0]["PolicyTypes"] == []


def test_scps_pending_enable_require_no_attachments() -> None:
    snapshot = small()
    snapshot["Roots"][0]["PolicyTypes"] = [{"Type": SCP_TYPE, "Status": "PENDING_ENABLE"}]
    snapshot["Policies"] = []
    assert not load_organization(snapshot).scp_enabled


def test_optional_sections_may_be_absent() -> None:
    snapshot = small()
    snapshot["Roots"][0]["PolicyTypes"] = []
    del snapshot["Policies"]
    del snapshot["OrganizationalUnits"]
    snapshot["Accounts"] = [{"Id": MGMT, "Name": "management", "ParentId": ROOT}]
    org = load_organization(snapshot)
    assert (org.organizational_units, org.policies) == ((), ())


# -- every invalid case, with its JSON location ---------------------------------------------

Mutation = Callable[[Snapshot], None]


def _set(path: str, value: object) -> Mutation:
    """A mutation setting the value at a JSON pointer (the last part may be new)."""
    *parents, last = path.strip("/").split("/")

    def mutate(snapshot: Snapshot) -> None:
        node: Any = snapshot
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    *parents, last = path.strip("/").split("/")

    def mutate(snapshot: Snapshot) -> None:
        node: Any = snapshot
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[int(last) if isinstance(node, list) else last]

    return mutate


def _append(path: str, value: object) -> Mutation:
    def mutate(snapshot: Snapshot) -> None:
        node: Any = snapshot
        for part in path.strip("/").split("/"):
            node = node[int(part)] if isinstance(node, list) else node[part]
        node.append(copy.deepcopy(value))

    return mutate


def _chain(*mutations: Mutation) -> Mutation:
    def mutate(snapshot: Snapshot) -> None:
        for mutation in mutations:
            mutation(snapshot)

    return mutate


def _with_deep_ous(snapshot: Snapshot) -> None:
    parent = ROOT
    for n in range(6):
        ou_id = f"ou-f6g7-deep000{n}"
        snapshot["OrganizationalUnits"].append({"Id": ou_id, "Name": f"L{n}", "ParentId": parent})
        snapshot["Policies"][0]["Targets"].append(ou_id)
        parent = ou_id


def _with_six_scps_on_prod(snapshot: Snapshot) -> None:
    for n in range(5):
        add_policy(snapshot, f"p-denys3000{n}", DENY_S3, [PROD])


_UNREACHABLE = "is not reachable from the root (a cycle of parents, or below an OU that is)"
_BIG_SCP = FULL[:-1] + " " * (5121 - len(FULL)) + "}"
_NEW_OU = {"Id": "ou-f6g7-bbbbbbbb", "Name": "Other", "ParentId": PROD}

INVALID_CASES = [
    pytest.param(
        _delete("/Accounts/1/ParentId"),
        [("/Accounts/1/ParentId", "missing required key 'ParentId'")],
        id="missing-key",
    ),
    pytest.param(
        _set("/Accounts/1/Name", 5),
        [("/Accounts/1/Name", "Name must be a string, got a number (5)")],
        id="mistyped-key",
    ),
    pytest.param(
        _set("/Policies/0/PolicySummary/AwsManaged", "yes"),
        [
            (
                "/Policies/0/PolicySummary/AwsManaged",
                "AwsManaged must be true or false, got a string ('yes')",
            )
        ],
        id="mistyped-boolean",
    ),
    pytest.param(
        _set("/Accounts", {"Id": MGMT}),
        [("/Accounts", "Accounts must be a JSON array, got an object")],
        id="section-not-an-array",
    ),
    pytest.param(
        _append("/OrganizationalUnits", "Staging"),
        [
            (
                "/OrganizationalUnits/1",
                "an organizational unit must be a JSON object, got a string ('Staging')",
            ),
        ],
        id="entry-not-an-object",
    ),
    pytest.param(
        _set("/Organization/Id", "o-TOOSHORT"),
        [
            (
                "/Organization/Id",
                "'o-TOOSHORT' is not a valid organization id: expected 'o-' and 10 to 32 "
                "lower-case letters or digits (pattern ^o-[a-z0-9]{10,32}$)",
            )
        ],
        id="invalid-organization-id",
    ),
    pytest.param(
        _append("/OrganizationalUnits", {"Id": "ou-F6G7-aaaaaaaa", "Name": "X", "ParentId": ROOT}),
        [
            (
                "/OrganizationalUnits/1/Id",
                "'ou-F6G7-aaaaaaaa' is not a valid ou id: expected 'ou-', 4 to 32 lower-case "
                "letters or digits, '-', and 8 to 32 more "
                "(pattern ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$)",
            ),
        ],
        id="invalid-ou-id",
    ),
    pytest.param(
        _set("/Policies/0/Targets/1", {"TargetId": ROOT}),
        [
            ("/OrganizationalUnits/0", f"{PROD} {NO_SCP}"),
            ("/Policies/0/Targets/1", f"{ROOT} is listed more than once"),
        ],
        id="target-listed-twice",
    ),
    pytest.param(
        _set("/Accounts/1/Id", "22222222222"),
        [
            (
                "/Accounts/1/Id",
                "'22222222222' is not a valid account id: expected exactly 12 digits "
                r"(pattern ^\d{12}$)",
            ),
            (
                "/Policies/0/Targets/3",
                f"policy p-FullAWSAccess is attached to unknown target {MEMBER}",
            ),
        ],
        id="invalid-account-id",
    ),
    pytest.param(
        _set("/Policies/0/PolicySummary/Id", "p-short"),
        [
            (
                "/Policies/0/PolicySummary/Id",
                "'p-short' is not a valid policy id: expected 'p-' and 8 to 128 letters, digits "
                "or '_' (pattern ^p-[0-9a-zA-Z_]{8,128}$)",
            )
        ],
        id="invalid-policy-id",
    ),
    pytest.param(
        _set("/Accounts/1/ParentId", "ou-f6g7-zzzzzzzz"),
        [("/Accounts/1", f"parent ou-f6g7-zzzzzzzz of {MEMBER} does not exist")],
        id="unknown-parent",
    ),
    pytest.param(
        _set("/Accounts/1/ParentId", MGMT),
        [("/Accounts/1/ParentId", f"'{MGMT}' is an account id; a parent is the root or an OU")],
        id="parent-is-an-account",
    ),
    pytest.param(
        _set("/Accounts/1/ParentId", "nonsense"),
        [("/Accounts/1/ParentId", "'nonsense' is not a root or OU id")],
        id="parent-not-an-id",
    ),
    pytest.param(
        _chain(
            _append("/OrganizationalUnits", _NEW_OU),
            _append("/Policies/0/Targets", "ou-f6g7-bbbbbbbb"),
            _set("/OrganizationalUnits/0/ParentId", "ou-f6g7-bbbbbbbb"),
        ),
        [
            ("/OrganizationalUnits/0", f"{PROD} {_UNREACHABLE}"),
            ("/OrganizationalUnits/1", f"ou-f6g7-bbbbbbbb {_UNREACHABLE}"),
            ("/Accounts/1", f"{MEMBER} {_UNREACHABLE}"),
        ],
        id="cycle",
    ),
    pytest.param(
        _with_deep_ous,
        [
            (
                "/OrganizationalUnits/6",
                "OU ou-f6g7-deep0005 is nested more than 5 levels below the root",
            )
        ],
        id="depth-over-5",
    ),
    pytest.param(
        _append("/Accounts", {"Id": MEMBER, "Name": "again", "ParentId": ROOT}),
        [("/Accounts/2/Id", f"duplicate id {MEMBER} (first at /Accounts/1)")],
        id="duplicate-account",
    ),
    pytest.param(
        _append("/OrganizationalUnits", {"Id": PROD, "Name": "again", "ParentId": ROOT}),
        [("/OrganizationalUnits/1/Id", f"duplicate id {PROD} (first at /OrganizationalUnits/0)")],
        id="duplicate-ou",
    ),
    pytest.param(
        lambda s: add_policy(s, "p-FullAWSAccess", FULL, []),
        [("/Policies/1/PolicySummary/Id", "duplicate id p-FullAWSAccess (first at /Policies/0)")],
        id="duplicate-policy",
    ),
    pytest.param(
        _append("/Roots", {"Id": ROOT, "Name": "Root", "PolicyTypes": []}),
        [
            ("/Roots", "an organization has exactly one root; found 2"),
            ("/Roots/1/Id", f"duplicate id {ROOT}"),
        ],
        id="duplicate-root",
    ),
    pytest.param(
        _append("/Policies/0/Targets", "333333333333"),
        [
            (
                "/Policies/0/Targets/4",
                "policy p-FullAWSAccess is attached to unknown target 333333333333",
            )
        ],
        id="attachment-to-unknown-target",
    ),
    pytest.param(
        _append("/Policies/0/Targets", {"TargetId": "p-FullAWSAccess"}),
        [("/Policies/0/Targets/4/TargetId", "'p-FullAWSAccess' is not a root, OU or account id")],
        id="target-not-an-entity-id",
    ),
    pytest.param(
        _append("/Policies/0/Targets", 7),
        [("/Policies/0/Targets/4", "a target must be an id or an object, got a number (7)")],
        id="target-not-an-id-or-object",
    ),
    pytest.param(
        _set("/Policies/0/Targets/1", {"TargetId": PROD, "Type": "ACCOUNT"}),
        [
            (
                "/Policies/0/Targets/1/Type",
                f"Type 'ACCOUNT' does not match {PROD} (ORGANIZATIONAL_UNIT)",
            )
        ],
        id="target-type-mismatch",
    ),
    pytest.param(
        _set("/Policies/0/Content", "{not json"),
        [
            (
                "/Policies/0/Content",
                "not valid JSON: Expecting property name enclosed in double quotes: "
                "line 1 column 2 (char 1)",
            )
        ],
        id="scp-content-not-json",
    ),
    pytest.param(
        _set(
            "/Policies/0/Content",
            '{"Statement": {"Effect": "Allow", "Action": "*:Get*", "Principal": "*"}}',
        ),
        [
            ("/Policies/0/Content", "Statement.Principal: Principal is not supported in SCPs"),
            (
                "/Policies/0/Content",
                "Statement.Action[0]: '*:Get*': Action vendors must not contain wildcards",
            ),
        ],
        id="scp-content-not-a-policy",
    ),
    pytest.param(
        _set("/Policies/0/Content", 42),
        [("/Policies/0/Content", "Content must be policy JSON text, got a number (42)")],
        id="scp-content-mistyped",
    ),
    pytest.param(
        _set("/Policies/0/Content", _BIG_SCP),
        [("/Policies/0/Content", "document has 5121 characters; SCPs are limited to 5120")],
        id="scp-content-over-5120",
    ),
    pytest.param(
        _delete("/Policies/0/Targets/3"),
        [("/Accounts/1", f"{MEMBER} {NO_SCP}")],
        id="account-without-scp",
    ),
    pytest.param(
        _delete("/Policies/0/Targets/0"),
        [("/Roots/0", f"{ROOT} {NO_SCP}")],
        id="root-without-scp",
    ),
    pytest.param(
        _with_six_scps_on_prod,
        [("/OrganizationalUnits/0", f"{PROD} has 6 SCPs attached; AWS allows at most 5")],
        id="more-than-5-scps",
    ),
    pytest.param(
        _set("/Organization/MasterAccountId", "333333333333"),
        [
            (
                "/Organization/MasterAccountId",
                "management account 333333333333 is not one of the accounts",
            )
        ],
        id="management-account-not-among-accounts",
    ),
    pytest.param(
        _set("/Roots", []),
        [("/Roots", "an organization has exactly one root; found 0")],
        id="no-root",
    ),
    pytest.param(
        _delete("/Roots"),
        [("/Roots", "missing required key 'Roots'")],
        id="roots-missing",
    ),
    pytest.param(
        _append("/Roots", {"Id": "r-zz99", "Name": "Other", "PolicyTypes": []}),
        [("/Roots", "an organization has exactly one root; found 2")],
        id="several-roots",
    ),
    pytest.param(
        _set("/Roots/0/PolicyTypes/0/Status", "ON"),
        [
            (
                "/Roots/0/PolicyTypes/0/Status",
                "Status must be one of ENABLED, PENDING_DISABLE, PENDING_ENABLE, got 'ON'",
            )
        ],
        id="policy-type-status-outside-enum",
    ),
    pytest.param(
        _append("/Roots/0/PolicyTypes", {"Type": SCP_TYPE, "Status": "ENABLED"}),
        [("/Roots/0/PolicyTypes/1/Type", "SERVICE_CONTROL_POLICY is listed more than once")],
        id="scp-type-listed-twice",
    ),
    pytest.param(
        _delete("/Roots/0/PolicyTypes"),
        [("/Roots/0/PolicyTypes", "missing required key 'PolicyTypes'")],
        id="policy-types-missing",
    ),
    pytest.param(
        _set("/Accounts/1/JoinedTimestamp", "2020-01-01T00:00:00"),
        [
            (
                "/Accounts/1/JoinedTimestamp",
                "JoinedTimestamp '2020-01-01T00:00:00' has no UTC offset; its instant is unknown",
            )
        ],
        id="timestamp-without-offset",
    ),
    pytest.param(
        _set("/Accounts/1/JoinedTimestamp", "yesterday"),
        [
            (
                "/Accounts/1/JoinedTimestamp",
                "JoinedTimestamp 'yesterday' is not a usable time: Invalid isoformat string: "
                "'yesterday'",
            )
        ],
        id="timestamp-not-a-time",
    ),
    pytest.param(
        _set("/Accounts/1/JoinedTimestamp", True),
        [
            (
                "/Accounts/1/JoinedTimestamp",
                "JoinedTimestamp must be ISO 8601 text or seconds since the epoch, got a boolean",
            )
        ],
        id="timestamp-boolean",
    ),
    pytest.param(
        _set("/Policies/0/PolicySummary/Type", ""),
        [("/Policies/0/PolicySummary/Type", "Type must not be empty")],
        id="policy-type-empty",
    ),
    pytest.param(
        _delete("/Policies/0/PolicySummary"),
        [("/Policies/0/PolicySummary", "missing required key 'PolicySummary'")],
        id="policy-summary-missing",
    ),
    pytest.param(
        _delete("/Policies/0/Content"),
        [("/Policies/0/Content", "missing required key 'Content'")],
        id="content-missing",
    ),
    pytest.param(
        _set("/Organization", "o-a1b2c3d4e5"),
        [("/Organization", "Organization must be a JSON object, got a string ('o-a1b2c3d4e5')")],
        id="organization-not-an-object",
    ),
    pytest.param(
        _delete("/Organization"),
        [("/Organization", "missing required key 'Organization'")],
        id="organization-missing",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), INVALID_CASES)
def test_invalid_snapshot_is_reported_at_its_json_location(
    mutate: Mutation, expected: list[tuple[str, str]]
) -> None:
    snapshot = small()
    mutate(snapshot)
    assert problems_of(snapshot) == expected


def test_several_problems_are_listed_together_in_document_order() -> None:
    snapshot = small()
    snapshot["Organization"]["MasterAccountId"] = "999999999999"
    snapshot["OrganizationalUnits"][0]["Name"] = None
    snapshot["Accounts"][1]["ParentId"] = "ou-f6g7-zzzzzzzz"
    snapshot["Accounts"].append({"Id": MGMT, "Name": "again", "ParentId": ROOT})
    snapshot["Accounts"].append({"Id": "333333333333", "Name": "no scp", "ParentId": PROD})
    snapshot["Policies"][0]["Targets"].append("444444444444")
    add_policy(snapshot, "p-badpolicy", '{"Statement": []}', [PROD])
    expected = [
        (
            "/Organization/MasterAccountId",
            "management account 999999999999 is not one of the accounts",
        ),
        ("/OrganizationalUnits/0/Name", "Name must be a string, got null"),
        ("/Accounts/1", f"parent ou-f6g7-zzzzzzzz of {MEMBER} does not exist"),
        ("/Accounts/2/Id", f"duplicate id {MGMT} (first at /Accounts/0)"),
        ("/Accounts/3", f"333333333333 {NO_SCP}"),
        (
            "/Policies/0/Targets/4",
            "policy p-FullAWSAccess is attached to unknown target 444444444444",
        ),
        ("/Policies/1/Content", "Statement: Statement must be an object or a non-empty list"),
    ]
    with pytest.raises(SnapshotError) as info:
        load_organization(snapshot)
    assert [(pointer(p.location), p.message) for p in info.value.problems] == expected
    assert str(info.value).startswith("7 problems found:\n  - /Organization/MasterAccountId: ")


def test_entry_whose_id_cannot_be_read_does_not_exist_for_the_others() -> None:
    snapshot = small()
    snapshot["OrganizationalUnits"][0] = "Prod"
    assert problems_of(snapshot) == [
        (
            "/OrganizationalUnits/0",
            "an organizational unit must be a JSON object, got a string ('Prod')",
        ),
        ("/Accounts/1", f"parent {PROD} of {MEMBER} does not exist"),
        ("/Policies/0/Targets/1", f"policy p-FullAWSAccess is attached to unknown target {PROD}"),
    ]


@pytest.mark.parametrize(
    ("section", "value", "message"),
    [
        ("OrganizationalUnits", {}, "OrganizationalUnits must be a JSON array, got an object"),
        ("Accounts", "none", "Accounts must be a JSON array, got a string ('none')"),
        ("Policies", 3, "Policies must be a JSON array, got a number (3)"),
    ],
)
def test_unusable_section_does_not_cascade(section: str, value: object, message: str) -> None:
    snapshot = small()
    snapshot[section] = value
    assert problems_of(snapshot) == [(f"/{section}", message)]


def test_entity_with_unusable_parent_is_checked_as_if_under_the_root() -> None:
    snapshot = small()
    snapshot["OrganizationalUnits"][0]["ParentId"] = 17
    assert problems_of(snapshot) == [
        ("/OrganizationalUnits/0/ParentId", "ParentId must be a string, got a number (17)")
    ]


def test_policy_with_unusable_content_still_counts_as_attached() -> None:
    snapshot = small()
    snapshot["Policies"][0]["Content"] = '{"Statement": {"Effect": "Permit", "Action": "*"}}'
    assert problems_of(snapshot) == [
        ("/Policies/0/Content", "Statement.Effect: Effect must be 'Allow' or 'Deny', got 'Permit'")
    ]


def test_policy_with_unusable_id_still_counts_as_attached() -> None:
    snapshot = small()
    snapshot["Policies"][0]["PolicySummary"]["Id"] = "FullAWSAccess"
    assert [location for location, _ in problems_of(snapshot)] == ["/Policies/0/PolicySummary/Id"]


def test_unusable_management_id_is_reported_once() -> None:
    snapshot = small()
    snapshot["Organization"]["MasterAccountId"] = 111111111111
    assert problems_of(snapshot) == [
        (
            "/Organization/MasterAccountId",
            "MasterAccountId must be a string, got a number (111111111111)",
        )
    ]


def test_unusable_root_does_not_cascade_to_its_children_and_attachments() -> None:
    snapshot = small()
    snapshot["Roots"][0]["Id"] = "root"
    assert problems_of(snapshot) == [
        (
            "/Roots/0/Id",
            "'root' is not a valid root id: expected 'r-' and 4 to 32 lower-case letters or "
            "digits (pattern ^r-[0-9a-z]{4,32}$)",
        )
    ]


def test_missing_organization_still_checks_the_rest() -> None:
    snapshot = small()
    del snapshot["Organization"]
    snapshot["Accounts"][1]["ParentId"] = "ou-f6g7-zzzzzzzz"
    assert problems_of(snapshot) == [
        ("/Organization", "missing required key 'Organization'"),
        ("/Accounts/1", f"parent ou-f6g7-zzzzzzzz of {MEMBER} does not exist"),
    ]


def test_snapshot_error_is_a_value_error_and_an_orgaccess_error() -> None:
    snapshot = small()
    del snapshot["Roots"]
    with pytest.raises(ValueError, match="1 problem found:\n  - /Roots: missing") as info:
        load_organization(snapshot)
    assert isinstance(info.value, OrgAccessError)
    assert isinstance(info.value, SnapshotError)
    assert info.value.source is None


# -- any input: a SnapshotError or an organization, never another exception --------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _load_or_error(snapshot: Snapshot) -> Organization | SnapshotError:
    try:
        return load_organization(snapshot)
    except SnapshotError as exc:
        return exc


@settings(max_examples=300)
@given(data=st.data())
def test_any_corruption_of_a_snapshot_gives_a_snapshot_error_or_an_organization(
    data: st.DataObject,
) -> None:
    snapshot = realistic()
    where = data.draw(st.sampled_from(_paths(snapshot)[1:]))
    replacement = data.draw(_JSON)
    node: Any = snapshot
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = replacement
    outcome = _load_or_error(snapshot)
    if isinstance(outcome, SnapshotError):
        assert outcome.problems
        assert all(p.location.startswith("/") for p in outcome.problems)
    else:
        assert load_organization(to_snapshot(outcome)) == outcome


_NOT_SNAPSHOTS = (
    st.none()
    | st.integers()
    | st.lists(_JSON, max_size=3)
    | st.dictionaries(st.text(max_size=8), _JSON, max_size=3)
)


@given(_NOT_SNAPSHOTS)
def test_any_other_json_value_gives_a_snapshot_error(value: Any) -> None:
    with pytest.raises(SnapshotError):
        load_organization(value)


# -- files --------------------------------------------------------------------------------


def test_missing_file_is_a_snapshot_error_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(SnapshotError) as info:
        load_organization(missing)
    assert info.value.source == str(missing)
    assert [(pointer(p.location), p.message) for p in info.value.problems] == [
        (str(missing), "no such file")
    ]
    assert str(missing) in str(info.value)


def test_file_that_is_not_json_is_reported_with_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "Organization": ,\n}', encoding="utf-8")
    with pytest.raises(SnapshotError) as info:
        load_organization(bad)
    assert [(pointer(p.location), p.message) for p in info.value.problems] == [
        (f"{bad}:2:19", "not JSON: Expecting value")
    ]
    assert info.value.source == str(bad)


def test_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.json"
    bad.write_bytes(b'{"Organization": "\xe9"}')
    with pytest.raises(
        SnapshotError,
        match=r"cannot be read: not UTF-8 text \(invalid continuation byte\) at byte 18",
    ):
        load_organization(bad)


def test_directory_is_reported_as_unreadable(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="not a regular file: a directory") as info:
        load_organization(tmp_path)
    assert info.value.source == str(tmp_path)


def test_file_holding_a_json_array_is_reported_naming_the_file(tmp_path: Path) -> None:
    array = tmp_path / "array.json"
    array.write_text("[]", encoding="utf-8")
    with pytest.raises(SnapshotError) as info:
        load_organization(array)
    assert [(pointer(p.location), p.message) for p in info.value.problems] == [
        ("", "a snapshot must be a JSON object, got an array")
    ]
    assert f"1 problem found in {array}:" in str(info.value)


def test_problems_in_a_file_name_the_file_and_the_json_location(tmp_path: Path) -> None:
    snapshot = small()
    snapshot["Accounts"][1]["ParentId"] = "ou-f6g7-zzzzzzzz"
    path = tmp_path / "org.json"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    with pytest.raises(SnapshotError) as info:
        load_organization(path)
    assert info.value.source == str(path)
    assert [pointer(p.location) for p in info.value.problems] == ["/Accounts/1"]


def test_source_of_another_type_is_a_snapshot_error() -> None:
    with pytest.raises(
        SnapshotError, match="expected a snapshot file path or a JSON object, got int"
    ):
        load_organization(42)  # type: ignore[arg-type]


def test_json_text_passed_as_a_path_gets_a_hint() -> None:
    with pytest.raises(SnapshotError, match=r"looks like JSON: pass json.loads\(text\) instead"):
        load_organization(json.dumps(small()))

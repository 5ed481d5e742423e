"""orgaccess serve: IAM's Query protocol over HTTP on 127.0.0.1 (issue 14 items 3-5)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.parse
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from boto3_support import KEY_ID, SECRET, dummy_aws_environment, outcome, scenario, serving
from test_client import MEMBER, MGMT, ORGANIZATION, ROOT_PATH, make_client

from orgaccess.aws.server import Principal, load_principals, make_server
from orgaccess.errors import ConfigurationError

boto3 = pytest.importorskip("boto3", reason="boto3 is not installed (pip install orgaccess[aws])")
pytest.importorskip("werkzeug", reason="werkzeug is not installed (pip install orgaccess[server])")
from botocore.exceptions import ClientError  # noqa: E402

NS = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/"}


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dummy_aws_environment(monkeypatch, tmp_path)


def _iam(url: str, key: str = KEY_ID, secret: str = SECRET) -> Any:
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret)
    return session.client("iam", endpoint_url=url)


def test_boto3_through_the_server_equals_report_client() -> None:
    expected = scenario(make_client())
    with serving(make_client()) as url:
        actual = scenario(_iam(url))
    assert actual == expected


def _raw(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> Any:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _error(body: bytes) -> tuple[str, str, str]:
    root = ElementTree.fromstring(body)
    assert root.tag == "{https://iam.amazonaws.com/doc/2010-05-08/}ErrorResponse"
    return (
        root.findtext("iam:Error/iam:Type", namespaces=NS) or "",
        root.findtext("iam:Error/iam:Code", namespaces=NS) or "",
        root.findtext("iam:RequestId", namespaces=NS) or "",
    )


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"Action=GetOrganizationsAccessReport&JobId=%ff", FORM, 400, "MalformedQueryString"),
        (b"Action=Get\xff", FORM, 400, "MalformedQueryString"),
        (b"Action=X&&&", FORM, 400, "MalformedQueryString"),
        (b"Action=" + b"A" * 70_000, FORM, 413, "RequestEntityTooLarge"),
        (b'{"Action": "GetOrganizationsAccessReport"}', {"Content-Type": "application/json"},
         400, "MissingAction"),
        (b"Action=ListUsers&Version=2010-05-08", FORM, 400, "InvalidAction"),
        (b"Action=GetOrganizationsAccessReport&Version=2099-01-01", FORM, 400, "InvalidAction"),
        (b"Version=2010-05-08", FORM, 400, "MissingAction"),
        (b"Action=GetOrganizationsAccessReport&MaxItems=ten", FORM, 400, "ValidationError"),
    ],
    ids=["bad-percent", "bad-utf8", "empty-fields", "huge", "json", "unknown-action",
         "bad-version", "no-action", "not-a-number"],
)  # fmt: skip
def test_malformed_requests_get_iam_errors_and_never_stop_the_server(
    body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    with serving(make_client()) as url:
        got_status, got_headers, got_body = _raw(url, body, headers)
        assert (got_status, _error(got_body)[:2]) == (status, ("Sender", code))
        assert got_headers["x-amzn-RequestId"] == _error(got_body)[2]
        assert got_headers["Content-Type"] == "text/xml"
        # Still serving:
        iam = _iam(url)
        assert iam.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]


def test_a_declared_huge_body_is_refused_before_it_is_read() -> None:
    with serving(make_client()) as url:
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.putrequest("POST", "/")
        connection.putheader("Content-Type", FORM["Content-Type"])
        connection.putheader("Content-Length", str(10**9))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        connection.close()
        assert _iam(url).generate_organizations_access_report(EntityPath=ROOT_PATH)


def test_success_xml_is_iams() -> None:
    with serving(make_client()) as url:
        form = urllib.parse.urlencode(
            {"Action": "GenerateOrganizationsAccessReport", "Version": "2010-05-08",
             "EntityPath": ROOT_PATH}
        ).encode()  # fmt: skip
        status, headers, body = _raw(url, form, FORM)
    root = ElementTree.fromstring(body)
    assert status == 200
    assert (
        root.tag
        == "{https://iam.amazonaws.com/doc/2010-05-08/}GenerateOrganizationsAccessReportResponse"
    )
    assert root.findtext("iam:GenerateOrganizationsAccessReportResult/iam:JobId", namespaces=NS)
    request_id = root.findtext("iam:ResponseMetadata/iam:RequestId", namespaces=NS)
    assert headers["x-amzn-RequestId"] == request_id


def _principals() -> list[Principal]:
    return [
        Principal(access_key_id=KEY_ID, arn=f"arn:aws:iam::{MGMT}:user/alice",
                  secret_access_key=SECRET),
        Principal(access_key_id="AKIABOBBOBBOBBOB0000", arn=f"arn:aws:iam::{MGMT}:user/bob",
                  secret_access_key="bob-secret"),
        Principal(access_key_id="AKIAMEMBERMEMBER0000", arn=f"arn:aws:iam::{MEMBER}:user/m",
                  secret_access_key="member-secret"),
        Principal(access_key_id="AKIANOSECRETNOSECRET", arn=f"arn:aws:iam::{MGMT}:user/carol"),
    ]  # fmt: skip


def test_callers_by_access_key_owner_rule_member_denied_bad_signatures_refused() -> None:
    with serving(make_client(), principals=_principals()) as url:
        alice = _iam(url)
        job = alice.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
        assert alice.get_organizations_access_report(JobId=job)["JobStatus"] == "COMPLETED"
        bob = _iam(url, "AKIABOBBOBBOBBOB0000", "bob-secret")
        assert outcome(bob.get_organizations_access_report, JobId=job)[:2] == ("NoSuchEntity", 404)
        member = _iam(url, "AKIAMEMBERMEMBER0000", "member-secret")
        denied = outcome(member.generate_organizations_access_report, EntityPath=ROOT_PATH)
        assert denied[:2] == ("AccessDenied", 403)
        forger = _iam(url, KEY_ID, "not-alices-secret")
        assert outcome(forger.get_organizations_access_report, JobId=job)[:2] == (
            "SignatureDoesNotMatch",
            403,
        )
        stranger = _iam(url, "AKIAUNKNOWNUNKNOWN00", "x")
        assert outcome(stranger.get_organizations_access_report, JobId=job)[:2] == (
            "InvalidClientTokenId",
            403,
        )
        carol = _iam(url, "AKIANOSECRETNOSECRET", "anything")  # identified, not verified
        assert carol.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
        form = f"Action=GetOrganizationsAccessReport&JobId={job}".encode()
        status, _, body = _raw(url, form, FORM)
        assert (status, _error(body)[1]) == (403, "MissingAuthenticationToken")
        status, _, body = _raw(url, form, {**FORM, "Authorization": "AWS4-HMAC-SHA256 junk"})
        assert (status, _error(body)[1]) == (400, "IncompleteSignature")


def test_a_tampered_body_breaks_the_signature() -> None:
    with serving(make_client(), principals=_principals()) as url:
        iam = _iam(url)

        def tamper(request: Any, **_: Any) -> None:
            request.body = request.body.replace("r-f6g7", "r-f6g8")

        iam.meta.events.register("before-send.iam", tamper)
        with pytest.raises(ClientError) as caught:
            iam.generate_organizations_access_report(EntityPath=ROOT_PATH)
        assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_organizations_read_denied_callers_get_a_failed_job() -> None:
    report = make_client(organizations_read_denied=[f"arn:aws:iam::{MGMT}:user/bob"])
    with serving(report, principals=_principals()) as url:
        bob = _iam(url, "AKIABOBBOBBOBBOB0000", "bob-secret")
        job = bob.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
        page = bob.get_organizations_access_report(JobId=job)
        assert page["JobStatus"] == "FAILED"
        assert page["ErrorDetails"] == {
            "Code": "ORGANIZATIONS_REPORT_ACCESS_DENIED",
            "Message": "Requester is not authorized to perform the required AWS Organizations "
            "Describe* and List* actions.",
        }
        alice = _iam(url)
        job = alice.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
        assert alice.get_organizations_access_report(JobId=job)["JobStatus"] == "COMPLETED"


def test_marker_walk_and_waiter_end_to_end() -> None:
    from test_client import Clock

    clock = Clock()
    with serving(make_client(clock=clock, job_duration=timedelta(seconds=9))) as url:
        iam = _iam(url)
        job = iam.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
        from orgaccess.aws.waiter import Waiter

        Waiter(iam.get_organizations_access_report, sleep=lambda s: clock.advance(seconds=s)).wait(
            JobId=job, WaiterConfig={"Delay": 3, "MaxAttempts": 5}
        )
        rows: list[Any] = []
        kwargs: dict[str, Any] = {"JobId": job, "MaxItems": 2}
        while True:
            page = iam.get_organizations_access_report(**kwargs)
            rows += page["AccessDetails"]
            if not page["IsTruncated"]:
                break
            kwargs["Marker"] = page["Marker"]
        whole = iam.get_organizations_access_report(JobId=job, MaxItems=1000)["AccessDetails"]
        assert rows == whole
        assert len(whole) == 5


def test_8_concurrent_clients_x_50_calls_stay_consistent() -> None:
    report = make_client(max_concurrent_jobs=8)
    expected = scenario(make_client(max_concurrent_jobs=8))[:5]
    with serving(report) as url:
        clients = [_iam(url) for _ in range(8)]
        job = clients[0].generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
        whole = report.get_organizations_access_report(JobId=job, MaxItems=1000)
        failures: list[str] = []

        def work(iam: Any) -> None:
            for n in range(50):
                if n % 5 == 0:  # a reused request: the same job
                    got = iam.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
                    if got != job:
                        failures.append(f"job {got}")
                    continue
                page = iam.get_organizations_access_report(JobId=job, MaxItems=1000)
                page.pop("ResponseMetadata")
                if page != whole:
                    failures.append(f"page {page}")

        threads = [threading.Thread(target=work, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
    assert expected[0] == {"JobId": job}


def test_binding_beyond_loopback_needs_verified_principals_or_the_flag() -> None:
    client = make_client()
    with pytest.raises(ConfigurationError, match="beyond loopback"):
        make_server(client, "0.0.0.0", 0)
    unverified = [Principal(access_key_id="AKIANOSECRETNOSECRET", arn=MGMT)]
    with pytest.raises(ConfigurationError):
        make_server(client, "0.0.0.0", 0, principals=unverified)
    server = make_server(client, "0.0.0.0", 0, allow_unverified_remote=True)
    server.server_close()


def test_principals_file_problems_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "principals.json"
    path.write_text(json.dumps([
        {"access_key_id": "lowercase", "arn": "arn:aws:iam::111111111111:user/a"},
        {"access_key_id": "AKIAOKOKOKOKOKOK0000", "arn": "not-an-arn", "extra": 1},
        {"access_key_id": "AKIAOKOKOKOKOKOK0001", "arn": MGMT, "organizations_read": "no"},
    ]))  # fmt: skip
    with pytest.raises(ConfigurationError) as caught:
        load_principals(path)
    assert str(caught.value).startswith("4 problem(s)")
    path.write_text(json.dumps([{"access_key_id": "AKIAOKOKOKOKOKOK0000", "arn": MGMT}]))
    assert load_principals(path) == (
        Principal(access_key_id="AKIAOKOKOKOKOKOK0000", arn=f"arn:aws:iam::{MGMT}:root"),
    )


def test_orgaccess_serve_command_answers_boto3_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    from orgaccess.formats.snapshot import dump_organization

    org = tmp_path / "org.json"
    dump_organization(ORGANIZATION, org)
    principals = tmp_path / "principals.json"
    principals.write_text(json.dumps([
        {"access_key_id": KEY_ID, "arn": f"arn:aws:iam::{MGMT}:user/alice",
         "secret_access_key": SECRET},
        {"access_key_id": "AKIABOBBOBBOBBOB0000", "arn": f"arn:aws:iam::{MGMT}:user/bob",
         "secret_access_key": "bob-secret", "organizations_read": False},
    ]))  # fmt: skip
    for signum in (signal.SIGTERM, signal.SIGINT):
        process = subprocess.Popen(
            [sys.executable, "-m", "orgaccess", "serve", "--org", str(org),
             "--clock", "2026-09-30T12:00:00Z", "--principals", str(principals)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
        )  # fmt: skip
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("serving http://127.0.0.1:")
            iam = _iam(line.split()[1])
            job = iam.generate_organizations_access_report(EntityPath=ROOT_PATH)
            page = iam.get_organizations_access_report(JobId=job["JobId"])
            assert page["JobCreationDate"].isoformat() == "2026-09-30T12:00:00+00:00"
            assert page["NumberOfServicesAccessible"] >= 1
            bob = _iam(line.split()[1], "AKIABOBBOBBOBBOB0000", "bob-secret")
            failed = bob.generate_organizations_access_report(EntityPath=ROOT_PATH)
            assert (
                bob.get_organizations_access_report(JobId=failed["JobId"])["ErrorDetails"]["Code"]
                == "ORGANIZATIONS_REPORT_ACCESS_DENIED"
            )
            process.send_signal(signum)
            _, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:  # pragma: no cover - only if it failed to stop
                process.kill()
                process.communicate()
        assert process.returncode == 0, err
        assert "Traceback" not in err
        assert err.rstrip().endswith("orgaccess: stopped")


def test_every_error_code_over_http_is_a_client_error_with_its_status() -> None:
    from test_client import Clock

    clock = Clock()
    with serving(make_client(clock=clock, job_duration=timedelta(seconds=30))) as url:
        iam = _iam(url)
        job = iam.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
        with pytest.raises(iam.exceptions.ReportGenerationLimitExceededException) as limit:
            iam.generate_organizations_access_report(EntityPath=ROOT_PATH + "/" + MGMT)
        assert limit.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        clock.advance(seconds=30)  # the job is COMPLETED: markers are checked now
        cases = [
            ("NoSuchEntity", 404, iam.get_organizations_access_report, {"JobId": "f" * 36}),
            ("ValidationError", 400, iam.get_organizations_access_report,
             {"JobId": job, "MaxItems": 1001}),
            ("InvalidInput", 400, iam.get_organizations_access_report,
             {"JobId": job, "Marker": "oa1." + "A" * 27}),
            ("AccessDenied", 403, iam.generate_organizations_access_report,
             {"EntityPath": "o-zzzzzzzzzz/r-f6g7"}),
        ]  # fmt: skip
        for code, status, call, kwargs in cases:
            with pytest.raises(ClientError) as caught:
                call(**kwargs)
            assert caught.value.response["Error"]["Code"] == code
            assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


@pytest.mark.parametrize(
    "clock", ["2026-W40-3T12:00:00Z", "20260930T120000Z", "yesterday", "0001-01-01T00:00:00+01:00"]
)
def test_serve_clock_is_read_like_every_other_time_option(tmp_path: Path, clock: str) -> None:
    """``--clock`` takes what ``--as-of`` takes (orgaccess._time), so an ISO week date or a
    basic-format time that ``datetime.fromisoformat`` would read is a usage error, before
    any server starts."""
    import io

    from orgaccess.cli.main import main
    from orgaccess.formats.snapshot import dump_organization

    org = tmp_path / "org.json"
    dump_organization(ORGANIZATION, org)
    err = io.StringIO()
    code = main(["serve", "--org", str(org), "--clock", clock], stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert clock in err.getvalue()

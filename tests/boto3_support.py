"""Shared by the boto3 / server / AWS CLI tests: dummy credentials, a scenario, a server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_client import MEMBER_PATH, MGMT_PATH, OU_PATH, ROOT_PATH, P

from orgaccess.aws.client import ReportClient

SORT_KEYS = (
    "SERVICE_NAMESPACE_ASCENDING",
    "SERVICE_NAMESPACE_DESCENDING",
    "LAST_AUTHENTICATED_TIME_ASCENDING",
    "LAST_AUTHENTICATED_TIME_DESCENDING",
)
PAGE_SIZES = (1, 2, 3, 1000)
#: Every entity kind (root, OU, member account, management account), a policy-id
#: report, and a path that does not exist (the job FAILS).
REQUESTS: tuple[dict[str, str], ...] = (
    {"EntityPath": ROOT_PATH},
    {"EntityPath": OU_PATH},
    {"EntityPath": MEMBER_PATH},
    {"EntityPath": MGMT_PATH},
    {"EntityPath": ROOT_PATH, "OrganizationsPolicyId": P},
    {"EntityPath": MEMBER_PATH, "OrganizationsPolicyId": P},
    {"EntityPath": ROOT_PATH + "/ou-f6g7-zzzzzzzz"},
)
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def dummy_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Dummy credentials, no config files, no instance metadata: nothing reaches AWS."""
    config = tmp_path / "aws-config"
    credentials = tmp_path / "aws-credentials"
    config.write_text("")
    credentials.write_text("")
    env = {
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def outcome(call: Callable[..., dict[str, Any]], **kwargs: Any) -> Any:
    """A call's result without ResponseMetadata, or (code, status, message) of its ClientError."""
    from botocore.exceptions import ClientError

    try:
        result = dict(call(**kwargs))
    except ClientError as exc:
        error = exc.response["Error"]
        return (error["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"], error["Message"])
    result.pop("ResponseMetadata", None)
    return result


def scenario(iam: Any) -> list[Any]:
    """Every request kind, sort key and page size, walking markers; then every error code
    that a caller with job_duration 0 can meet. ``iam`` is a ReportClient or a boto3 client."""
    seen: list[Any] = []
    for request in REQUESTS:
        job = outcome(iam.generate_organizations_access_report, **request)
        seen.append(job)
        for key in SORT_KEYS:
            for size in PAGE_SIZES:
                kwargs: dict[str, Any] = {"JobId": job["JobId"], "SortKey": key, "MaxItems": size}
                while True:
                    page = outcome(iam.get_organizations_access_report, **kwargs)
                    seen.append(page)
                    if not page.get("IsTruncated"):
                        break
                    kwargs["Marker"] = page["Marker"]
    job_id = seen[0]["JobId"]
    forged = "oa1." + "A" * 27
    for call, kwargs in (
        (iam.get_organizations_access_report, {"JobId": job_id, "SortKey": "BAD"}),
        (iam.get_organizations_access_report, {"JobId": job_id, "MaxItems": 5000}),
        (iam.get_organizations_access_report, {"JobId": job_id, "Marker": "garbage"}),
        (iam.get_organizations_access_report, {"JobId": job_id, "Marker": forged}),
        (iam.get_organizations_access_report, {"JobId": "f" * 36}),
        (iam.generate_organizations_access_report, {"EntityPath": "o-zzzzzzzzzz/r-f6g7"}),
        (iam.generate_organizations_access_report, {"EntityPath": "o-bad/r-f6g7" + "x" * 8}),
    ):
        seen.append(outcome(call, **kwargs))
    return seen


@contextmanager
def serving(client: ReportClient, **kwargs: Any) -> Iterator[str]:
    """Run orgaccess's server for ``client`` on 127.0.0.1 (an ephemeral port); yield its URL."""
    pytest.importorskip("werkzeug", reason="the server needs werkzeug (orgaccess[server])")
    from orgaccess.aws.server import make_server

    server = make_server(client, "127.0.0.1", 0, **kwargs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()

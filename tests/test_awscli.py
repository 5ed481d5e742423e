"""The AWS CLI (awscli from PyPI) against orgaccess serve: both operations, JSON and text.

awscli pins docutils<=0.19 while Sphinx needs >=0.20, so it cannot share an
environment with the docs tools: install it apart (``pipx install awscli``
or a venv) and point ``ORGACCESS_AWS_CLI`` at its ``aws``; otherwise the
``aws`` on PATH or an importable ``awscli`` is used, and without any the
tests skip.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from boto3_support import dummy_aws_environment, serving
from test_client import MEMBER_PATH, ROOT_PATH, make_client


def _aws_cli() -> list[str] | None:
    configured = os.environ.get("ORGACCESS_AWS_CLI")
    if configured:
        return [configured]
    if importlib.util.find_spec("awscli") is not None:
        return [sys.executable, "-m", "awscli"]
    found = shutil.which("aws")
    return [found] if found else None


AWS = _aws_cli()
pytestmark = pytest.mark.skipif(
    AWS is None, reason="the AWS CLI is not installed (set ORGACCESS_AWS_CLI to its aws)"
)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    env = dummy_aws_environment(monkeypatch, tmp_path)
    return {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **env}


def _run(env: dict[str, str], url: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert AWS is not None
    return subprocess.run(
        [*AWS, "iam", *args, "--endpoint-url", url],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_both_operations_with_json_and_text_output(aws: dict[str, str]) -> None:
    report = make_client()
    twin = make_client()
    job_id = twin.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    expected = twin.get_organizations_access_report(JobId=job_id, MaxItems=2)
    with serving(report) as url:
        run = _run(aws, url, "generate-organizations-access-report", "--entity-path", ROOT_PATH,
                   "--output", "json")  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout) == {"JobId": job_id}
        run = _run(aws, url, "get-organizations-access-report", "--job-id", job_id,
                   "--max-items", "2", "--output", "json")  # fmt: skip
        assert run.returncode == 0, run.stderr
        got = json.loads(run.stdout)
        assert [d["ServiceNamespace"] for d in got["AccessDetails"]] == [
            d["ServiceNamespace"] for d in expected["AccessDetails"]
        ]
        assert got["Marker"] == expected["Marker"]
        assert got["NumberOfServicesAccessible"] == expected["NumberOfServicesAccessible"]
        assert got["JobCreationDate"].startswith("2026-09-30T12:00:00")
        run = _run(aws, url, "get-organizations-access-report", "--job-id", job_id,
                   "--marker", got["Marker"], "--output", "text")  # fmt: skip
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert lines[0].split("\t")[0] == "False"  # IsTruncated first in text output
        details = [line for line in lines if line.startswith("ACCESSDETAILS")]
        assert len(details) == 3
        assert "s3" in run.stdout


def test_errors_reach_the_cli_as_iam_errors(aws: dict[str, str]) -> None:
    with serving(make_client()) as url:
        run = _run(aws, url, "get-organizations-access-report", "--job-id", "f" * 36)
        assert run.returncode != 0
        assert (
            "An error occurred (NoSuchEntity) when calling the GetOrganizationsAccessReport "
            "operation: Job ffffffffffffffffffffffffffffffffffff does not exist." in run.stderr
        )
        run = _run(aws, url, "generate-organizations-access-report",
                   "--entity-path", MEMBER_PATH, "--organizations-policy-id", "p-x")  # fmt: skip
        assert run.returncode != 0
        assert "(ValidationError)" in run.stderr

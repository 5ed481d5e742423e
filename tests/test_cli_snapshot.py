"""``orgaccess snapshot`` against moto's Organizations mock: build, snapshot, load, compare.

No network: moto answers in-process; dummy credentials only. The one test
that lets botocore make a request points ``AWS_ENDPOINT_URL`` at a closed
loopback port.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3", reason="snapshot needs the aws extra (boto3)")
moto = pytest.importorskip("moto", reason="the round trip needs moto[organizations]")

from botocore.awsrequest import AWSResponse  # noqa: E402

from orgaccess.aws.organizations import organizations_client, read_snapshot  # noqa: E402
from orgaccess.cli.exitcodes import EXIT_BAD_INPUT, EXIT_OK  # noqa: E402
from orgaccess.cli.main import main  # noqa: E402
from orgaccess.formats.snapshot import load_organization  # noqa: E402

SCP_TYPE = "SERVICE_CONTROL_POLICY"


@pytest.fixture(autouse=True)
def dummy_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ORGANIZATIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


@pytest.fixture
def aws() -> Iterator[None]:
    with moto.mock_aws():
        yield


def _doc(effect: str, actions: list[str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": actions, "Resource": "*"}],
        }
    )


def build_organization() -> dict[str, Any]:
    """An organization in moto: nested OUs, accounts at several levels, SCPs at several levels.

    Returns what was built, as the test itself recorded it.
    """
    c = boto3.client("organizations")
    org = c.create_organization(FeatureSet="ALL")["Organization"]
    root = c.list_roots()["Roots"][0]["Id"]
    c.enable_policy_type(RootId=root, PolicyType=SCP_TYPE)
    built: dict[str, Any] = {"org": org["Id"], "management": org["MasterAccountId"], "root": root}
    ous: dict[str, tuple[str, str]] = {}  # id -> (name, parent)

    def ou(name: str, parent: str) -> str:
        ou_id = c.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]
        ous[ou_id] = (name, parent)
        return ou_id

    prod = ou("Prod", root)
    web = ou("Web", prod)
    edge = ou("Edge", web)
    sandbox = ou("Sandbox", root)
    accounts: dict[str, tuple[str, str]] = {built["management"]: ("master", root)}
    for name, parent in [("web-1", web), ("web-2", web), ("edge", edge), ("play", sandbox)]:
        status = c.create_account(AccountName=name, Email=f"{name}@example.com")
        account = status["CreateAccountStatus"]["AccountId"]
        c.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
        accounts[account] = (name, parent)
    by_name = {name: account for account, (name, _) in accounts.items()}
    policies: dict[str, tuple[str, str, set[str]]] = {}
    for name, content, targets in [
        ("DenyLeaveOrg", _doc("Deny", ["organizations:LeaveOrganization"]), [root]),
        ("ProdGuard", _doc("Deny", ["iam:CreateUser", "iam:DeleteRole"]), [prod, edge]),
        ("SandboxOnly", _doc("Allow", ["s3:*", "ec2:*", "lambda:*"]), [sandbox]),
        ("NoRds", _doc("Deny", ["rds:*"]), [by_name["web-2"]]),
    ]:
        summary = c.create_policy(
            Content=content, Description=f"{name} policy", Name=name, Type=SCP_TYPE
        )["Policy"]["PolicySummary"]
        for target in targets:
            c.attach_policy(PolicyId=summary["Id"], TargetId=target)
        policies[summary["Id"]] = (name, content, set(targets))
    built.update(ous=ous, accounts=accounts, policies=policies)
    return built


def test_snapshot_round_trip_equals_what_was_built(aws: None, tmp_path: Path) -> None:
    built = build_organization()
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "org.json"
    assert main(["snapshot", "-o", str(target)], stdout=out, stderr=err) == EXIT_OK, err.getvalue()
    assert out.getvalue() == ""
    org = load_organization(target)
    assert org.id == built["org"]
    assert org.management_account_id == built["management"]
    assert org.root.id == built["root"]
    assert org.scp_enabled
    assert {str(o.id): (o.name, str(o.parent_id)) for o in org.organizational_units} == built["ous"]
    assert {str(a.id): (a.name, str(a.parent_id)) for a in org.accounts} == built["accounts"]
    for policy_id, (name, content, targets) in built["policies"].items():
        policy = org.policy(policy_id)
        assert policy.name == name
        assert json.loads(policy.content) == json.loads(content)
        assert {str(t) for t in org.targets_of(policy_id)} == targets
    # moto attaches the AWS-managed FullAWSAccess to the root (as AWS does).
    assert built["root"] in {str(t) for t in org.targets_of("p-FullAWSAccess")}
    assert {str(p.id) for p in org.scps} == {*built["policies"], "p-FullAWSAccess"}
    assert "4 OUs, 5 accounts, 5 SCPs written to" in err.getvalue()


def test_snapshot_to_stdout_is_the_same_json(aws: None, tmp_path: Path) -> None:
    build_organization()
    out, err = io.StringIO(), io.StringIO()
    assert main(["snapshot"], stdout=out, stderr=err) == EXIT_OK
    client = organizations_client()
    assert json.loads(out.getvalue()) == read_snapshot(client)
    assert "written to standard output" in err.getvalue()


def test_an_aws_error_is_printed_verbatim_and_no_file_is_written(aws: None, tmp_path: Path) -> None:
    # No organization was created in moto: DescribeOrganization fails.
    target = tmp_path / "org.json"
    target.write_text("previous snapshot\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["snapshot", "-o", str(target)], stdout=out, stderr=err)
    assert code == EXIT_BAD_INPUT
    (line,) = err.getvalue().splitlines()
    assert line.startswith("orgaccess: An error occurred (AWSOrganizationsNotInUseException) ")
    assert "DescribeOrganization" in line
    assert target.read_text(encoding="utf-8") == "previous snapshot\n"  # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".orgaccess-")] == []


def test_aws_endpoint_url_is_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No moto here: botocore really connects, to a closed loopback port named by the env."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    target = tmp_path / "org.json"
    out, err = io.StringIO(), io.StringIO()
    code = main(["snapshot", "--max-attempts", "1", "-o", str(target)], stdout=out, stderr=err)
    assert code == EXIT_BAD_INPUT
    assert "http://127.0.0.1:9" in err.getvalue()
    assert not target.exists()


def test_the_client_retries_throttling_with_backoff(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_organization()
    sleeps: list[float] = []
    monkeypatch.setattr("time.sleep", sleeps.append)
    client = organizations_client(retry_mode="standard", max_attempts=5)
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    throttled: list[str] = []

    class _Raw:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield json.dumps(
                {"__type": "TooManyRequestsException", "Message": "Rate exceeded"}
            ).encode()

    def throttle_twice(request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        if b"ListAccountsForParent" in target and len(throttled) < 2:
            throttled.append(target)
            return AWSResponse(
                request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Raw()
            )
        return None

    client.meta.events.register_first("before-send.organizations", throttle_twice)
    snapshot = read_snapshot(client)
    assert len(throttled) == 2
    assert len(sleeps) >= 2  # backed off before each retry
    assert len(snapshot["Accounts"]) == 5


def test_without_an_organization_client_library_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_boto3(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "boto3" or name.startswith("botocore"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_boto3)
    out, err = io.StringIO(), io.StringIO()
    assert main(["snapshot"], stdout=out, stderr=err) == EXIT_BAD_INPUT
    assert "pip install 'orgaccess[aws]'" in err.getvalue()

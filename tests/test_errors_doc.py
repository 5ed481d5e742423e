"""Every row of the error tables in docs/reference/errors.md, raised for real.

Each row has an id (``[E-...]``); the test below makes that error happen and
matches the message it prints against the row's message column: the
documented text, where ``<name>`` stands for any value without spaces, then optionally the
detail orgaccess adds in parentheses. A template ending in ``...`` or ``:``
is a prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orgaccess import ReportClient, ServiceCatalog, ServiceError
from orgaccess.formats.snapshot import example_organization
from orgaccess.model.organization import OrganizationBuilder

ERRORS_MD = Path(__file__).resolve().parent.parent / "docs" / "reference" / "errors.md"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
CATALOG = ServiceCatalog.from_mapping({"s3": {"actions": ["GetObject"]}})
ROOT = "o-exampleorg1/r-ex12"


def documented_messages() -> dict[str, str]:
    """``{row id: message template}`` from the tables' last column (its first code span)."""
    rows: dict[str, str] = {}
    for line in ERRORS_MD.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `\[(E-[A-Z0-9-]+)\]` \|", line)
        if match:
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            template = re.match(r"`([^`]*)`", cells[-1])
            assert template is not None, line
            rows[match[1]] = template[1]
    return rows


def matches(template: str, message: str) -> bool:
    prefix = template.endswith(("...", ":"))
    parts = re.split(r"(<[A-Za-z]+>|\.\.\.$)", template)
    pattern = "".join(
        r"\S+?" if p.startswith("<") else ".+?" if p == "..." else re.escape(p) for p in parts
    )
    tail = r".*" if prefix else r"( \(.*\))?"
    return re.fullmatch(pattern + tail, message, re.DOTALL) is not None


def _client(**kwargs: object) -> ReportClient:
    return ReportClient(
        example_organization(),
        catalog=CATALOG,
        clock=lambda: NOW,
        **kwargs,  # type: ignore[arg-type]
    )


def _raise(call: Callable[..., object], **params: object) -> str:
    with pytest.raises(ServiceError) as caught:
        call(**params)
    return caught.value.message


def _validation() -> str:
    return _raise(_client().get_organizations_access_report, JobId="short")


def _marker_undecodable() -> str:
    client = _client()
    job = client.generate_organizations_access_report(EntityPath=ROOT)["JobId"]
    return _raise(client.get_organizations_access_report, JobId=job, Marker="not a marker")


def _marker_of_another_job() -> str:
    catalog = ServiceCatalog.from_mapping({n: {"actions": ["Get"]} for n in "abc"})
    client = ReportClient(example_organization(), catalog=catalog, clock=lambda: NOW)
    first = client.generate_organizations_access_report(EntityPath=ROOT)["JobId"]
    marker = client.get_organizations_access_report(JobId=first, MaxItems=1)["Marker"]
    other = client.generate_organizations_access_report(EntityPath=ROOT + "/ou-ex12-security")
    return _raise(client.get_organizations_access_report, JobId=other["JobId"], Marker=marker)


def _no_such_job() -> str:
    return _raise(_client().get_organizations_access_report, JobId="0" * 36)


def _limit() -> str:
    client = _client(job_duration=timedelta(seconds=10))
    client.generate_organizations_access_report(EntityPath=ROOT)
    return _raise(client.generate_organizations_access_report, EntityPath=ROOT + "/111122223333")


def _other_organization() -> str:
    return _raise(_client().generate_organizations_access_report, EntityPath="o-otherorgid1/r-ex12")


def _not_management() -> str:
    member = _client().as_caller("222233334444")
    return _raise(member.generate_organizations_access_report, EntityPath=ROOT)


def _param_validation() -> str:
    return _raise(_client().generate_organizations_access_report)


def _failed(path: str, policy_id: str | None = None, *, scp_enabled: bool = True) -> str:
    organization = example_organization()
    if not scp_enabled:
        builder = OrganizationBuilder(
            organization_id="o-exampleorg1",
            root_id="r-ex12",
            management_account_id="111122223333",
            scp_enabled=False,
        )
        builder.add_account("111122223333", parent="r-ex12")
        builder.add_account("222233334444", parent="r-ex12")
        organization = builder.build()
    client = ReportClient(organization, catalog=CATALOG, clock=lambda: NOW)
    params = {"EntityPath": path}
    if policy_id is not None:
        params["OrganizationsPolicyId"] = policy_id
    job = client.generate_organizations_access_report(**params)["JobId"]
    response = client.get_organizations_access_report(JobId=job)
    assert response["JobStatus"] == "FAILED"
    message: str = response["ErrorDetails"]["Message"]
    return message


TRIGGERS: dict[str, Callable[[], str]] = {
    "E-VALIDATION-1": _validation,
    "E-VALIDATION-2": _marker_undecodable,
    "E-INVALIDINPUT-1": _marker_of_another_job,
    "E-NOSUCHENTITY-1": _no_such_job,
    "E-LIMIT-1": _limit,
    "E-ACCESSDENIED-1": _other_organization,
    "E-ACCESSDENIED-2": _not_management,
    "E-PARAMVALIDATION-1": _param_validation,
    "E-FAILED-SCP-1": lambda: _failed(ROOT + "/222233334444", scp_enabled=False),
    "E-FAILED-PATH-1": lambda: _failed(ROOT + "/ou-ex12-nosuchou"),
    "E-FAILED-POLICY-1": lambda: _failed(ROOT, "p-doesnotexist"),
}


def test_every_documented_row_has_a_trigger() -> None:
    assert set(documented_messages()) == set(TRIGGERS)
    assert len(TRIGGERS) == 11


def test_matches_reads_placeholders_details_and_prefixes() -> None:
    assert matches("Job <JobId> does not exist.", "Job 1234 does not exist.")
    assert matches("Maximum jobs exceeded", "Maximum jobs exceeded (account 1 has 1)")
    assert not matches("Maximum jobs exceeded", "Maximum jobs exceeded: account 1 has 1")
    assert matches("Member must ...", "Member must have length 3")
    assert not matches("Invalid Marker.", "Invalid marker.")
    assert not matches("perform: iam:<Operation>", "perform: iam:Get: the caller must be")


# Each row's id written out, so that tests/test_rule_ids.py reads it without running code.
@pytest.mark.parametrize(
    "row",
    [
        pytest.param("E-VALIDATION-1", marks=pytest.mark.rule("E-VALIDATION-1")),
        pytest.param("E-VALIDATION-2", marks=pytest.mark.rule("E-VALIDATION-2")),
        pytest.param("E-INVALIDINPUT-1", marks=pytest.mark.rule("E-INVALIDINPUT-1")),
        pytest.param("E-NOSUCHENTITY-1", marks=pytest.mark.rule("E-NOSUCHENTITY-1")),
        pytest.param("E-LIMIT-1", marks=pytest.mark.rule("E-LIMIT-1")),
        pytest.param("E-ACCESSDENIED-1", marks=pytest.mark.rule("E-ACCESSDENIED-1")),
        pytest.param("E-ACCESSDENIED-2", marks=pytest.mark.rule("E-ACCESSDENIED-2")),
        pytest.param("E-PARAMVALIDATION-1", marks=pytest.mark.rule("E-PARAMVALIDATION-1")),
        pytest.param("E-FAILED-SCP-1", marks=pytest.mark.rule("E-FAILED-SCP-1")),
        pytest.param("E-FAILED-PATH-1", marks=pytest.mark.rule("E-FAILED-PATH-1")),
        pytest.param("E-FAILED-POLICY-1", marks=pytest.mark.rule("E-FAILED-POLICY-1")),
    ],
)
def test_documented_message_is_the_message_printed(row: str) -> None:
    template = documented_messages()[row]
    message = TRIGGERS[row]()
    assert matches(template, message), (template, message)


def test_decisions_names_the_errors_the_iam_model_documents_per_operation() -> None:
    """decisions.md's "**AWS:** documents ..." sentence on jobs names, for each operation,
    exactly the error codes and HTTP statuses of botocore's IAM model."""
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("iam")
    text = (ERRORS_MD.parent.parent / "explanation" / "decisions.md").read_text(encoding="utf-8")
    sentence = text[text.index("**AWS:** documents one error per operation") :]
    sentence = sentence[: sentence.index("; and that")]
    documented = set(re.findall(r"`(\w+)` \(HTTP (\d+)\) for `(\w+)`", sentence))
    modelled = {
        (error.metadata["error"]["code"], str(error.metadata["error"]["httpStatusCode"]), name)
        for name in ("GenerateOrganizationsAccessReport", "GetOrganizationsAccessReport")
        for error in model.operation_model(name).error_shapes
    }
    assert documented == modelled

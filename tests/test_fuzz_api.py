"""Fuzzing the library's entry points (issue 11 item 6): policy parser, ids and
paths, every ``ReportClient`` parameter of both operations, markers, and the
client's constructor.

The only outcomes allowed: a result, or an :class:`OrgAccessError` subclass
(``ParamValidationError`` / ``ValidationError`` for client parameters, as
botocore and IAM raise them); a wrong Python type for a constructor argument
may be a ``TypeError`` naming the parameter.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import make_small_catalog
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from orgaccess import strategies as oas
from orgaccess.aws.client import ReportClient
from orgaccess.engine.sorting import SortKey
from orgaccess.errors import (
    InvalidEntityPathError,
    InvalidIdError,
    OrgAccessError,
    PolicyDocumentError,
    ServiceError,
)
from orgaccess.formats.snapshot import example_organization
from orgaccess.model.events import ActivityIndex
from orgaccess.model.ids import (
    AccountId,
    EntityPath,
    OrganizationId,
    OuId,
    PolicyId,
    RootId,
    parse_entity_id,
)
from orgaccess.model.policy import parse_policy_document

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CATALOG = make_small_catalog()
T0 = datetime(2026, 11, 1, tzinfo=UTC)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["*", "s3:*", "Allow", "Deny", "2012-10-17", "arn:aws:s3:::*"])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
policy_keys = st.sampled_from(
    [
        "Version",
        "Statement",
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
        "Principal",
        "Id",
    ]
)
policy_like = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(policy_keys, inner, max_size=5),
    max_leaves=20,
)


# -- the policy parser ----------------------------------------------------------


def check_policy(source: Any) -> None:
    try:
        document = parse_policy_document(source)
    except PolicyDocumentError as exc:
        assert exc.message  # noqa: PT017
        return
    # what parses, parses again from its own text to the same statements
    assert parse_policy_document(document.text).statements == document.statements


@FUZZ
@given(policy_like | json_values)
def test_random_json_as_a_policy(value: Any) -> None:
    check_policy(json.dumps(value))
    if isinstance(value, dict):
        check_policy(value)


@FUZZ
@given(st.text(max_size=200))
def test_random_text_as_a_policy(text: str) -> None:
    check_policy(text)


@FUZZ
@given(oas.scp_documents(catalog=CATALOG), st.data())
def test_mutated_valid_policies(document: Any, data: st.DataObject) -> None:
    text = document.text
    at = data.draw(st.integers(0, len(text)))
    edit = data.draw(st.sampled_from(["cut", "insert", "delete"]))
    if edit == "cut":
        text = text[:at]
    elif edit == "insert":
        text = (
            text[:at] + data.draw(st.sampled_from(['"', "{", "]", "*", "?", ",", "\\"])) + text[at:]
        )
    else:
        text = text[:at] + text[at + 1 :]
    check_policy(text)


# -- ids and paths ----------------------------------------------------------------

ID_CLASSES = (OrganizationId, RootId, OuId, AccountId, PolicyId)
id_like = st.text(max_size=40) | st.from_regex(
    r"(o|r|ou|p)-[a-z0-9_-]{0,36}|[0-9]{10,14}", fullmatch=True
)


@FUZZ
@given(st.sampled_from(ID_CLASSES), id_like | st.from_type(type).flatmap(st.from_type))
def test_ids_accept_exactly_what_is_valid(cls: Any, value: Any) -> None:
    valid = cls.is_valid(value)
    try:
        made = cls(value)
    except InvalidIdError:
        assert not valid
    else:
        assert valid
        assert made == value


@FUZZ
@given(id_like)
def test_parse_entity_id_is_a_root_ou_or_account_or_an_invalid_id_error(text: str) -> None:
    try:
        parsed = parse_entity_id(text)
    except InvalidIdError:
        assert not any(c.is_valid(text) for c in (RootId, OuId, AccountId))
    else:
        assert parsed == text


path_like = st.lists(id_like | st.sampled_from(["o-exampleorg1", "r-ex12", ""]), max_size=9).map(
    "/".join
) | st.text(max_size=60)


@FUZZ
@given(path_like | oas.organizations(catalog=CATALOG).flatmap(oas.entity_paths).map(str))
def test_entity_paths_parse_back_to_their_text_or_raise_invalid_entity_path(text: str) -> None:
    try:
        path = EntityPath.parse(text)
    except InvalidEntityPathError:
        return
    assert str(path) == text


# -- the client -------------------------------------------------------------------


def client() -> ReportClient:
    return ReportClient(example_organization(), ActivityIndex(), clock=lambda: T0, catalog=CATALOG)


ROOT_PATH = "o-exampleorg1/r-ex12"
any_value = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.sampled_from([10**5000, -(10**5000), 2**63, 0, 1, 1000, 1001])
    | st.floats()
    | st.text(max_size=40)
    | st.binary(max_size=10)
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
    | st.sampled_from(
        [
            ROOT_PATH,
            ROOT_PATH + "\n",
            ROOT_PATH + "/ou-ex12-dev00001",
            "p-FullAWSAccess",
            "p-FullAWSAccess\n",
            "\udc80",
            "x" * 5000,
            *[k.value for k in SortKey],
        ]
    )
)
generate_params = st.dictionaries(
    st.sampled_from(["EntityPath", "OrganizationsPolicyId", "Foo", "entityPath"]),
    any_value,
    max_size=3,
)
get_params = st.dictionaries(
    st.sampled_from(["MaxItems", "Marker", "SortKey", "JobId", "Bar"]), any_value, max_size=4
)


SERVICE_CODES = ("ParamValidationError", "ValidationError", "NoSuchEntity", "InvalidInput")


def _call(method: Any, params: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return method(**params)  # type: ignore[no-any-return]
    except ServiceError as exc:
        assert exc.code in SERVICE_CODES  # noqa: PT017 - an allowed outcome
        return None


@FUZZ
@given(generate_params)
def test_generate_takes_any_parameters(params: dict[str, Any]) -> None:
    result = _call(client().generate_organizations_access_report, params)
    if result is not None:
        assert set(result) >= {"JobId"}


@FUZZ
@given(get_params, st.booleans())
def test_get_takes_any_parameters(params: dict[str, Any], real_job: bool) -> None:
    c = client()
    if real_job:
        params = {
            **params,
            "JobId": c.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"],
        }
    result = _call(c.get_organizations_access_report, params)
    if result is not None:
        assert result["JobStatus"] in ("IN_PROGRESS", "COMPLETED", "FAILED")


@FUZZ
@given(st.text(max_size=400) | st.from_regex(r"oa1\.[A-Za-z0-9_=-]{0,120}", fullmatch=True))
def test_any_marker_is_a_validation_error_or_a_page(marker: str) -> None:
    c = client()
    job = c.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
    first = c.get_organizations_access_report(JobId=job, MaxItems=2)
    assume(marker != first.get("Marker"))
    try:
        c.get_organizations_access_report(JobId=job, MaxItems=2, Marker=marker)
    except ServiceError as exc:
        assert exc.code in ("ParamValidationError", "ValidationError")  # noqa: PT017
    else:  # pragma: no cover - a forged marker must never be accepted
        pytest.fail(f"forged marker {marker!r} accepted")


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "clock",
                "catalog",
                "caller",
                "job_duration",
                "reuse_window",
                "max_concurrent_jobs",
                "options",
                "id_factory",
                "marker_secret",
                "organizations_read_denied",
            ]
        ),
        any_value
        | st.sampled_from([timedelta(-1), timedelta(0), timedelta(days=10**6), b"s" * 16, ()]),
        max_size=3,
    )
)
def test_the_constructor_takes_any_arguments(kwargs: dict[str, Any]) -> None:
    try:
        c = ReportClient(
            example_organization(),
            ActivityIndex(),
            catalog=CATALOG,
            **{"clock": lambda: T0, **kwargs},
        )
        job = c.generate_organizations_access_report(EntityPath=ROOT_PATH)["JobId"]
        c.get_organizations_access_report(JobId=job)
    except OrgAccessError:
        pass
    except TypeError as exc:
        # a wrong Python type may stay a TypeError, but it names the parameter
        assert any(name in str(exc) for name in kwargs), exc  # noqa: PT017

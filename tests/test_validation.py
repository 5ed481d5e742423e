"""One table of botocore's input shapes checks both operations (orgaccess.aws._validation)."""

from __future__ import annotations

from typing import Any

import pytest

from orgaccess.aws._validation import GENERATE, GET, INPUT_SHAPES, from_query, validate
from orgaccess.errors import ServiceError

ROOT_PATH = "o-a1b2c3d4e5/r-f6g7"
JOB = "0" * 36


def _error(operation: str, params: dict[str, Any]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        validate(operation, params)
    return caught.value


def test_table_matches_botocores_iam_model() -> None:
    """Every constraint of the table is the one botocore's model gives (and no other member)."""
    session = pytest.importorskip("botocore.session").get_session()
    model = session.get_service_model("iam")
    for operation, members in INPUT_SHAPES.items():
        shape = model.operation_model(operation).input_shape
        assert [m.name for m in members] == list(shape.members)
        assert {m.name for m in members if m.required} == set(shape.required_members)
        for m in members:
            meta = shape.members[m.name].metadata
            kind = shape.members[m.name].type_name
            assert {"string": str, "integer": int}[kind] is m.type
            assert meta.get("pattern") == m.pattern
            assert tuple(getattr(shape.members[m.name], "enum", ())) == (m.enum or ())
            if m.type is str:
                assert meta.get("min") == m.min_length
                assert meta.get("max") == m.max_length
            else:
                assert (meta.get("min"), meta.get("max")) == (m.min_value, m.max_value)


@pytest.mark.parametrize(
    ("operation", "params", "line"),
    [
        (GENERATE, {}, 'Missing required parameter in input: "EntityPath"'),
        (
            GET,
            {"JobId": JOB, "Foo": 1},
            'Unknown parameter in input: "Foo", must be one of: JobId, MaxItems, Marker, SortKey',
        ),
        (
            GENERATE,
            {"EntityPath": ROOT_PATH, "OrganizationsPolicyId": None},
            "Invalid type for parameter OrganizationsPolicyId, value: None, "
            "type: <class 'NoneType'>, valid types: <class 'str'>",
        ),
        (
            GET,
            {"JobId": JOB, "MaxItems": True},
            "Invalid type for parameter MaxItems, value: True, type: <class 'bool'>, "
            "valid types: <class 'int'>",
        ),
    ],
    ids=["missing", "unknown", "none", "bool-for-int"],
)
def test_what_botocore_checks_is_param_validation_error(
    operation: str, params: dict[str, Any], line: str
) -> None:
    error = _error(operation, params)
    assert error.code == "ParamValidationError"
    assert error.message == f"Parameter validation failed:\n{line}"


def test_client_side_problems_are_reported_together() -> None:
    error = _error(GET, {"MaxItems": None, "Bar": 2})
    assert error.message.splitlines()[1:] == [
        'Missing required parameter in input: "JobId"',
        'Unknown parameter in input: "Bar", must be one of: JobId, MaxItems, Marker, SortKey',
        "Invalid type for parameter MaxItems, value: None, type: <class 'NoneType'>, "
        "valid types: <class 'int'>",
    ]


@pytest.mark.parametrize("marker", ["abc\n", "\n"])
def test_dollar_and_search_semantics_of_patterns(marker: str) -> None:
    """`$` is the very end (no final newline); unanchored patterns are searched."""
    error = _error(GENERATE, {"EntityPath": ROOT_PATH, "OrganizationsPolicyId": "p-abcdefgh\n"})
    assert error.code == "ValidationError"
    if marker == "\n":
        assert _error(GET, {"JobId": JOB, "Marker": marker}).code == "ValidationError"
    else:  # has a character in [\u0020-\u00ff]: the service-side pattern holds
        assert validate(GET, {"JobId": JOB, "Marker": marker})["Marker"] == marker


def test_over_the_wire_missing_and_non_numbers_are_iam_validation_errors() -> None:
    with pytest.raises(ServiceError) as caught:
        from_query(GET, {"MaxItems": "ten", "SortKey": "BAD", "Other": "ignored"})
    assert caught.value.code == "ValidationError"
    assert caught.value.message == (
        "3 validation errors detected: "
        "Value null at 'jobId' failed to satisfy constraint: Member must not be null; "
        "Value 'ten' at 'maxItems' failed to satisfy constraint: Member must be a number; "
        "Value 'BAD' at 'sortKey' failed to satisfy constraint: Member must satisfy enum value "
        "set: [SERVICE_NAMESPACE_ASCENDING, SERVICE_NAMESPACE_DESCENDING, "
        "LAST_AUTHENTICATED_TIME_ASCENDING, LAST_AUTHENTICATED_TIME_DESCENDING]"
    )
    assert from_query(GET, {"JobId": JOB, "MaxItems": "7"}) == {"JobId": JOB, "MaxItems": 7}

"""The cattrs converter between AccessDetail and the AWS dict (orgaccess.aws.shapes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgaccess.aws.shapes import access_detail_from_aws, access_detail_to_aws, make_converter
from orgaccess.engine.report import AccessDetail
from orgaccess.errors import OrgAccessError
from orgaccess.model.ids import EntityPath

PATH = EntityPath.parse("o-a1b2c3d4e5/r-f6g7/ou-f6g7-aaaaaaaa/123456789012")
WHEN = datetime(2026, 5, 25, 16, 29, 52, tzinfo=UTC)

used_details = st.builds(
    AccessDetail,
    service_name=st.text(min_size=1, max_size=20),
    service_namespace=st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True),
    region=st.sampled_from(["us-east-1", "eu-west-1"]),
    entity_path=st.just(PATH),
    last_authenticated_time=st.integers(0, 10**9).map(lambda s: WHEN - timedelta(seconds=s)),
    total_authenticated_entities=st.integers(1, 10_000),
)
unused_details = st.builds(
    AccessDetail,
    service_name=st.text(min_size=1, max_size=20),
    service_namespace=st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True),
    region=st.sampled_from([None, "us-east-1"]),
)


@given(detail=st.one_of(used_details, unused_details))
def test_aws_dict_round_trip_is_lossless(detail: AccessDetail) -> None:
    assert access_detail_from_aws(access_detail_to_aws(detail)) == detail
    assert access_detail_from_aws(access_detail_to_aws(detail)) == detail


def test_used_row_has_every_member_in_boto3_order() -> None:
    detail = AccessDetail(
        service_name="Amazon DynamoDB",
        service_namespace="dynamodb",
        region="us-east-1",
        entity_path=PATH,
        last_authenticated_time=WHEN,
        total_authenticated_entities=2,
    )
    assert list(access_detail_to_aws(detail).items()) == [
        ("ServiceName", "Amazon DynamoDB"),
        ("ServiceNamespace", "dynamodb"),
        ("Region", "us-east-1"),
        ("EntityPath", str(PATH)),
        ("LastAuthenticatedTime", WHEN),
        ("TotalAuthenticatedEntities", 2),
    ]


def test_unused_row_has_no_key_for_absent_members() -> None:
    detail = AccessDetail(service_name="Amazon S3", service_namespace="s3")
    assert access_detail_to_aws(detail) == {
        "ServiceName": "Amazon S3",
        "ServiceNamespace": "s3",
        "TotalAuthenticatedEntities": 0,
    }


def test_iso_text_times_are_read_as_aware_utc() -> None:
    detail = access_detail_from_aws(
        {
            "ServiceName": "Amazon S3",
            "ServiceNamespace": "s3",
            "Region": "us-east-1",
            "EntityPath": str(PATH),
            "LastAuthenticatedTime": "2026-05-25T16:29:52Z",
            "TotalAuthenticatedEntities": 1,
        }
    )
    assert detail.last_authenticated_time == WHEN


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"ServiceName": "x"}, "service_namespace"),
        ({"ServiceName": "x", "ServiceNamespace": "s3", "Bogus": 1}, "Bogus"),
        (
            {"ServiceName": "x", "ServiceNamespace": "s3", "EntityPath": "o-bad"},
            "o-bad",
        ),
        (
            {"ServiceName": "x", "ServiceNamespace": "s3", "LastAuthenticatedTime": "2026-01-01"},
            "last_authenticated_time",
        ),
    ],
)
def test_a_dict_that_is_not_an_access_detail_is_a_typed_error_naming_the_problem(
    data: dict[str, object], named: str
) -> None:
    with pytest.raises(OrgAccessError, match=named):
        access_detail_from_aws(data)


def test_make_converter_returns_a_new_converter_each_time() -> None:
    assert make_converter() is not make_converter()

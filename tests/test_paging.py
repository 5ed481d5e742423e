"""Sorting and pagination (semantics section 6): sort keys, pages, markers."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.aws.client import ReportClient
from orgaccess.aws.paging import DEFAULT_MAX_ITEMS, MAX_ITEMS_LIMIT, MarkerCodec, Page, page_of
from orgaccess.aws.shapes import access_detail_to_aws
from orgaccess.engine.report import AccessDetail
from orgaccess.engine.sorting import SortKey, sort_details
from orgaccess.errors import OrgAccessError, ServiceError
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.events import AccessEvent
from orgaccess.model.organization import Organization, OrganizationBuilder

T0 = datetime(2026, 9, 1, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)
ASC_NS = SortKey.SERVICE_NAMESPACE_ASCENDING
DESC_NS = SortKey.SERVICE_NAMESPACE_DESCENDING
ASC_TIME = SortKey.LAST_AUTHENTICATED_TIME_ASCENDING
DESC_TIME = SortKey.LAST_AUTHENTICATED_TIME_DESCENDING


def _detail(namespace: str, time: datetime | None = None) -> AccessDetail:
    if time is None:
        return AccessDetail(service_name=namespace.upper(), service_namespace=namespace)
    return AccessDetail(
        service_name=namespace.upper(),
        service_namespace=namespace,
        region="us-east-1",
        last_authenticated_time=time,
        total_authenticated_entities=1,
    )


#: a and d never used; b and e tie at T1; c at T0; f at T2. Given in a scrambled order.
DETAILS = (
    _detail("e", T1),
    _detail("a"),
    _detail("f", T2),
    _detail("c", T0),
    _detail("d"),
    _detail("b", T1),
)


def _names(rows: tuple[AccessDetail, ...]) -> str:
    return "".join(d.service_namespace for d in rows)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (ASC_NS, "abcdef"),
        (DESC_NS, "fedcba"),
        # never-used first (ties by namespace), then by time, equal times by namespace
        (ASC_TIME, "adcbef"),
        (DESC_TIME, "febcda"),
    ],
)
def test_every_sort_key_orders_rows_with_never_used_services(key: SortKey, expected: str) -> None:
    assert _names(sort_details(DETAILS, key)) == expected
    assert _names(sort_details(DETAILS, key.value)) == expected


def test_default_sort_key_is_namespace_ascending() -> None:
    assert _names(sort_details(DETAILS)) == "abcdef"


def test_never_used_services_come_first_under_time_ascending_by_namespace() -> None:
    rows = sort_details([_detail("zz"), _detail("mm", T0), _detail("aa")], ASC_TIME)
    assert _names(rows) == "aazzmm"


def test_unknown_sort_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="BAD"):
        sort_details(DETAILS, "BAD")


@pytest.mark.parametrize(("ascending", "descending"), [(ASC_NS, DESC_NS), (ASC_TIME, DESC_TIME)])
def test_each_descending_order_is_the_exact_reverse_of_ascending(
    ascending: SortKey, descending: SortKey
) -> None:
    assert sort_details(DETAILS, descending) == tuple(reversed(sort_details(DETAILS, ascending)))
    assert descending.descending
    assert not ascending.descending


_times = st.one_of(
    st.none(),
    st.sampled_from([T0, T1, T2]),
    st.integers(0, 10**9).map(lambda s: T0 + timedelta(seconds=s)),
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True), _times),
        unique_by=lambda t: t[0],
        max_size=30,
    )
)
def test_descending_is_the_reverse_of_ascending_for_any_rows(
    rows: list[tuple[str, datetime | None]],
) -> None:
    details = [_detail(ns, t) for ns, t in rows]
    for ascending, descending in ((ASC_NS, DESC_NS), (ASC_TIME, DESC_TIME)):
        up = sort_details(details, ascending)
        assert sort_details(details, descending) == tuple(reversed(up))
        assert sort_details(list(reversed(details)), ascending) == up
    by_time = sort_details(details, ASC_TIME)
    keys = [
        (
            d.last_authenticated_time is not None,
            d.last_authenticated_time or T0,
            d.service_namespace,
        )
        for d in by_time
    ]
    assert keys == sorted(keys)


# -- page_of --------------------------------------------------------------------------


def test_page_of_slices_and_says_where_the_next_page_starts() -> None:
    rows = sort_details(DETAILS)
    assert page_of(rows, 0, 4) == Page(items=rows[:4], next_start=4)
    assert page_of(rows, 4, 4) == Page(items=rows[4:], next_start=None)
    assert page_of(rows, 0, 6) == Page(items=rows, next_start=None)
    assert page_of(rows, 6, 1) == Page(items=(), next_start=None)
    assert not page_of(rows, 0, 1000).is_truncated
    assert page_of(rows, 0, 5).is_truncated


@pytest.mark.parametrize(
    ("start", "max_items", "message"),
    [(-1, 1, "start -1 is outside 0..6"), (7, 1, "start 7 is outside 0..6"), (0, 0, "got 0")],
)
def test_page_of_rejects_out_of_range_arguments(start: int, max_items: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        page_of(sort_details(DETAILS), start, max_items)


def test_max_items_limits() -> None:
    assert (DEFAULT_MAX_ITEMS, MAX_ITEMS_LIMIT) == (100, 1000)


# -- pages through the client -------------------------------------------------------------

ORG = "o-a1b2c3d4e5"
ROOT = "r-f6g7"
MGMT = "111111111111"
MEMBER_A = "222222222222"
MEMBER_B = "333333333333"
NAMESPACES = [f"svc{i:02d}" for i in range(14)]
CATALOG = ServiceCatalog.from_mapping(
    {ns: {"name": f"Service {ns}", "actions": ["Do"]} for ns in NAMESPACES}, description="paging"
)
CREATED = datetime(2026, 9, 30, tzinfo=UTC)


def _org() -> Organization:
    b = OrganizationBuilder(organization_id=ORG, root_id=ROOT, management_account_id=MGMT)
    b.add_account(MGMT, parent=ROOT)
    b.add_account(MEMBER_A, parent=ROOT)
    b.add_account(MEMBER_B, parent=ROOT)
    return b.build()


def _events() -> list[AccessEvent]:
    """Half the services used, with ties on time, so every sort key has work to do."""
    events = []
    for i, ns in enumerate(NAMESPACES[::2]):
        events.append(
            AccessEvent(
                account_id=MEMBER_A if i % 2 else MEMBER_B,
                service_namespace=ns,
                region="eu-west-1",
                time=CREATED - timedelta(days=10 - i // 2),  # pairs share a time
            )
        )
    return events


def _job_ids() -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"00000000-0000-4000-8000-{n:012d}"


def _client() -> tuple[ReportClient, str]:
    ids = _job_ids()
    client = ReportClient(
        _org(),
        _events(),
        clock=lambda: CREATED,
        catalog=CATALOG,
        id_factory=lambda: next(ids),
        marker_secret=b"paging-test-secret-0123",
    )
    job = client.generate_organizations_access_report(EntityPath=f"{ORG}/{ROOT}")
    return client, job["JobId"]


def _walk(client: ReportClient, job_id: str, key: str, max_items: int) -> list[dict[str, Any]]:
    pages = []
    kwargs: dict[str, Any] = {"JobId": job_id, "SortKey": key, "MaxItems": max_items}
    while True:
        page = client.get_organizations_access_report(**kwargs)
        pages.append(page)
        if not page["IsTruncated"]:
            return pages
        kwargs["Marker"] = page["Marker"]


@pytest.mark.parametrize("key", [k.value for k in SortKey])
def test_pages_for_every_max_items_concatenate_to_the_single_page_result(key: str) -> None:
    client, job_id = _client()
    whole = client.get_organizations_access_report(JobId=job_id, SortKey=key, MaxItems=1000)
    assert not whole["IsTruncated"]
    assert "Marker" not in whole
    rows = whole["AccessDetails"]
    assert len(rows) == len(NAMESPACES) == whole["NumberOfServicesAccessible"]
    for max_items in range(1, len(rows) + 1):
        pages = _walk(client, job_id, key, max_items)
        assert [r for p in pages for r in p["AccessDetails"]] == rows
        assert len(pages) == -(-len(rows) // max_items)
        for page in pages[:-1]:
            assert len(page["AccessDetails"]) == max_items
            assert page["IsTruncated"] is True
            assert isinstance(page["Marker"], str)
        assert pages[-1]["IsTruncated"] is False
        assert "Marker" not in pages[-1]
        for page in pages:
            assert page["NumberOfServicesAccessible"] == whole["NumberOfServicesAccessible"]
            assert page["NumberOfServicesNotAccessed"] == whole["NumberOfServicesNotAccessed"]


def test_single_page_rows_follow_sort_details() -> None:
    client, job_id = _client()
    report = client.report_of(job_id)
    for key in SortKey:
        page = client.get_organizations_access_report(JobId=job_id, SortKey=key.value)
        assert page["AccessDetails"] == [
            access_detail_to_aws(d) for d in sort_details(report.details, key)
        ]


def test_default_page_has_100_rows() -> None:
    namespaces = [f"svc{i:03d}" for i in range(150)]
    catalog = ServiceCatalog.from_mapping({ns: {"actions": ["Do"]} for ns in namespaces})
    client = ReportClient(_org(), (), clock=lambda: CREATED, catalog=catalog)
    job_id = client.generate_organizations_access_report(EntityPath=f"{ORG}/{ROOT}")["JobId"]
    first = client.get_organizations_access_report(JobId=job_id)
    assert len(first["AccessDetails"]) == 100
    assert first["IsTruncated"] is True
    second = client.get_organizations_access_report(JobId=job_id, Marker=first["Marker"])
    assert len(second["AccessDetails"]) == 50
    assert second["IsTruncated"] is False
    assert [r["ServiceNamespace"] for r in first["AccessDetails"] + second["AccessDetails"]] == (
        namespaces
    )


def test_marker_is_valid_with_a_different_max_items() -> None:
    client, job_id = _client()
    whole = client.get_organizations_access_report(JobId=job_id, MaxItems=1000)["AccessDetails"]
    first = client.get_organizations_access_report(JobId=job_id, MaxItems=3)
    second = client.get_organizations_access_report(
        JobId=job_id, MaxItems=5, Marker=first["Marker"]
    )
    assert second["AccessDetails"] == whole[3:8]
    third = client.get_organizations_access_report(
        JobId=job_id, MaxItems=1000, Marker=second["Marker"]
    )
    assert third["AccessDetails"] == whole[8:]
    assert third["IsTruncated"] is False


def test_marker_can_be_used_again() -> None:
    client, job_id = _client()
    marker = client.get_organizations_access_report(JobId=job_id, MaxItems=2)["Marker"]
    once = client.get_organizations_access_report(JobId=job_id, MaxItems=2, Marker=marker)
    again = client.get_organizations_access_report(JobId=job_id, MaxItems=2, Marker=marker)
    assert once == again


def _code(call: Any, **kwargs: Any) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    assert isinstance(caught.value, OrgAccessError)
    return caught.value


def test_client_marker_of_another_sort_key_is_invalid_input() -> None:
    client, job_id = _client()
    marker = client.get_organizations_access_report(JobId=job_id, MaxItems=2)["Marker"]
    error = _code(
        client.get_organizations_access_report,
        JobId=job_id,
        Marker=marker,
        SortKey="SERVICE_NAMESPACE_DESCENDING",
    )
    assert error.code == "InvalidInput"
    assert error.message.startswith("The marker passed in the request was invalid.")


def test_client_marker_of_another_job_is_invalid_input() -> None:
    client, job_id = _client()
    other = client.generate_organizations_access_report(EntityPath=f"{ORG}/{ROOT}/{MEMBER_A}")
    marker = client.get_organizations_access_report(JobId=job_id, MaxItems=2)["Marker"]
    error = _code(client.get_organizations_access_report, JobId=other["JobId"], Marker=marker)
    assert error.code == "InvalidInput"


def test_client_marker_that_does_not_decode_is_validation_error() -> None:
    client, job_id = _client()
    error = _code(client.get_organizations_access_report, JobId=job_id, Marker="garbage")
    assert error.code == "ValidationError"
    assert error.message.startswith("Invalid Marker.")


# -- MarkerCodec -------------------------------------------------------------------------

SECRET = b"0123456789abcdef0123456789abcdef"
JOB = "00000000-0000-4000-8000-000000000001"
OTHER_JOB = "00000000-0000-4000-8000-000000000002"
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.mark.parametrize("position", [0, 1, 7, 999, 2**31])
@pytest.mark.parametrize("key", list(SortKey))
def test_marker_round_trip(position: int, key: SortKey) -> None:
    codec = MarkerCodec(SECRET)
    marker = codec.encode(JOB, key, position)
    assert codec.decode(marker, JOB, key) == position
    assert marker.isascii()
    assert marker.isprintable()
    assert 1 <= len(marker) <= 320
    assert MarkerCodec(SECRET).encode(JOB, key, position) == marker  # reproducible


def _invalid_input(codec: MarkerCodec, marker: str, job: str, key: SortKey) -> None:
    with pytest.raises(ServiceError) as caught:
        codec.decode(marker, job, key)
    assert caught.value.code == "InvalidInput"
    assert caught.value.message.startswith("The marker passed in the request was invalid.")


def test_marker_of_another_job_is_invalid_input() -> None:
    codec = MarkerCodec(SECRET)
    _invalid_input(codec, codec.encode(JOB, ASC_NS, 5), OTHER_JOB, ASC_NS)


@pytest.mark.parametrize("key", list(SortKey))
def test_marker_of_another_sort_key_is_invalid_input(key: SortKey) -> None:
    codec = MarkerCodec(SECRET)
    marker = codec.encode(JOB, key, 5)
    for other in SortKey:
        if other is not key:
            _invalid_input(codec, marker, JOB, other)


def test_marker_of_another_secret_is_invalid_input() -> None:
    marker = MarkerCodec(b"another-secret-0123456789").encode(JOB, ASC_NS, 5)
    _invalid_input(MarkerCodec(SECRET), marker, JOB, ASC_NS)


@pytest.mark.parametrize("position", [1, 5, 100])
def test_marker_with_any_character_altered_is_invalid_input(position: int) -> None:
    codec = MarkerCodec(SECRET)
    marker = codec.encode(JOB, ASC_NS, position)
    prefix, body = marker[:4], marker[4:]
    for i, char in enumerate(body):
        for replacement in B64_ALPHABET:
            if replacement == char:
                continue
            altered = prefix + body[:i] + replacement + body[i + 1 :]
            _invalid_input(codec, altered, JOB, ASC_NS)


@pytest.mark.parametrize(
    ("old", "new"), [("-", "+"), ("_", "/")], ids=["dash-as-plus", "underscore-as-slash"]
)
def test_marker_written_in_the_standard_base64_alphabet_is_not_accepted(old: str, new: str) -> None:
    codec = MarkerCodec(SECRET)
    for position in range(200):
        marker = codec.encode(JOB, ASC_NS, position)
        if old in marker[4:]:
            break
    else:  # pragma: no cover - the loop finds one
        pytest.fail(f"no marker with {old!r}")
    altered = marker[:4] + marker[4:].replace(old, new)
    with pytest.raises(ServiceError) as caught:
        codec.decode(altered, JOB, ASC_NS)
    assert caught.value.code in ("InvalidInput", "ValidationError")


def test_marker_with_an_inserted_character_is_rejected() -> None:
    codec = MarkerCodec(SECRET)
    marker = codec.encode(JOB, ASC_NS, 3)
    for i in range(4, len(marker) + 1):
        for extra in ("!", " ", "=", "A", "."):
            with pytest.raises(ServiceError) as caught:
                codec.decode(marker[:i] + extra + marker[i:], JOB, ASC_NS)
            assert caught.value.code in ("InvalidInput", "ValidationError")


def _forged(position: int) -> str:
    raw = position.to_bytes(4, "big") + bytes(16)
    return "oa1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_marker_of_a_forged_position_is_invalid_input() -> None:
    _invalid_input(MarkerCodec(SECRET), _forged(3), JOB, ASC_NS)


@pytest.mark.parametrize(
    "garbage",
    ["", "garbage", "oa1.", "oa1.!!!!", "oa1.AAAA", "oa1." + "A" * 200, "xx1." + "A" * 27, "é"],
)
def test_garbage_marker_is_validation_error_invalid_marker(garbage: str) -> None:
    with pytest.raises(ServiceError) as caught:
        MarkerCodec(SECRET).decode(garbage, JOB, ASC_NS)
    assert caught.value.code == "ValidationError"
    assert caught.value.message.startswith("Invalid Marker.")


@pytest.mark.parametrize("secret", [b"", b"short", "a string secret 0123456789"])
def test_marker_secret_must_be_16_bytes(secret: object) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        MarkerCodec(secret)  # type: ignore[arg-type]


# -- the captured AWS order of never-used services (semantics section 6) -----------------

#: Real AWS, 2026-09-11: three never-used services; only iam carries a Region (the quirk).
CAPTURED = {
    ASC_TIME: ["s3", "sqs", "iam"],
    DESC_TIME: ["iam", "sqs", "s3"],
    ASC_NS: ["iam", "s3", "sqs"],
    DESC_NS: ["sqs", "s3", "iam"],
}


def _never_used(namespace: str, region: str | None = None) -> AccessDetail:
    return AccessDetail(service_name=namespace.upper(), service_namespace=namespace, region=region)


@pytest.mark.parametrize("key", list(CAPTURED))
def test_sort_details_reproduces_the_captured_aws_order(key: SortKey) -> None:
    rows = [_never_used("sqs"), _never_used("iam", "us-east-1"), _never_used("s3")]
    assert [d.service_namespace for d in sort_details(rows, key)] == CAPTURED[key]


def test_time_ties_break_by_region_with_no_region_first_then_namespace() -> None:
    rows = [
        _detail("b", T1),  # us-east-1
        AccessDetail(
            service_name="A",
            service_namespace="a",
            region="us-west-2",
            last_authenticated_time=T1,
            total_authenticated_entities=1,
        ),
        _never_used("z"),
        _never_used("y", "eu-west-1"),
        _never_used("x", "us-east-1"),
    ]
    assert _names(sort_details(rows, ASC_TIME)) == "zyxba"
    assert _names(sort_details(rows, DESC_TIME)) == "abxyz"


CAPTURED_CATALOG = ServiceCatalog.from_mapping(
    {
        "iam": {"name": "AWS Identity and Access Management", "actions": ["GetUser"]},
        "s3": {"name": "Amazon S3", "actions": ["GetObject"]},
        "sqs": {"name": "Amazon SQS", "actions": ["SendMessage"]},
    },
    description="captured 2026-09-11",
)


@pytest.mark.parametrize("key", list(CAPTURED))
@pytest.mark.parametrize("max_items", [1, 2, 3])
def test_report_client_pages_reproduce_the_captured_aws_order(key: SortKey, max_items: int) -> None:
    client = ReportClient(
        _org(),
        [],
        clock=lambda: CREATED,
        catalog=CAPTURED_CATALOG,
        marker_secret=b"paging-test-secret-0123",
    )
    job_id = client.generate_organizations_access_report(EntityPath=f"{ORG}/{ROOT}")["JobId"]
    pages = _walk(client, job_id, key.value, max_items)
    rows = [row for page in pages for row in page["AccessDetails"]]
    assert [row["ServiceNamespace"] for row in rows] == CAPTURED[key]
    assert [row.get("Region") for row in rows if row["ServiceNamespace"] == "iam"] == ["us-east-1"]
    assert not any("LastAuthenticatedTime" in row for row in rows)


@pytest.mark.parametrize("key", list(CAPTURED))
def test_the_oracle_sort_reproduces_the_captured_aws_order(key: SortKey) -> None:
    from oracle import oracle_sort

    rows = [
        {"ServiceNamespace": "sqs", "TotalAuthenticatedEntities": 0},
        {"ServiceNamespace": "iam", "Region": "us-east-1", "TotalAuthenticatedEntities": 0},
        {"ServiceNamespace": "s3", "TotalAuthenticatedEntities": 0},
    ]
    assert [r["ServiceNamespace"] for r in oracle_sort(rows, key.value)] == CAPTURED[key]

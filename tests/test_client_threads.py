"""One ReportClient shared by 8 threads (issue 11 item 4): the limit holds, results agree."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from test_client import MGMT, OU_PATH, ROOT_PATH, Clock, make_client

from orgaccess.aws.client import ReportClient
from orgaccess.errors import ServiceError

THREADS = 8


@pytest.fixture(autouse=True)
def _switch_often() -> Iterator[None]:
    # Make the interpreter switch threads far more often, to provoke races.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _run(work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def target(n: int) -> None:
        barrier.wait()
        try:
            results[n] = work(n)
        except Exception as exc:
            results[n] = exc

    threads = [threading.Thread(target=target, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_in_progress_limit_holds_exactly_under_concurrent_generation(limit: int) -> None:
    client = make_client(
        clock=Clock(), job_duration=timedelta(minutes=5), max_concurrent_jobs=limit
    )
    principals = [client.as_caller(f"arn:aws:iam::{MGMT}:user/u{n}") for n in range(THREADS)]

    def generate(n: int) -> object:
        return principals[n].generate_organizations_access_report(EntityPath=ROOT_PATH)

    for _ in range(20):
        results = _run(generate)
        started = [r for r in results if isinstance(r, dict)]
        refused = [r for r in results if isinstance(r, ServiceError)]
        assert len(started) == limit
        assert len(refused) == THREADS - limit
        assert {e.code for e in refused} == {"ReportGenerationLimitExceeded"}
        client = make_client(
            clock=Clock(), job_duration=timedelta(minutes=5), max_concurrent_jobs=limit
        )
        principals = [client.as_caller(f"arn:aws:iam::{MGMT}:user/u{n}") for n in range(THREADS)]


def test_hammering_one_client_from_8_threads_gives_the_sequential_results() -> None:
    keys = [
        "SERVICE_NAMESPACE_ASCENDING",
        "SERVICE_NAMESPACE_DESCENDING",
        "LAST_AUTHENTICATED_TIME_ASCENDING",
        "LAST_AUTHENTICATED_TIME_DESCENDING",
    ]
    reference = make_client(max_concurrent_jobs=THREADS)
    expected: dict[tuple[str, str], list[Any]] = {}
    for path in (ROOT_PATH, OU_PATH):
        job = reference.generate_organizations_access_report(EntityPath=path)["JobId"]
        for key in keys:
            rows = reference.get_organizations_access_report(JobId=job, SortKey=key)
            expected[(path, key)] = rows["AccessDetails"]

    shared: ReportClient = make_client(max_concurrent_jobs=THREADS)

    def work(n: int) -> list[tuple[str, str, list[Any]]]:
        me = shared.as_caller(f"arn:aws:iam::{MGMT}:user/u{n}")
        seen = []
        for round_ in range(25):
            path = (ROOT_PATH, OU_PATH)[(n + round_) % 2]
            job = me.generate_organizations_access_report(EntityPath=path)["JobId"]
            key = keys[(n + round_) % 4]
            pages = me.get_paginator("get_organizations_access_report").paginate(
                JobId=job, SortKey=key, PaginationConfig={"PageSize": 1 + round_ % 3}
            )
            seen.append((path, key, [row for page in pages for row in page["AccessDetails"]]))
        return seen

    results = _run(work)
    for result in results:
        assert not isinstance(result, Exception), result
        for path, key, rows in result:
            assert rows == expected[(path, key)]

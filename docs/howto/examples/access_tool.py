"""A small tool of your own: when was each service last used under an entity?

Production code, unchanged for tests: it creates its boto3 IAM client itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import boto3


class ReportFailedError(Exception):
    """The access report job ended FAILED."""


def last_used(
    entity_path: str,
    *,
    page_size: int = 100,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, datetime | None]:
    """Namespace -> last access time (``None``: not used in the tracking period)."""
    iam = boto3.client("iam")
    job_id = iam.generate_organizations_access_report(EntityPath=entity_path)["JobId"]
    while True:
        page = iam.get_organizations_access_report(JobId=job_id, MaxItems=page_size)
        if page["JobStatus"] != "IN_PROGRESS":
            break
        sleep(1.0)
    if page["JobStatus"] == "FAILED":
        error = page["ErrorDetails"]
        raise ReportFailedError(f"{error['Code']}: {error['Message']}")
    result: dict[str, datetime | None] = {}
    while True:
        for detail in page["AccessDetails"]:
            result[detail["ServiceNamespace"]] = detail.get("LastAuthenticatedTime")
        if not page["IsTruncated"]:
            return result
        page = iam.get_organizations_access_report(
            JobId=job_id, MaxItems=page_size, Marker=page["Marker"]
        )

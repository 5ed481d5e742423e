"""A small tool of your own: suggest a Deny SCP for the services nobody used lately."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from orgaccess import iter_access_details


def suggest_deny_scp(
    iam: Any, entity_path: str, *, now: datetime, days: int
) -> dict[str, Any] | None:
    """A Deny SCP for every service the entity's report lists but nobody used in ``days`` days.

    ``iam`` is boto3's IAM client or an ``orgaccess.ReportClient``. Returns
    ``None`` when every listed service was used.
    """
    job_id = iam.generate_organizations_access_report(EntityPath=entity_path)["JobId"]
    cutoff = now - timedelta(days=days)
    unused = sorted(
        detail["ServiceNamespace"]
        for detail in iter_access_details(iam, JobId=job_id)
        if detail.get("LastAuthenticatedTime") is None or detail["LastAuthenticatedTime"] < cutoff
    )
    if not unused:
        return None
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyUnusedServices",
                "Effect": "Deny",
                "Action": [f"{namespace}:*" for namespace in unused],
                "Resource": "*",
            }
        ],
    }

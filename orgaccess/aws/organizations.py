"""Read an organization snapshot through the AWS Organizations API (boto3).

:func:`read_snapshot` walks an organization with an ``organizations``
client and returns the snapshot dict that
:func:`~orgaccess.formats.snapshot.load_organization` reads: the API's own
shapes, plus ``ParentId`` on each OU and account and ``Targets`` on each
SCP. It calls only read operations (``DescribeOrganization``, ``ListRoots``,
``ListOrganizationalUnitsForParent``, ``ListAccountsForParent``,
``ListPolicies``, ``DescribePolicy``, ``ListTargetsForPolicy``; see
:data:`SNAPSHOT_OPERATIONS`) and follows every page through the client's
paginators. Times (``JoinedTimestamp``) become ISO 8601 text, as the AWS CLI
prints them; ``ResponseMetadata`` is dropped.

:func:`organizations_client` makes the client with boto3's standard
configuration (environment, ``~/.aws/config``, ``--profile``,
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_ORGANIZATIONS``) and botocore's
retry handler (``adaptive`` mode by default: exponential backoff with
jitter on throttling and transient errors, plus client-side rate limiting).
boto3 is the optional extra ``orgaccess[aws]``; errors from AWS
(``botocore.exceptions.ClientError``) and from botocore itself
(``BotoCoreError``: no credentials, no endpoint) are raised unchanged, so a
caller can report them verbatim.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from ..errors import MissingExtraError

__all__ = [
    "SNAPSHOT_OPERATIONS",
    "organizations_client",
    "read_snapshot",
]

#: The read-only Organizations operations a snapshot needs (IAM actions ``organizations:<name>``).
SNAPSHOT_OPERATIONS = (
    "DescribeOrganization",
    "ListRoots",
    "ListOrganizationalUnitsForParent",
    "ListAccountsForParent",
    "ListPolicies",
    "DescribePolicy",
    "ListTargetsForPolicy",
)

SCP_TYPE = "SERVICE_CONTROL_POLICY"


def organizations_client(
    *,
    profile: str | None = None,
    region: str | None = None,
    retry_mode: str = "adaptive",
    max_attempts: int = 10,
) -> Any:
    """An ``organizations`` boto3 client with retries on throttling.

    ``max_attempts`` counts every attempt of a call, the first included
    (botocore's ``total_max_attempts``).

    ``profile`` and ``region`` override the standard configuration; without
    a Region configured anywhere, ``us-east-1`` (where the Organizations
    endpoint of the ``aws`` partition lives) is used.
    """
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise MissingExtraError(
            "reading from AWS needs boto3: pip install 'orgaccess[aws]'"
        ) from None
    session = boto3.Session(profile_name=profile, region_name=region)
    config = Config(retries={"mode": retry_mode, "total_max_attempts": max_attempts})
    return session.client(
        "organizations", region_name=session.region_name or "us-east-1", config=config
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def read_snapshot(client: Any) -> dict[str, Any]:
    """The snapshot of the organization ``client`` can read (see the module docs)."""
    organization = client.describe_organization()["Organization"]
    roots = list(_pages(client, "list_roots", "Roots"))
    ous: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    parents = [root["Id"] for root in roots]
    while parents:  # breadth first; the listings do not repeat the parent asked about
        parent = parents.pop(0)
        for ou in _pages(
            client, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent
        ):
            ous.append({**ou, "ParentId": parent})
            parents.append(ou["Id"])
        for account in _pages(client, "list_accounts_for_parent", "Accounts", ParentId=parent):
            accounts.append({**account, "ParentId": parent})
    policies: list[dict[str, Any]] = []
    for summary in _pages(client, "list_policies", "Policies", Filter=SCP_TYPE):
        policy = client.describe_policy(PolicyId=summary["Id"])["Policy"]
        targets = list(_pages(client, "list_targets_for_policy", "Targets", PolicyId=summary["Id"]))
        policies.append({**policy, "Targets": targets})
    snapshot = {
        "Organization": organization,
        "Roots": roots,
        "OrganizationalUnits": sorted(ous, key=lambda item: str(item["Id"])),
        "Accounts": sorted(accounts, key=lambda item: str(item["Id"])),
        "Policies": sorted(policies, key=lambda item: str(item["PolicySummary"]["Id"])),
    }
    result: dict[str, Any] = _jsonable(snapshot)
    return result

"""Build an orgaccess snapshot from the AWS CLI's ``aws organizations`` commands.

Run it with credentials of the management account (or of a delegated
administrator for AWS Organizations) that may call the Describe* and List*
operations used below:

    python org_snapshot.py > org.json
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

Aws = Callable[..., Any]


def aws(*args: str) -> Any:
    """Run ``aws organizations <args>`` and return its parsed JSON output.

    The AWS CLI follows every page of a list command by itself.
    """
    command = ["aws", "organizations", *args, "--output", "json"]
    return json.loads(subprocess.run(command, check=True, capture_output=True).stdout)


def build_snapshot(aws: Aws = aws) -> dict[str, Any]:
    """The snapshot: the Organizations API's own shapes, plus ParentId and Targets."""
    organization = aws("describe-organization")["Organization"]
    roots = aws("list-roots")["Roots"]
    ous: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    parents = [root["Id"] for root in roots]
    while parents:  # walk the tree, one parent at a time
        parent = parents.pop()
        children = aws("list-organizational-units-for-parent", "--parent-id", parent)
        for ou in children["OrganizationalUnits"]:
            ous.append({**ou, "ParentId": parent})  # the listing does not say the parent
            parents.append(ou["Id"])
        listed = aws("list-accounts-for-parent", "--parent-id", parent)
        accounts += [{**account, "ParentId": parent} for account in listed["Accounts"]]
    policies = []
    summaries = aws("list-policies", "--filter", "SERVICE_CONTROL_POLICY")["Policies"]
    for summary in summaries:
        policy = aws("describe-policy", "--policy-id", summary["Id"])["Policy"]
        targets = aws("list-targets-for-policy", "--policy-id", summary["Id"])["Targets"]
        policies.append({**policy, "Targets": targets})  # PolicySummary, Content, Targets
    return {
        "Organization": organization,
        "Roots": roots,
        "OrganizationalUnits": ous,
        "Accounts": accounts,
        "Policies": policies,
    }


if __name__ == "__main__":
    json.dump(build_snapshot(), sys.stdout, indent=2)
    print()

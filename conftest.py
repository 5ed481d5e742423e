"""pytest's configuration for the doctests of the package (``--doctest-modules`` over orgaccess/).

Modules that need an optional dependency are left out when it is missing, so
that the collector never fails on an import: the strategies need Hypothesis
(the ``strategies`` extra). The AWS modules import botocore, boto3 and Werkzeug
only when called, so they are always collected; their examples that need
botocore and boto3 skip themselves through :data:`_NEEDS`.
"""

from __future__ import annotations

import importlib.util

import pytest

#: Module docstring examples -> the optional modules they need.
_NEEDS = {
    "orgaccess/aws/mock.py": ("boto3", "botocore"),
    "orgaccess/strategies/__init__.py": ("hypothesis",),
    "orgaccess/_hypothesis_plugin.py": ("hypothesis",),
}


def _missing(modules: tuple[str, ...]) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


collect_ignore = [
    path
    for path, modules in _NEEDS.items()
    if path.startswith("orgaccess/strategies") and _missing(modules)
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not isinstance(item, pytest.DoctestItem):
            continue
        for path, modules in _NEEDS.items():
            missing = _missing(modules)
            if missing and str(item.path).endswith(path):
                item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(missing)}"))

"""The public face: ``__all__`` of the package and of each area is exactly what it binds.

Architecture rule: the package ``__init__`` (and each subpackage's) only
re-exports; every public, non-module name it binds is listed in ``__all__``,
every listed name exists, and nothing is listed twice.
"""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "orgaccess",
    "orgaccess.model",
    "orgaccess.engine",
    "orgaccess.formats",
    "orgaccess.aws",
    "orgaccess.cli",
]
MODULES = [
    "orgaccess.errors",
    "orgaccess._time",
    "orgaccess.model.ids",
    "orgaccess.model.policy",
    "orgaccess.model.catalog",
    "orgaccess.model.events",
    "orgaccess.model.organization",
    "orgaccess.engine.evaluation",
    "orgaccess.engine.arnmatch",
    "orgaccess.engine.report",
    "orgaccess.engine.sorting",
    "orgaccess.formats.snapshot",
    "orgaccess.formats.cloudtrail",
    "orgaccess.formats.rows",
    "orgaccess.formats.activity",
    "orgaccess.aws.client",
    "orgaccess.aws.paging",
    "orgaccess.aws.shapes",
]

# Names a package binds that are not part of its face: dunder attributes and submodules.
_IGNORED = {"annotations"}


def _bound_public(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(value, types.ModuleType)
        and name not in _IGNORED
    }


@pytest.mark.parametrize("name", PACKAGES)
def test_a_package_all_is_exactly_what_it_binds(name: str) -> None:
    package = importlib.import_module(name)
    listed = list(package.__all__)
    assert len(listed) == len(set(listed)), "a name is listed twice"
    assert set(listed) == _bound_public(package)


@pytest.mark.parametrize("name", MODULES)
def test_every_name_a_module_lists_exists(name: str) -> None:
    module = importlib.import_module(name)
    listed = list(module.__all__)
    assert len(listed) == len(set(listed))
    assert [n for n in listed if not hasattr(module, n)] == []


@pytest.mark.parametrize("name", PACKAGES[1:-1])
def test_an_area_re_exports_every_public_name_of_its_modules(name: str) -> None:
    package = importlib.import_module(name)
    for module_name in [m for m in MODULES if m.startswith(name + ".")]:
        module = importlib.import_module(module_name)
        assert set(module.__all__) <= set(package.__all__), module_name

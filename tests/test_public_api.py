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


def _public_modules() -> list[str]:
    """Every public module of the package (no underscore in any part of its name)."""
    import pkgutil

    import orgaccess

    names = []
    for info in pkgutil.walk_packages(orgaccess.__path__, "orgaccess."):
        if not info.ispkg and not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return [*sorted(names), "orgaccess.errors", "orgaccess._time"]


MODULES = sorted(set(_public_modules()))

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


@pytest.mark.parametrize("name", MODULES)
def test_every_public_function_and_class_a_module_defines_is_in_its_all(name: str) -> None:
    """docs/reference/api.md: "Every module lists its public names in ``__all__``"."""
    module = importlib.import_module(name)
    defined = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and isinstance(value, type | types.FunctionType)
        and getattr(value, "__module__", None) == name
    }
    assert sorted(defined - set(module.__all__)) == []


@pytest.mark.parametrize("name", [m for m in MODULES if m.count(".") >= 2])
def test_every_public_module_has_its_place_on_its_area_page(name: str) -> None:
    """The API reference is one page per area; each public module is documented there."""
    from pathlib import Path

    area = name.split(".")[1]
    page = Path(__file__).resolve().parent.parent / "docs" / "reference" / "api" / f"{area}.md"
    assert f".. automodule:: {name}\n" in page.read_text(encoding="utf-8")

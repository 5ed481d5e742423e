"""The organization as a nested tree of plain dicts (for ``orgaccess tree`` and the HTML page)."""

from __future__ import annotations

from typing import Any

from ..model.organization import Account, Organization, OrganizationalUnit

__all__ = ["node_type", "org_tree", "walk"]


def node_type(org: Organization, entity_id: str) -> str:
    """``ROOT``, ``ORGANIZATIONAL_UNIT`` or ``ACCOUNT`` (the Organizations API's words)."""
    entity = org.entity(entity_id)
    if isinstance(entity, Account):
        return "ACCOUNT"
    if isinstance(entity, OrganizationalUnit):
        return "ORGANIZATIONAL_UNIT"
    return "ROOT"


def org_tree(org: Organization, entity_id: str | None = None) -> dict[str, Any]:
    """``{Id, Name, Type, Path, Management, Scps: [{Id, Name}], Children: [...]}`` from an entity.

    Children come OUs first, then accounts, each by name then id.
    """
    top = str(org.root.id) if entity_id is None else entity_id
    entity = org.entity(top)
    children = [org.entity(c) for c in org.children_of(top)]
    children.sort(key=lambda e: (isinstance(e, Account), getattr(e, "name", ""), str(e.id)))
    return {
        "Id": str(entity.id),
        "Name": getattr(entity, "name", ""),
        "Type": node_type(org, top),
        "Path": str(org.path_of(top)),
        "Management": org.is_management_account(top),
        "Scps": [{"Id": str(p.id), "Name": p.name} for p in org.scps_attached(top)],
        "Children": [org_tree(org, str(c.id)) for c in children],
    }


def walk(node: dict[str, Any], depth: int = 0) -> list[tuple[int, dict[str, Any]]]:
    """Every node of a tree with its depth, parents before children."""
    found = [(depth, node)]
    for child in node["Children"]:
        found.extend(walk(child, depth + 1))
    return found

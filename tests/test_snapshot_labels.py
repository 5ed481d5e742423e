"""Snapshot problems name the entity or policy next to the JSON location (issue 12, item 6 b).

``/Policies/2/Content`` alone makes a user with hundreds of policies count
entries; ``/Policies/2/Content (policy p-devrestrict)`` names the one to fix.
Every problem inside an entry whose id could be read carries the label, the
shape problems and the structural ones (found after the entries were read)
alike; an entry whose id is unreadable has none (its id problem says why).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from orgaccess.errors import SnapshotError
from orgaccess.formats.snapshot import example_snapshot, load_organization


def locations(snapshot: dict[str, Any]) -> list[str]:
    with pytest.raises(SnapshotError) as info:
        load_organization(snapshot)
    return [p.location for p in info.value.problems]


def _edited(edit: Any) -> dict[str, Any]:
    snapshot = copy.deepcopy(example_snapshot())
    edit(snapshot)
    return snapshot


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda s: s["Policies"][2].update(Content="{bad"),
            "/Policies/2/Content (policy p-devrestrict)",
            id="policy-content",
        ),
        pytest.param(
            lambda s: s["Policies"][3]["PolicySummary"].update(Name=7),
            "/Policies/3/PolicySummary/Name (policy p-regionguard)",
            id="policy-summary-field",
        ),
        pytest.param(
            lambda s: s["Policies"][5].update(Targets=["ou-ex12-nosuch01"]),
            "/Policies/5/Targets/0 (policy p-sandboxallow)",
            id="policy-target-unknown-structural",
        ),
        pytest.param(
            lambda s: s["Accounts"][1].update(JoinedTimestamp="yesterday"),
            "/Accounts/1/JoinedTimestamp (account 888899990000)",
            id="account-field",
        ),
        pytest.param(
            lambda s: s["Accounts"][1].update(ParentId="ou-ex12-zzzzzzzz"),
            "/Accounts/1 (account 888899990000)",
            id="account-unknown-parent-structural",
        ),
        pytest.param(
            lambda s: s["OrganizationalUnits"][1].update(Name=None),
            "/OrganizationalUnits/1/Name (ou ou-ex12-security)",
            id="ou-field",
        ),
        pytest.param(
            lambda s: s["Roots"][0]["PolicyTypes"][0].update(Status="MAYBE"),
            "/Roots/0/PolicyTypes/0/Status (root r-ex12)",
            id="root-field",
        ),
    ],
)
def test_a_problem_inside_an_entry_names_its_id(edit: Any, expected: str) -> None:
    assert expected in locations(_edited(edit))


def test_every_problem_of_an_entry_is_labelled_and_the_message_is_unchanged() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["Policies"][2].update(Content="{bad")
        s["Policies"][2]["PolicySummary"].update(AwsManaged="yes")

    with pytest.raises(SnapshotError) as info:
        load_organization(_edited(edit))
    inside = [p for p in info.value.problems if p.location.startswith("/Policies/2/")]
    assert len(inside) == 2
    assert all(p.location.endswith(" (policy p-devrestrict)") for p in inside)
    assert all("p-devrestrict" not in p.message for p in inside)
    assert "/Policies/2/Content (policy p-devrestrict): " in str(info.value)


def test_an_entry_whose_id_is_unreadable_has_no_label() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["Policies"][2]["PolicySummary"].update(Id="not-a-policy-id")
        s["Policies"][2].update(Content="{bad")

    found = [loc for loc in locations(_edited(edit)) if loc.startswith("/Policies/2/")]
    assert found
    assert all("(" not in loc for loc in found)


def test_top_level_problems_carry_no_label() -> None:
    snapshot = _edited(lambda s: s.pop("Accounts"))
    assert "/Accounts" in locations(snapshot)


def test_a_duplicate_names_the_id_it_repeats() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["Accounts"][2]["Id"] = s["Accounts"][1]["Id"]

    assert "/Accounts/2/Id (account 888899990000)" in locations(_edited(edit))

"""Hypothesis entry point: registers strategies for orgaccess's types.

Hypothesis calls :func:`_hypothesis_setup_hook` when it is imported (the
``hypothesis`` entry point in ``pyproject.toml``); ``import orgaccess`` never
imports this module or Hypothesis. After registration ``st.from_type`` of

* ``Organization`` draws :func:`~orgaccess.strategies.organizations` over the default catalog;
* ``EntityPath`` an organization, then one of its paths;
* ``PolicyDocument`` :func:`~orgaccess.strategies.scp_documents`;
* ``AccessEvent`` one event of an account, in 2024-2026;
* ``AccountId`` and the other id types, ids of that kind:

>>> from hypothesis import find, strategies as st
>>> from orgaccess.model.ids import AccountId
>>> find(st.from_type(AccountId), lambda account_id: True)
AccountId('000000000000')

Nothing is drawn or loaded at registration time: the default catalog is read
on the first draw that needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .model.events import AccessEvent
from .model.ids import AccountId, EntityPath, OrganizationId, OuId, PolicyId, RootId
from .model.organization import Organization
from .model.policy import PolicyDocument

if TYPE_CHECKING:
    import hypothesis.strategies as st

__all__: list[str] = []

_EVENT_WINDOW = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


# Each maker imports orgaccess.strategies when a strategy is first drawn from, not
# at registration: Hypothesis runs the hook while it is itself being imported,
# possibly by ``import orgaccess.strategies``, which is then only partly initialised.


def _organizations() -> st.SearchStrategy[Organization]:
    from . import strategies as oas

    return oas.organizations()


def _entity_paths() -> st.SearchStrategy[EntityPath]:
    from . import strategies as oas

    return oas.organizations().flatmap(oas.entity_paths)


def _documents() -> st.SearchStrategy[PolicyDocument]:
    from . import strategies as oas

    return oas.scp_documents()


def _access_event() -> st.SearchStrategy[AccessEvent]:
    from . import strategies as oas

    start, end = _EVENT_WINDOW
    return (
        oas.organizations(max_ous=2, max_accounts=3, max_custom_scps=0)
        .flatmap(lambda org: oas.access_events(org, start=start, end=end, min_size=1, max_size=1))
        .map(lambda events: events[0])
    )


def _ids(kind: str) -> Callable[[], st.SearchStrategy[Any]]:
    def make() -> st.SearchStrategy[Any]:
        from . import strategies as oas

        maker: Callable[[], st.SearchStrategy[Any]] = getattr(oas, f"{kind}_ids")
        return maker()

    return make


def _hypothesis_setup_hook() -> None:
    """Register a strategy for each orgaccess type a test may ask ``st.from_type`` for."""
    # Imported here, not at the top: when this module is imported first (pytest's
    # doctest collector walks orgaccess/), importing Hypothesis at module level
    # would run this hook on a partly initialised module.
    import hypothesis.strategies as st

    registrations: list[tuple[type[Any], Callable[[], st.SearchStrategy[Any]]]] = [
        (Organization, _organizations),
        (EntityPath, _entity_paths),
        (PolicyDocument, _documents),
        (AccessEvent, _access_event),
        (OrganizationId, _ids("organization")),
        (RootId, _ids("root")),
        (OuId, _ids("ou")),
        (AccountId, _ids("account")),
        (PolicyId, _ids("policy")),
    ]
    for cls, make in registrations:
        st.register_type_strategy(cls, st.deferred(make))

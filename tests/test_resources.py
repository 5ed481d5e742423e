"""Resource-level precision, end to end (the resource-precision issue).

The ARN decision procedure has its own tests (test_arnmatch.py); the
evaluator's observed AWS cases are in test_evaluation.py. This module holds
the two properties the issue names, checked on the evaluator over generated
organizations, and the partition option through the report engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st
from test_evaluation import (
    MGMT,
    ORG,
    PROPERTY_SETTINGS,
    RESOURCE_PATTERNS,
    ROOT,
    OrgSpec,
    build_org,
    org_specs,
)

from orgaccess.engine.evaluation import Evaluator
from orgaccess.engine.report import ReportOptions, build_report
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.events import ActivityIndex
from orgaccess.model.organization import OrganizationBuilder


def allowed(spec: OrgSpec, catalog: ServiceCatalog) -> dict[str, frozenset[str]]:
    ev = Evaluator(build_org(spec), catalog, resources="precise")
    return {e: ev.allowed_namespaces(e) for e in spec.entities}


def with_statement_changed(
    spec: OrgSpec, index: int, position: int, new: Mapping[str, Any]
) -> OrgSpec:
    pid, statements = spec.policies[index]
    changed = (*statements[:position], new, *statements[position + 1 :])
    policies = (*spec.policies[:index], (pid, changed), *spec.policies[index + 1 :])
    return attrs.evolve(spec, policies=policies)


@PROPERTY_SETTINGS
@given(spec=org_specs(), data=st.data())
def test_property_adding_resource_patterns_to_an_allow_never_removes_a_service(
    small_catalog: ServiceCatalog, spec: OrgSpec, data: st.DataObject
) -> None:
    """More Resource patterns on an Allow admit more ARNs, so no service can disappear."""
    candidates = [
        (i, j)
        for i, (_, statements) in enumerate(spec.policies)
        for j, s in enumerate(statements)
        if s["Effect"] == "Allow" and "Resource" in s
    ]
    if not candidates:
        return
    index, position = data.draw(st.sampled_from(candidates), label="allow statement")
    old = spec.policies[index][1][position]
    extra = data.draw(
        st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2), label="extra"
    )
    new = {**old, "Resource": [*old["Resource"], *extra]}
    before = allowed(spec, small_catalog)
    after = allowed(with_statement_changed(spec, index, position, new), small_catalog)
    for entity, services in before.items():
        lost = services - after[entity]
        assert not lost, f"{entity} lost {sorted(lost)} when {extra} was added to {old}"


@PROPERTY_SETTINGS
@given(spec=org_specs(), data=st.data())
def test_property_an_unconditional_deny_on_every_resource_removes_the_service(
    small_catalog: ServiceCatalog, spec: OrgSpec, data: st.DataObject
) -> None:
    """A Deny of ``ns:*`` on ``*`` attached anywhere on a path removes ``ns`` below it."""
    namespace = data.draw(st.sampled_from(sorted(small_catalog.namespaces)), label="namespace")
    candidates = [e for e, attached in spec.scps if len(attached) < 5]
    target = data.draw(st.sampled_from(candidates), label="attached at")
    deny = {"Effect": "Deny", "Action": f"{namespace}:*", "Resource": "*"}
    denied = attrs.evolve(
        spec,
        policies=(*spec.policies, ("p-denyall0", (deny,))),
        scps=tuple((e, (*p, "p-denyall0") if e == target else p) for e, p in spec.scps),
    )
    org = build_org(denied)
    ev = Evaluator(org, small_catalog, resources="precise")
    below = {target, *org.descendants(target)}
    for entity in below:
        if entity == MGMT:
            assert namespace in ev.allowed_namespaces(entity)  # not limited by SCPs
        else:
            assert namespace not in ev.allowed_namespaces(entity), entity
    assert namespace not in ev.allowed_by_policy("p-denyall0")


def test_explanation_names_the_resource_patterns_that_decided(
    small_catalog: ServiceCatalog,
) -> None:
    b = OrganizationBuilder(organization_id=ORG, root_id=ROOT, management_account_id=MGMT)
    b.add_policy(
        "p-bucketonly",
        {
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs"},
                {"Effect": "Allow", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:instance/*"},
            ]
        },
    )
    b.add_account(MGMT, parent=ROOT)
    b.add_account("222222222222", parent=ROOT, scps=["p-bucketonly"])
    ev = Evaluator(b.build(), small_catalog, resources="precise")
    s3 = ev.explain("222222222222", "s3")
    assert not s3.listed
    assert ("arn:aws:s3:::logs",) in {ref.resources for ref in s3.deciding}
    assert "arn:aws:s3:::logs" in str(s3)
    ec2 = ev.explain("222222222222", "ec2")
    assert ec2.listed
    assert ec2.witness_arn is not None
    assert ec2.witness_arn.startswith("arn:aws:ec2:")
    assert ":instance/" in ec2.witness_arn
    assert "arn:aws:ec2:*:*:instance/*" in str(ec2)


def test_report_partition_option_decides_whether_an_aws_arn_deny_covers_everything() -> None:
    # Only object actions: ListAllMyBuckets (no resource types, so Resource "*") would
    # escape a Deny on arn:aws:s3:::* in any partition.
    objects = ServiceCatalog.from_mapping(
        {
            "s3": {
                "actions": [{"name": "GetObject", "resource_types": ["object"]}],
                "resource_types": {"object": "arn:${Partition}:s3:::${BucketName}/${ObjectName}"},
            }
        }
    )
    b = OrganizationBuilder(organization_id=ORG, root_id=ROOT, management_account_id=MGMT)
    b.add_policy(
        "p-nos3inaws",
        {"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*"}},
    )
    b.add_account(MGMT, parent=ROOT)
    b.add_account("222222222222", parent=ROOT, scps=["p-FullAWSAccess", "p-nos3inaws"])
    org = b.build()
    path = f"{ORG}/{ROOT}/222222222222"
    created = datetime(2026, 11, 1, tzinfo=UTC)
    commercial = build_report(org, ActivityIndex(), path, created=created, catalog=objects)
    china = build_report(
        org,
        ActivityIndex(),
        path,
        created=created,
        catalog=objects,
        options=ReportOptions(partition="aws-cn"),
    )
    assert commercial.namespaces == ()
    assert china.namespaces == ("s3",)

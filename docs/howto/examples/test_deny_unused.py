"""Property tests of deny_unused.suggest_deny_scp, with orgaccess.strategies."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deny_unused import suggest_deny_scp
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess import ActivityIndex, Evaluator, ReportClient, ServiceCatalog
from orgaccess.formats.activity import read_activity
from orgaccess.model.organization import Policy
from orgaccess.model.policy import parse_policy_document
from orgaccess.strategies import (
    access_events,
    cloudtrail_records,
    entity_paths,
    organizations,
)

NOW = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 90
CATALOG = ServiceCatalog.from_mapping(
    {
        "s3": {"actions": ["GetObject", "PutObject", "ListAllMyBuckets"]},
        "ec2": {"actions": ["DescribeInstances", "RunInstances"]},
        "lambda": {"actions": ["InvokeFunction"]},
        "sqs": {"actions": ["SendMessage"]},
    }
)
# SCPs enabled (else every report FAILS); at most 4 SCPs per entity, so the
# suggestion can be attached as a fifth.
ORGS = organizations(catalog=CATALOG, scps_enabled=True, max_scps_per_target=4)


def client_for(org, index_or_events):
    return ReportClient(org, index_or_events, catalog=CATALOG, clock=lambda: NOW)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_the_suggestion_denies_exactly_the_unused_services(data):
    org = data.draw(ORGS)
    path = data.draw(entity_paths(org, include_management=False))
    events = data.draw(
        access_events(org, start=NOW - timedelta(days=2 * DAYS), end=NOW, catalog=CATALOG)
    )
    evaluator = Evaluator(org, CATALOG)
    before = evaluator.allowed_namespaces(path)

    document = suggest_deny_scp(client_for(org, events), str(path), now=NOW, days=DAYS)

    if document is None:
        return
    # AWS would accept it ...
    policy = Policy(
        id="p-deny_unused",  # '_' never occurs in the generated policy ids
        name="DenyUnused",
        document=parse_policy_document(json.dumps(document)),
    )
    # ... and, attached to the entity, it removes the denied services and nothing else.
    denied = {action.split(":")[0] for action in document["Statement"][0]["Action"]}
    tighter = org.with_policy(policy).with_attachment(policy.id, path.target)
    assert Evaluator(tighter, CATALOG).allowed_namespaces(path) == before - denied


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_never_denies_a_service_seen_recently_in_cloudtrail(data):
    org = data.draw(ORGS)
    path = data.draw(entity_paths(org, include_management=False))
    records = data.draw(
        cloudtrail_records(
            org, start=NOW - timedelta(days=DAYS), end=NOW, catalog=CATALOG, uncounted=True
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp, "trail.json")
        log.write_text(json.dumps({"Records": records}))
        load = read_activity(log, index=ActivityIndex(until=NOW))

    document = suggest_deny_scp(client_for(org, load.index), str(path), now=NOW, days=DAYS)

    denied = set() if document is None else set(document["Statement"][0]["Action"])
    counted = set(org.accounts_in(path.target)) - {org.management_account_id}
    for record in records:
        identity = record["userIdentity"]
        if identity["type"] != "AWSService" and identity.get("accountId") in counted:
            namespace = record["eventSource"].removesuffix(".amazonaws.com")
            assert f"{namespace}:*" not in denied

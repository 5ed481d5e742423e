"""A reference oracle for the access report: semantics.md sections 2 to 6, read literally.

This is deliberately plain and slow. It shares no code with
``orgaccess.engine.evaluation``, ``orgaccess.engine.report`` or ``orgaccess.aws.paging``; it
reads only the data models (the organization's entities, policies,
statements and attachments, :class:`~orgaccess.model.events.AccessEvent`) and looks
services up in the :class:`~orgaccess.model.catalog.ServiceCatalog`. Everything
else is recomputed from scratch for each report: no caching, no bitsets, no
indexes.

* SCPs are evaluated statement by statement and action by action, with a
  wildcard matcher written here (``*`` and ``?``, case-insensitive).
* **Resources use the SIMPLE rule** of semantics section 3: any
  resource-limited Allow (Resource or NotResource) makes its actions possible;
  only an unconditional Deny whose Resource includes ``*`` removes them. Compare
  it with the engine run with ``ReportOptions(resources="simple")``; the
  precise resource rule has its own tests (tests/test_arnmatch.py,
  tests/test_evaluation.py).
* A service the catalog lists without actions is matched at service level:
  its actions are unknown, so a pattern ``prefix:<glob>`` *may* name one of
  them. An Allow (or a NotAction Allow that does not exclude ``prefix:*``)
  makes it possible; a Deny removes it only when it certainly covers every
  action of the service (``*`` or ``prefix:*``-like, i.e. a name made of
  ``*`` only; for NotAction, a Deny none of whose patterns names the prefix).
  This is the "at least one action could be allowed" reading of section 3.
* Activity is aggregated from the raw events (no activity index), with the
  window ``created - tracking_days <= time <= created``, the tie rule
  (smallest ``(EntityPath, Region)`` at the latest time), distinct accounts,
  the ``iam`` region quirk, and AWS's service names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.events import AccessEvent
from orgaccess.model.organization import Organization, Policy
from orgaccess.model.policy import Effect, Statement

__all__ = [
    "AWS_NAMES",
    "OracleFailedError",
    "OracleReport",
    "glob_match",
    "oracle_report",
    "oracle_sort",
]

#: The twelve namespaces where AWS's report name differs from the catalog's (aws-facts.md, 6).
AWS_NAMES = {
    "apigateway": "Manage - Amazon API Gateway",
    "aws-marketplace": "AWS Marketplace",
    "cloudformation": "AWS CloudFormation",
    "consoleapp": "AWS Console Mobile App",
    "elasticloadbalancing": "Elastic Load Balancing",
    "greengrass": "AWS IoT Greengrass",
    "iam": "AWS Identity and Access Management",
    "importexport": "AWS Import Export",
    "kinesisanalytics": "Amazon Kinesis Analytics",
    "lex": "Amazon Lex",
    "ses": "Amazon SES",
    "sms-voice": "Amazon Pinpoint SMS and Voice Service",
}

SCP = "SERVICE_CONTROL_POLICY"


class OracleFailedError(Exception):
    """The report job would FAIL with ``code``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class OracleReport:
    """The rows (AWS dicts, namespace order) and the two counts."""

    rows: list[dict[str, Any]]
    accessible: int
    not_accessed: int
    counted: set[str] = field(default_factory=set)


# --------------------------------------------------------------------------- matching


def glob_match(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` (``*`` any run, ``?`` one character), ignoring case."""
    p = pattern.lower()
    t = text.lower()
    # matches[i][j]: p[:i] matches t[:j]
    matches = [[False] * (len(t) + 1) for _ in range(len(p) + 1)]
    matches[0][0] = True
    for i in range(1, len(p) + 1):
        if p[i - 1] == "*":
            matches[i][0] = matches[i - 1][0]
    for i in range(1, len(p) + 1):
        for j in range(1, len(t) + 1):
            if p[i - 1] == "*":
                matches[i][j] = matches[i - 1][j] or matches[i][j - 1]
            elif p[i - 1] == "?" or p[i - 1] == t[j - 1]:
                matches[i][j] = matches[i - 1][j - 1]
    return matches[len(p)][len(t)]


YES, MAYBE, NO = "yes", "maybe", "no"


def pattern_names(text: str, namespace: str, action: str | None) -> str:
    """Whether the Action pattern ``text`` names ``namespace:action`` (YES / NO).

    ``action`` is ``None`` for a service without known actions: then MAYBE
    unless the pattern certainly covers every action of the service.
    """
    if text == "*":
        return YES
    prefix, _, name = text.partition(":")
    if prefix.lower() != namespace.lower():
        return NO
    if action is None:
        return YES if set(name) == {"*"} else MAYBE
    return YES if glob_match(name, action) else NO


def statement_covers(statement: Statement, namespace: str, action: str | None) -> str:
    """Whether the statement's Action / NotAction covers the action: YES, MAYBE or NO."""
    if statement.actions is not None:
        results = [pattern_names(p.text, namespace, action) for p in statement.actions]
        if YES in results:
            return YES
        return MAYBE if MAYBE in results else NO
    results = [pattern_names(p.text, namespace, action) for p in statement.not_actions or ()]
    if YES in results:
        return NO
    return MAYBE if MAYBE in results else YES


def allows(statement: Statement, namespace: str, action: str | None) -> bool:
    """An Allow statement makes the action possible (any Condition, any Resource)."""
    return statement.effect == Effect.ALLOW and statement_covers(statement, namespace, action) in (
        YES,
        MAYBE,
    )


def removes(statement: Statement, namespace: str, action: str | None) -> bool:
    """A Deny removes the action: no Condition, Resource includes ``*``, certainly covers it."""
    return (
        statement.effect == Effect.DENY
        and not statement.condition
        and statement.resources is not None
        and "*" in statement.resources
        and statement_covers(statement, namespace, action) == YES
    )


def action_possible(levels: Sequence[Sequence[Policy]], namespace: str, action: str | None) -> bool:
    """Allowed at every level (union of Allows at a level) and removed by no Deny anywhere."""
    for level in levels:
        if not any(
            allows(statement, namespace, action)
            for policy in level
            for statement in policy.document.statements
        ):
            return False
    return not any(
        removes(statement, namespace, action)
        for level in levels
        for policy in level
        for statement in policy.document.statements
    )


def service_listed(
    levels: Sequence[Sequence[Policy]], catalog: ServiceCatalog, namespace: str
) -> bool:
    """A service is listed when one of its actions could be allowed."""
    actions: list[str | None] = [a.name for a in catalog.service(namespace).actions]
    if not actions:
        actions = [None]
    return any(action_possible(levels, namespace, action) for action in actions)


# --------------------------------------------------------------------------- the tree


def parent_of(org: Organization, entity_id: str) -> str | None:
    for ou in org.organizational_units:
        if ou.id == entity_id:
            return str(ou.parent_id)
    for account in org.accounts:
        if account.id == entity_id:
            return str(account.parent_id)
    return None


def chain_of(org: Organization, entity_id: str) -> list[str]:
    """The ids from the root down to ``entity_id``."""
    chain = [entity_id]
    while (parent := parent_of(org, chain[0])) is not None:
        chain.insert(0, parent)
    return chain


def path_text(org: Organization, entity_id: str) -> str:
    return "/".join([str(org.id), *chain_of(org, entity_id)])


def resolve(org: Organization, text: str) -> str:
    """The id a path names, checking each element is the parent of the next."""
    parts = text.split("/")
    bad = OracleFailedError("INVALID_ORGANIZATIONS_ENTITY_PATH")
    if len(parts) < 2 or "" in parts or parts[0] != org.id or parts[1] != org.root.id:
        raise bad
    current = parts[1]
    ous = 0
    for index, part in enumerate(parts[2:], start=2):
        is_ou = any(ou.id == part and ou.parent_id == current for ou in org.organizational_units)
        is_account = any(a.id == part and a.parent_id == current for a in org.accounts)
        if is_ou:
            ous += 1
        elif not (is_account and index == len(parts) - 1):
            raise bad
        current = part
    if ous > 5:
        raise bad
    return current


def scps_at(org: Organization, entity_id: str) -> list[Policy]:
    attached = {str(p) for p, target in org.attachments if target == entity_id}
    return [p for p in org.policies if str(p.id) in attached and p.type == SCP]


def all_accounts(org: Organization) -> list[str]:
    return [str(a.id) for a in org.accounts]


# --------------------------------------------------------------------------- the report


def counted_accounts(
    org: Organization, entity_id: str, policy_id: str | None, *, inherited: bool
) -> set[str]:
    """Semantics section 2, the table's right column."""
    management = str(org.management_account_id)
    if entity_id == management:
        return {management}
    in_subtree = [a for a in all_accounts(org) if entity_id in chain_of(org, a)]
    if policy_id is None:
        found = set(in_subtree)
    else:
        targets = {str(t) for p, t in org.attachments if p == policy_id}
        entity_chain = chain_of(org, entity_id)
        if inherited and targets & set(entity_chain):
            found = set(in_subtree)
        else:
            # At or below an attachment inside the subtree (for an account: on itself).
            found = set()
            for account in in_subtree:
                below_entity = chain_of(org, account)[len(entity_chain) - 1 :]
                if targets & set(below_entity):
                    found.add(account)
    found.discard(management)
    return found


def oracle_report(
    org: Organization,
    catalog: ServiceCatalog,
    events: Iterable[AccessEvent],
    path: str,
    *,
    created: datetime,
    policy_id: str | None = None,
    tracking_days: int = 400,
    iam_quirk: bool = True,
    inherited: bool = False,
) -> OracleReport:
    """The report for ``path`` (text) at ``created``; raises :class:`OracleFailedError`."""
    if not org.root.scp_enabled:
        raise OracleFailedError("SERVICE_CONTROL_POLICY_NOT_ENABLED")
    entity_id = resolve(org, path)
    management = entity_id == org.management_account_id
    namespaces = sorted(catalog.namespaces)
    if management:
        listed = namespaces
        policy_id = None
    elif policy_id is not None:
        matching = [p for p in org.policies if p.id == policy_id]
        if not matching or matching[0].type != SCP:
            raise OracleFailedError("INVALID_ORGANIZATIONS_POLICY")
        listed = [ns for ns in namespaces if service_listed([[matching[0]]], catalog, ns)]
    else:
        levels = [scps_at(org, level) for level in chain_of(org, entity_id)]
        listed = [ns for ns in namespaces if service_listed(levels, catalog, ns)]
    counted = counted_accounts(org, entity_id, policy_id, inherited=inherited)

    earliest = created - timedelta(days=tracking_days)
    rows: list[dict[str, Any]] = []
    for namespace in listed:
        service = catalog.service(namespace)
        row: dict[str, Any] = {
            "ServiceName": AWS_NAMES.get(namespace, service.name),
            "ServiceNamespace": namespace,
        }
        attempts = [
            e
            for e in events
            if e.account_id in counted
            and e.service_namespace == namespace
            and earliest <= e.time <= created
        ]
        if attempts:
            latest = max(e.time for e in attempts)
            winner = min(
                (path_text(org, e.account_id), e.region) for e in attempts if e.time == latest
            )
            row["Region"] = winner[1]
            row["EntityPath"] = winner[0]
            row["LastAuthenticatedTime"] = latest
        elif namespace == "iam" and iam_quirk:
            row["Region"] = "us-east-1"
        row["TotalAuthenticatedEntities"] = len({e.account_id for e in attempts})
        rows.append(row)
    return OracleReport(
        rows=rows,
        accessible=len(rows),
        not_accessed=sum(1 for r in rows if "LastAuthenticatedTime" not in r),
        counted=counted,
    )


def oracle_sort(rows: Sequence[dict[str, Any]], sort_key: str) -> list[dict[str, Any]]:
    """Semantics section 6: under the time keys, never-used first, then by time; ties by
    Region (no Region first), then namespace; descending = reverse."""
    if sort_key.startswith("SERVICE_NAMESPACE"):
        ascending = sorted(rows, key=lambda r: r["ServiceNamespace"])
    else:
        never = [r for r in rows if "LastAuthenticatedTime" not in r]
        used = [r for r in rows if "LastAuthenticatedTime" in r]

        def by_region(r: dict[str, Any]) -> tuple[int, str, str]:
            region = r.get("Region")
            return (
                (0, "", r["ServiceNamespace"])
                if region is None
                else (1, region, r["ServiceNamespace"])
            )

        never.sort(key=by_region)
        used.sort(key=lambda r: (r["LastAuthenticatedTime"], *by_region(r)))
        ascending = never + used
    return list(reversed(ascending)) if sort_key.endswith("_DESCENDING") else ascending

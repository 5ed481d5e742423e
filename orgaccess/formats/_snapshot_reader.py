"""How a snapshot is read: every problem found, at its JSON location (private to formats)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import attrs

from ..errors import PolicyDocumentError, Problem
from ..model.ids import AccountId, EntityId, OrganizationId, OuId, PolicyId, RootId, parse_entity_id
from ..model.organization import (
    SCP_TYPE,
    Account,
    Organization,
    OrganizationalUnit,
    Policy,
    Root,
)
from ..model.policy import PolicyDocument, parse_policy_document

#: The bundled example, relative to the ``orgaccess`` package.
EXAMPLE_ORGANIZATION_RESOURCE: Final = "data/example_organization.json"
#: The values AWS gives a root's ``PolicyTypes[].Status``.
POLICY_TYPE_STATUSES: Final = frozenset({"ENABLED", "PENDING_ENABLE", "PENDING_DISABLE"})
#: The largest snapshot file read (64 MiB; an organization of 10,000 accounts is a few MiB).
MAX_SNAPSHOT_BYTES: Final = 64 << 20
#: The only status under which SCPs apply.
SCP_ENABLED_STATUS: Final = "ENABLED"

_TARGET_TYPES: Final = {"root": "ROOT", "ou": "ORGANIZATIONAL_UNIT", "account": "ACCOUNT"}
_SECTIONS: Final = ("Organization", "Roots", "OrganizationalUnits", "Accounts", "Policies")
# Stand-ins used only to run the structural checks when a value is unusable.
_PLACEHOLDER_ORG: Final = OrganizationId("o-0000000000")
_PLACEHOLDER_ROOT: Final = RootId("r-0000")
_PLACEHOLDER_ACCOUNT: Final = AccountId("000000000000")
_PLACEHOLDER_DOCUMENT: Final = PolicyDocument(version=None, statements=(), text="")

_T = TypeVar("_T", bound=str)


# -- reading -------------------------------------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


def _kind_of(entity_id: EntityId) -> str:
    if isinstance(entity_id, RootId):
        return "root"
    if isinstance(entity_id, OuId):
        return "ou"
    return "account"


class _Reader:
    """Reads the raw snapshot, collecting every shape problem with its JSON pointer."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def report(self, where: str, message: str) -> None:
        self.problems.append(Problem(location=where, message=message))

    def mark(self) -> int:
        return len(self.problems)

    def clean_since(self, mark: int) -> bool:
        return len(self.problems) == mark

    def object(self, value: object, where: str, what: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.report(where, f"{what} must be a JSON object, got {_json_type(value)}")
        return None

    def array(
        self, obj: Mapping[str, Any], key: str, where: str, *, required: bool
    ) -> list[Any] | None:
        """The array at ``key``; ``None`` if it is missing (a problem if required) or mistyped."""
        loc = f"{where}/{key}"
        if key not in obj or (not required and obj[key] is None):
            if required:
                self.report(loc, f"missing required key {key!r}")
            return None
        value = obj[key]
        if isinstance(value, list | tuple):
            return list(value)
        self.report(loc, f"{key} must be a JSON array, got {_json_type(value)}")
        return None

    def string(self, obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
        loc = f"{where}/{key}"
        if key not in obj or (not required and obj[key] is None):
            if required:
                self.report(loc, f"missing required key {key!r}")
            return None
        value = obj[key]
        if isinstance(value, str):
            return value
        self.report(loc, f"{key} must be a string, got {_json_type(value)}")
        return None

    def boolean(self, obj: Mapping[str, Any], key: str, where: str, *, default: bool) -> bool:
        value = obj.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.report(f"{where}/{key}", f"{key} must be true or false, got {_json_type(value)}")
        return default

    def ident(
        self, obj: Mapping[str, Any], key: str, where: str, parse: Callable[[str], _T]
    ) -> _T | None:
        text = self.string(obj, key, where, required=True)
        if text is None:
            return None
        try:
            return parse(text)
        except ValueError as exc:
            self.report(f"{where}/{key}", str(exc))
            return None

    def timestamp(self, obj: Mapping[str, Any], key: str, where: str) -> datetime | None:
        value = obj.get(key)
        if value is None:
            return None
        loc = f"{where}/{key}"
        try:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return datetime.fromtimestamp(value, UTC)
            if isinstance(value, str):
                parsed = datetime.fromisoformat(value)
                if parsed.utcoffset() is None:
                    self.report(loc, f"{key} {value!r} has no UTC offset; its instant is unknown")
                    return None
                return parsed.astimezone(UTC)
        except (ValueError, OverflowError, OSError) as exc:
            self.report(loc, f"{key} {value!r} is not a usable time: {exc}")
            return None
        self.report(
            loc,
            f"{key} must be ISO 8601 text or seconds since the epoch, got {_json_type(value)}",
        )
        return None


def _parent_id(text: str) -> RootId | OuId:
    if RootId.is_valid(text):
        return RootId(text)
    if OuId.is_valid(text):
        return OuId(text)
    if AccountId.is_valid(text):
        raise ValueError(f"{text!r} is an account id; a parent is the root or an OU")
    raise ValueError(f"{text!r} is not a root or OU id")


class _SnapshotLoader:
    """One load: shape checks, then the structural checks of :class:`Organization`."""

    def __init__(self) -> None:
        self.r = _Reader()
        #: (kind, id) -> JSON pointer of the entity or policy (first occurrence).
        self.locations: dict[tuple[str, str], str] = {}
        #: "policy->target" -> JSON pointer of the Targets entry.
        self.attachment_locations: dict[str, str] = {}
        #: Locations of stand-in values, whose structural problems would repeat a shape one.
        self.suppressed: set[str] = set()
        self.root_location = "/Roots"
        self.root_id: RootId = _PLACEHOLDER_ROOT
        #: Root ids that mean "the root" (``None``: any root id, the root being unusable).
        self.root_aliases: frozenset[str] | None = None
        #: Kinds ("ou", "account", "policy") whose whole section is unusable.
        self.unusable: set[str] = set()
        #: JSON pointer of an entry (``/Policies/7``) -> what it is (``policy p-abc12345``),
        #: shown next to the location of every problem inside it.
        self.labels: dict[str, str] = {}

    # -- helpers --------------------------------------------------------------
    def _section(
        self, data: Mapping[str, Any], key: str, kind: str, *, required: bool
    ) -> list[Any]:
        """A top-level array; an unusable one marks its kind so problems do not cascade."""
        entries = self.r.array(data, key, "", required=required)
        if entries is None:
            if required or data.get(key) is not None:
                self.unusable.add(kind)
            return []
        return entries

    def _as_root(self, entity_id: EntityId) -> EntityId:
        if isinstance(entity_id, RootId) and (
            self.root_aliases is None or entity_id in self.root_aliases
        ):
            return self.root_id
        return entity_id

    def _parent(self, parent: RootId | OuId | None) -> EntityId:
        """Where to check an entity: its parent, or the root when that cannot be known."""
        if parent is None or (isinstance(parent, OuId) and "ou" in self.unusable):
            return self.root_id
        return self._as_root(parent)

    def _locate(self, kind: str, ident: str) -> str:
        if kind == "attachment":
            return self.attachment_locations.get(ident, "/Policies")
        if kind == "organization":
            return "/Organization/MasterAccountId"
        if kind == "root":
            return self.root_location
        return self.locations.get((kind, ident), f"/{kind} {ident}")

    def _first(self, kind: str, ident: str, where: str, id_location: str) -> bool:
        """Record where an id first occurs; report a later occurrence as a duplicate."""
        first = self.locations.get((kind, ident))
        if first is not None:
            self.r.report(id_location, f"duplicate id {ident} (first at {first})")
            return False
        self.locations[(kind, ident)] = where
        return True

    # -- sections -------------------------------------------------------------
    def load(self, data: Mapping[str, Any]) -> tuple[Organization | None, list[Problem]]:
        r = self.r
        org_fields = self._organization(data)
        root = self._roots(data)
        ous = self._ous(data)
        accounts = self._accounts(data)
        policies, attachments = self._policies(data)
        if "account" in self.unusable:
            self.suppressed.add("/Organization/MasterAccountId")
        if "policy" in self.unusable:
            # Without the policies, "no SCP attached" would be reported for every entity.
            root = attrs.evolve(root, scp_enabled=False)
        fields = {
            **org_fields,
            "root": root,
            "organizational_units": tuple(ous),
            "accounts": tuple(accounts),
            "policies": tuple(policies),
            "attachments": frozenset(attachments),
        }
        org, structural = Organization.checked(locate=self._locate, **fields)
        problems = r.problems + [p for p in structural if p.location not in self.suppressed]
        problems.sort(key=lambda p: _location_key(p.location))
        problems = [self._labelled(p) for p in problems]
        return (org if not problems else None), problems

    def _labelled(self, problem: Problem) -> Problem:
        """``problem`` with the id of the entry it is in next to its location.

        ``/Policies/7/Content`` becomes ``/Policies/7/Content (policy p-abc12345)``,
        so that a snapshot of hundreds of policies names the one to fix.
        """
        match = _ENTRY.match(problem.location)
        label = self.labels.get(match.group(0)) if match is not None else None
        if label is None:
            return problem
        return Problem(location=f"{problem.location} ({label})", message=problem.message)

    def _organization(self, data: Mapping[str, Any]) -> dict[str, Any]:
        r = self.r
        where = "/Organization"
        raw: Mapping[str, Any] | None = None
        if "Organization" not in data:
            r.report(where, "missing required key 'Organization'")
        else:
            raw = r.object(data["Organization"], where, "Organization")
        fields: dict[str, Any] = {
            "id": _PLACEHOLDER_ORG,
            "management_account_id": _PLACEHOLDER_ACCOUNT,
        }
        management: AccountId | None = None
        if raw is not None:
            fields["id"] = r.ident(raw, "Id", where, OrganizationId) or _PLACEHOLDER_ORG
            management = r.ident(raw, "MasterAccountId", where, AccountId)
            feature_set = r.string(raw, "FeatureSet", where, required=False)
            fields["feature_set"] = "ALL" if feature_set is None else feature_set
            fields["arn"] = r.string(raw, "Arn", where, required=False)
            fields["management_account_arn"] = r.string(
                raw, "MasterAccountArn", where, required=False
            )
            fields["management_account_email"] = r.string(
                raw, "MasterAccountEmail", where, required=False
            )
        if management is None:
            # Checking the management account against a stand-in would repeat the problem.
            self.suppressed.add("/Organization/MasterAccountId")
        else:
            fields["management_account_id"] = management
        return fields

    def _roots(self, data: Mapping[str, Any]) -> Root:
        r = self.r
        entries = r.array(data, "Roots", "", required=True)
        if entries is not None and len(entries) != 1:
            r.report("/Roots", f"an organization has exactly one root; found {len(entries)}")
        roots: list[tuple[str, Root]] = []
        for i, entry in enumerate(entries or ()):
            where = f"/Roots/{i}"
            raw = r.object(entry, where, "a root")
            if raw is None:
                continue
            root_id = r.ident(raw, "Id", where, RootId)
            name = r.string(raw, "Name", where, required=True)
            arn = r.string(raw, "Arn", where, required=False)
            status, status_known = self._scp_status(raw, where)
            if root_id is None:
                continue
            self.labels[where] = f"root {root_id}"
            if any(existing.id == root_id for _, existing in roots):
                r.report(f"{where}/Id", f"duplicate id {root_id}")
                continue
            root = Root(
                id=root_id,
                name="Root" if name is None else name,
                arn=arn,
                # An unreadable PolicyTypes leaves the status unknown: check as disabled.
                scp_enabled=status_known and status == SCP_ENABLED_STATUS,
                scp_status=status,
            )
            roots.append((where, root))
        if not roots:
            self.suppressed.add(self.root_location)
            return Root(id=_PLACEHOLDER_ROOT, scp_enabled=False)
        self.root_location, first = roots[0]
        self.root_id = first.id
        # With several roots, parents and targets naming any of them mean "the root".
        self.root_aliases = frozenset(str(other.id) for _, other in roots)
        return first

    def _scp_status(self, raw: Mapping[str, Any], where: str) -> tuple[str | None, bool]:
        r = self.r
        mark = r.mark()
        status: str | None = None
        for k, entry in enumerate(r.array(raw, "PolicyTypes", where, required=True) or ()):
            loc = f"{where}/PolicyTypes/{k}"
            item = r.object(entry, loc, "a PolicyTypes entry")
            if item is None:
                continue
            policy_type = r.string(item, "Type", loc, required=True)
            value = r.string(item, "Status", loc, required=True)
            if value is not None and value not in POLICY_TYPE_STATUSES:
                r.report(
                    f"{loc}/Status",
                    f"Status must be one of {', '.join(sorted(POLICY_TYPE_STATUSES))}, "
                    f"got {value!r}",
                )
            if policy_type != SCP_TYPE:
                continue
            if status is not None:
                r.report(f"{loc}/Type", f"{SCP_TYPE} is listed more than once")
            else:
                status = value
        return status, r.clean_since(mark)

    def _ous(self, data: Mapping[str, Any]) -> list[OrganizationalUnit]:
        r = self.r
        out: list[OrganizationalUnit] = []
        for i, entry in enumerate(self._section(data, "OrganizationalUnits", "ou", required=False)):
            where = f"/OrganizationalUnits/{i}"
            raw = r.object(entry, where, "an organizational unit")
            if raw is None:
                continue
            ou_id = r.ident(raw, "Id", where, OuId)
            name = r.string(raw, "Name", where, required=True)
            parent = r.ident(raw, "ParentId", where, _parent_id)
            arn = r.string(raw, "Arn", where, required=False)
            if ou_id is not None:
                self.labels[where] = f"ou {ou_id}"
            if ou_id is None or not self._first("ou", ou_id, where, f"{where}/Id"):
                continue
            out.append(
                OrganizationalUnit(
                    id=ou_id,
                    parent_id=self._parent(parent),
                    name=name or "",
                    arn=arn,
                )
            )
        return out

    def _accounts(self, data: Mapping[str, Any]) -> list[Account]:
        r = self.r
        out: list[Account] = []
        for i, entry in enumerate(self._section(data, "Accounts", "account", required=True)):
            where = f"/Accounts/{i}"
            raw = r.object(entry, where, "an account")
            if raw is None:
                continue
            account_id = r.ident(raw, "Id", where, AccountId)
            name = r.string(raw, "Name", where, required=True)
            parent = r.ident(raw, "ParentId", where, _parent_id)
            arn = r.string(raw, "Arn", where, required=False)
            email = r.string(raw, "Email", where, required=False)
            status = r.string(raw, "Status", where, required=False)
            state = r.string(raw, "State", where, required=False)
            joined_method = r.string(raw, "JoinedMethod", where, required=False)
            joined = r.timestamp(raw, "JoinedTimestamp", where)
            if account_id is not None:
                self.labels[where] = f"account {account_id}"
            if account_id is None or not self._first("account", account_id, where, f"{where}/Id"):
                continue
            out.append(
                Account(
                    id=account_id,
                    parent_id=self._parent(parent),
                    name=name or "",
                    arn=arn,
                    email=email,
                    status=status,
                    state=state,
                    joined_method=joined_method,
                    joined_timestamp=joined,
                )
            )
        return out

    def _policies(
        self, data: Mapping[str, Any]
    ) -> tuple[list[Policy], set[tuple[PolicyId, EntityId]]]:
        r = self.r
        policies: list[Policy] = []
        attachments: set[tuple[PolicyId, EntityId]] = set()
        for i, entry in enumerate(self._section(data, "Policies", "policy", required=False)):
            where = f"/Policies/{i}"
            raw = r.object(entry, where, "a policy")
            if raw is None:
                continue
            summary_where = f"{where}/PolicySummary"
            summary: Mapping[str, Any] | None = None
            if "PolicySummary" not in raw:
                r.report(summary_where, "missing required key 'PolicySummary'")
            else:
                summary = r.object(raw["PolicySummary"], summary_where, "PolicySummary")
            policy_id: PolicyId | None = None
            name = policy_type = description = arn = None
            aws_managed = False
            if summary is not None:
                policy_id = r.ident(summary, "Id", summary_where, PolicyId)
                name = r.string(summary, "Name", summary_where, required=True)
                policy_type = r.string(summary, "Type", summary_where, required=True)
                if policy_type == "":
                    r.report(f"{summary_where}/Type", "Type must not be empty")
                    policy_type = None
                description = r.string(summary, "Description", summary_where, required=False)
                aws_managed = r.boolean(summary, "AwsManaged", summary_where, default=False)
                arn = r.string(summary, "Arn", summary_where, required=False)
            if policy_id is not None:
                self.labels[where] = f"policy {policy_id}"
            # A policy of unknown type is checked as an SCP (most policies are).
            policy_type = policy_type or SCP_TYPE
            document = self._content(raw, where, policy_type)
            if policy_id is None:
                # Its Targets still count for the structural checks, under a stand-in id.
                policy_id = PolicyId(f"p-orgaccess_placeholder_{i}")
                self.locations[("policy", policy_id)] = where
            elif not self._first("policy", policy_id, where, f"{summary_where}/Id"):
                # A duplicate: its Targets are kept as attachments of the first one.
                attachments |= self._targets(raw, where, policy_id)
                continue
            policies.append(
                Policy(
                    id=policy_id,
                    name=name or "",
                    document=document or _PLACEHOLDER_DOCUMENT,
                    type=policy_type,
                    description=description or "",
                    aws_managed=aws_managed,
                    arn=arn,
                )
            )
            attachments |= self._targets(raw, where, policy_id)
        return policies, attachments

    def _content(
        self, raw: Mapping[str, Any], where: str, policy_type: str
    ) -> PolicyDocument | None:
        r = self.r
        loc = f"{where}/Content"
        if "Content" not in raw:
            r.report(loc, "missing required key 'Content'")
            return None
        content = raw["Content"]
        if not isinstance(content, str | Mapping):
            r.report(loc, f"Content must be policy JSON text, got {_json_type(content)}")
            return None
        try:
            return parse_policy_document(content)
        except PolicyDocumentError as exc:
            if policy_type != SCP_TYPE:
                return self._opaque(content, loc)
            if exc.problems:
                for problem in exc.problems:
                    r.report(loc, f"{problem.location}: {problem.message}")
            else:
                r.report(loc, exc.message)
            return None

    def _opaque(self, content: str | Mapping[str, Any], loc: str) -> PolicyDocument | None:
        if isinstance(content, Mapping):
            return PolicyDocument(
                version=None, statements=(), text=json.dumps(content, separators=(",", ":"))
            )
        try:
            parsed = json.loads(content)
        except ValueError as exc:
            self.r.report(loc, f"not valid JSON: {exc}")
            return None
        if not isinstance(parsed, Mapping):
            self.r.report(loc, f"policy content must be a JSON object, got {_json_type(parsed)}")
            return None
        return PolicyDocument(version=None, statements=(), text=content)

    def _targets(
        self, raw: Mapping[str, Any], where: str, policy_id: PolicyId
    ) -> set[tuple[PolicyId, EntityId]]:
        r = self.r
        found: set[tuple[PolicyId, EntityId]] = set()
        for j, entry in enumerate(r.array(raw, "Targets", where, required=False) or ()):
            loc = f"{where}/Targets/{j}"
            declared: str | None = None
            if isinstance(entry, str):
                text: str | None = entry
            elif isinstance(entry, Mapping):
                text = r.string(entry, "TargetId", loc, required=True)
                declared = r.string(entry, "Type", loc, required=False)
            else:
                r.report(loc, f"a target must be an id or an object, got {_json_type(entry)}")
                continue
            if text is None:
                continue
            try:
                target = parse_entity_id(text)
            except ValueError as exc:
                r.report(loc if isinstance(entry, str) else f"{loc}/TargetId", str(exc))
                continue
            kind = _kind_of(target)
            expected = _TARGET_TYPES[kind]
            if declared is not None and declared != expected:
                r.report(f"{loc}/Type", f"Type {declared!r} does not match {target} ({expected})")
            if kind in self.unusable:
                continue  # its section is unusable (reported); an unknown target would repeat it
            pair = (policy_id, self._as_root(target))
            if pair in found:
                r.report(loc, f"{target} is listed more than once")
                continue
            found.add(pair)
            self.attachment_locations.setdefault(f"{pair[0]}->{pair[1]}", loc)
        return found


#: The entry part of a JSON pointer: ``/Policies/7`` of ``/Policies/7/Content``.
_ENTRY: Final = re.compile(r"/(?:Roots|OrganizationalUnits|Accounts|Policies)/\d+(?=/|$)")


def _location_key(location: str) -> tuple[tuple[int, int, str], ...]:
    parts = location.split("/")[1:] if location.startswith("/") else [location]
    key: list[tuple[int, int, str]] = []
    for n, part in enumerate(parts):
        if part.isdigit():
            key.append((0, int(part), ""))
        elif n == 0 and part in _SECTIONS:
            key.append((1, _SECTIONS.index(part), part))
        else:
            key.append((1, len(_SECTIONS), part))
    return tuple(key)

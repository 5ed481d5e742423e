"""Organization snapshots: the JSON shapes of the AWS Organizations API, read and written.

A snapshot is one JSON object whose parts are what ``aws organizations ...``
returns, so that one can be assembled from the CLI's output:

.. code-block:: json

    {
      "Organization": {"Id": "o-a1b2c3d4e5", "MasterAccountId": "111111111111",
                       "FeatureSet": "ALL"},
      "Roots": [{"Id": "r-f6g7", "Name": "Root",
                 "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}],
      "OrganizationalUnits": [{"Id": "ou-f6g7-aaaaaaaa", "Name": "Prod", "ParentId": "r-f6g7"}],
      "Accounts": [{"Id": "222222222222", "Name": "prod", "ParentId": "ou-f6g7-aaaaaaaa"}],
      "Policies": [{"PolicySummary": {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess",
                                      "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": true},
                    "Content": "{\\"Version\\": ...}",
                    "Targets": [{"TargetId": "r-f6g7"}, "ou-f6g7-aaaaaaaa"]}]
    }

:func:`load_organization` reads a file or an already-parsed mapping and
returns an :class:`~orgaccess.model.organization.Organization`;
:func:`to_snapshot` / :func:`dump_organization` write one back, and
``load_organization(to_snapshot(org)) == org`` for every organization.
:func:`example_organization` loads the bundled example
(``orgaccess/data/example_organization.json``). All the AWS PascalCase names
of the library live in this module.

>>> org = example_organization()
>>> org
<Organization o-exampleorg1: 7 OUs, 11 accounts, 7 policies>
>>> load_organization(to_snapshot(org)) == org
True

The keys read (anything else is ignored, see below; ``null`` counts as absent
for an optional key):

* ``Organization`` (required): ``Id`` and ``MasterAccountId`` (required);
  ``FeatureSet`` (default ``ALL``), ``Arn``, ``MasterAccountArn``,
  ``MasterAccountEmail``.
* ``Roots`` (required, exactly one entry): ``Id``, ``Name`` and
  ``PolicyTypes`` (``[{"Type": ..., "Status": ...}]``) required; ``Arn``.
* ``OrganizationalUnits`` (default ``[]``): ``Id``, ``Name`` and
  ``ParentId`` (the root or an OU) required; ``Arn``.
* ``Accounts`` (required): ``Id``, ``Name`` and ``ParentId`` required;
  ``Arn``, ``Email``, ``Status``, ``State``, ``JoinedMethod``,
  ``JoinedTimestamp``.
* ``Policies`` (default ``[]``): ``PolicySummary`` (``Id``, ``Name`` and
  ``Type`` required; ``AwsManaged`` default ``false``, ``Description``
  default ``""``, ``Arn``) and ``Content`` required; ``Targets`` (default
  ``[]``: attached nowhere), each ``{"TargetId": ...}`` or a plain id string.

Decisions:

* **SCPs are enabled** only when the root's ``PolicyTypes`` has
  ``SERVICE_CONTROL_POLICY`` with ``Status`` ``ENABLED``. ``PENDING_ENABLE``
  and ``PENDING_DISABLE`` are transitions AWS has not finished; they count as
  not enabled (no SCP is then required on each entity, and a report fails
  with ``SERVICE_CONTROL_POLICY_NOT_ENABLED``). The status text is kept in
  ``Root.scp_status`` and written back. A ``Status`` outside
  ENABLED/PENDING_ENABLE/PENDING_DISABLE is a problem.
* **Other policy types** (``TAG_POLICY``, ``BACKUP_POLICY``,
  ``RESOURCE_CONTROL_POLICY``, ...) are loaded as :class:`Policy` objects with
  their type and attachments; only SCPs count for the "at least one, at most
  five SCPs" rules and for reports. (Skipping them would drop data silently;
  reporting them as problems would reject real snapshots.) Their ``Content`` is parsed with the SCP
  grammar when it fits (so a policy built in code round-trips exactly);
  otherwise it must be a JSON object, and it is kept verbatim in an *opaque*
  document: ``Policy.content`` is the text (written back unchanged),
  ``document.statements`` is empty. Because ``PolicyDocument`` compares by
  statements, two opaque documents compare equal whatever their text; nothing
  in orgaccess reads them. Content that is not JSON at all is a problem for
  every type; the 5,120-character limit applies to SCPs only (other types have
  other quotas).
* **Extra keys are ignored**: any key not listed above, at any level,
  including ``Organization.AvailablePolicyTypes`` (deprecated by AWS), the
  ``PolicyTypes`` entries of other policy types, ``Path`` of OUs and
  ``Paths`` of accounts (derived from the tree), and ``Arn`` / ``Name`` of
  ``Targets`` entries. A ``Targets`` entry's ``Type``, when present, must
  agree with its ``TargetId`` (``ROOT``, ``ORGANIZATIONAL_UNIT``, ``ACCOUNT``).
  Nothing else is dropped: every listed key is either modelled or reported.
* **Enumerations are not checked** for ``FeatureSet``, account ``Status``,
  ``State`` and ``JoinedMethod`` or the policy ``Type`` (any string), so that
  values AWS adds later still load; the model keeps them as text.
* **JoinedTimestamp** is ISO 8601 text with a UTC offset (as AWS CLI v2
  prints it; ``Z`` accepted) or a number of seconds since the epoch (as AWS
  CLI v1 prints it); it is normalised to UTC. Text without an offset is a
  problem (its instant is unknown).
* **Content** is JSON text, as AWS returns it; an already-parsed JSON object
  is accepted too (its compact JSON becomes the text).
* **Problems.** Every problem is collected, each with a JSON pointer
  (``/Accounts/3/ParentId``, ``/Policies/0/Content``), and one
  :class:`~orgaccess.errors.SnapshotError` lists them, ordered by location.
  Shape problems (missing or mistyped keys, invalid ids, bad content) are
  found here; structural ones (unknown parent, cycle, depth over five, unknown
  target, an entity without SCP while SCPs are enabled, more than five SCPs,
  management account not among the accounts) come from
  :meth:`Organization.checked <orgaccess.model.organization.Organization.checked>`,
  run even when there are shape problems: an entity whose ``ParentId`` is
  unusable is checked as if it sat under the root, a policy whose summary or
  content is unusable still counts as attached where its ``Targets`` say,
  and checks that depend on a broken value (the root, the management account,
  a whole section that is not an array) are skipped rather than reported
  twice. An entry whose id cannot be read does not exist for the others (a
  child naming it has an unknown parent). Duplicate ids are reported at the
  later occurrence, which is then left out of the structural checks.
* **Files** are UTF-8 JSON. A file that does not exist, cannot be read, is
  not a regular file (a FIFO or a device is refused before it is opened), is
  larger than :data:`MAX_SNAPSHOT_BYTES` or is not JSON (including a number of
  more than 100 characters or nesting deeper than Python's recursion limit)
  raises :class:`~orgaccess.errors.SnapshotError` naming the file
  (``source``), with the file (and line and column) as the location.
* **Writing** (:func:`dump_organization`) replaces the file atomically:
  a failure leaves an existing file intact. :func:`to_snapshot` emits
  exactly the modelled keys: OUs and accounts in tree order (depth first,
  children by id), policies by id,
  targets by id with their ``Type``, optional keys only when set, timestamps
  as ISO 8601.
* The reader is written by hand rather than with a cattrs converter: it must
  keep going after a problem, point at each one, and hand the usable part to
  the structural checks, which a structure-or-fail converter does not do.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

from ..errors import Problem, SnapshotError
from ..model.organization import (
    SCP_TYPE,
    Account,
    Organization,
    OrganizationalUnit,
    Root,
)
from ._files import FileReadError, read_regular_file, write_atomic
from ._jsonstream import loads
from ._snapshot_reader import (
    _TARGET_TYPES,
    EXAMPLE_ORGANIZATION_RESOURCE,
    MAX_SNAPSHOT_BYTES,
    POLICY_TYPE_STATUSES,
    SCP_ENABLED_STATUS,
    _json_type,
    _kind_of,
    _SnapshotLoader,
)

__all__ = [
    "EXAMPLE_ORGANIZATION_RESOURCE",
    "MAX_SNAPSHOT_BYTES",
    "POLICY_TYPE_STATUSES",
    "SCP_ENABLED_STATUS",
    "dump_organization",
    "example_organization",
    "example_snapshot",
    "load_organization",
    "to_snapshot",
]


def _read_file(path: str | os.PathLike[str]) -> object:
    name = os.fspath(path)

    def fail(message: str, location: str = name) -> NoReturn:
        raise SnapshotError([Problem(location=location, message=message)], source=name)

    try:
        data = read_regular_file(name, MAX_SNAPSHOT_BYTES)
    except FileReadError as exc:
        fail(str(exc))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"cannot be read: not UTF-8 text ({exc.reason}) at byte {exc.start}")
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        fail(f"not JSON: {exc.msg}", f"{name}:{exc.lineno}:{exc.colno}")
    except ValueError as exc:  # nested too deeply, a number too long
        fail(f"not usable JSON: {exc}")


def load_organization(source: str | os.PathLike[str] | Mapping[str, Any]) -> Organization:
    """Load an organization snapshot: a JSON file's path, or an already-parsed mapping.

    Raises :class:`~orgaccess.errors.SnapshotError` listing every problem found,
    each with its JSON pointer (and, for a file, naming the file).
    """
    name: str | None
    if isinstance(source, Mapping):
        data: object = source
        name = None
    elif isinstance(source, str) and source.lstrip().startswith("{") and not os.path.exists(source):
        raise SnapshotError(
            [
                Problem(
                    location="",
                    message="expected a snapshot file path or a JSON object, got text that looks "
                    "like JSON: pass json.loads(text) instead",
                )
            ]
        )
    elif isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        data = _read_file(source)
    else:
        raise SnapshotError(
            [
                Problem(
                    location="",
                    message="expected a snapshot file path or a JSON object, "
                    f"got {type(source).__name__}",
                )
            ]
        )
    if not isinstance(data, Mapping):
        raise SnapshotError(
            [
                Problem(
                    location="", message=f"a snapshot must be a JSON object, got {_json_type(data)}"
                )
            ],
            source=name,
        )
    org, problems = _SnapshotLoader().load(data)
    if org is None:
        raise SnapshotError(problems, source=name)
    return org


# -- writing -------------------------------------------------------------------


def _tree_order(org: Organization) -> Iterator[OrganizationalUnit | Account]:
    stack = list(reversed(org.children_of(org.root.id)))
    while stack:
        node = org.entity(stack.pop())
        assert isinstance(node, OrganizationalUnit | Account)
        yield node
        if isinstance(node, OrganizationalUnit):
            stack.extend(reversed(org.children_of(node.id)))


def _optional(out: dict[str, Any], key: str, value: str | None) -> None:
    if value is not None:
        out[key] = value


def _scp_status(root: Root) -> str | None:
    status = root.scp_status
    if status is not None and (status == SCP_ENABLED_STATUS) == root.scp_enabled:
        return status
    return SCP_ENABLED_STATUS if root.scp_enabled else None


def to_snapshot(org: Organization) -> dict[str, Any]:
    """The organization as a snapshot (a new dict of JSON values; AWS shapes).

    ``load_organization(to_snapshot(org)) == org``.
    """
    organization: dict[str, Any] = {"Id": str(org.id)}
    _optional(organization, "Arn", org.arn)
    organization["FeatureSet"] = org.feature_set
    _optional(organization, "MasterAccountArn", org.management_account_arn)
    _optional(organization, "MasterAccountEmail", org.management_account_email)
    organization["MasterAccountId"] = str(org.management_account_id)

    root: dict[str, Any] = {"Id": str(org.root.id)}
    _optional(root, "Arn", org.root.arn)
    root["Name"] = org.root.name
    status = _scp_status(org.root)
    root["PolicyTypes"] = [] if status is None else [{"Type": SCP_TYPE, "Status": status}]

    ous: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    for node in _tree_order(org):
        out: dict[str, Any] = {"Id": str(node.id)}
        _optional(out, "Arn", node.arn)
        if isinstance(node, OrganizationalUnit):
            out["Name"] = node.name
            out["ParentId"] = str(node.parent_id)
            ous.append(out)
            continue
        _optional(out, "Email", node.email)
        out["Name"] = node.name
        _optional(out, "Status", node.status)
        _optional(out, "State", node.state)
        _optional(out, "JoinedMethod", node.joined_method)
        if node.joined_timestamp is not None:
            out["JoinedTimestamp"] = node.joined_timestamp.isoformat()
        out["ParentId"] = str(node.parent_id)
        accounts.append(out)

    policies: list[dict[str, Any]] = []
    for policy in org.policies:
        summary: dict[str, Any] = {"Id": str(policy.id)}
        _optional(summary, "Arn", policy.arn)
        summary["Name"] = policy.name
        summary["Description"] = policy.description
        summary["Type"] = policy.type
        summary["AwsManaged"] = policy.aws_managed
        targets = sorted(org.targets_of(policy.id))
        policies.append(
            {
                "PolicySummary": summary,
                "Content": policy.content,
                "Targets": [
                    {"TargetId": str(t), "Type": _TARGET_TYPES[_kind_of(t)]} for t in targets
                ],
            }
        )
    return {
        "Organization": organization,
        "Roots": [root],
        "OrganizationalUnits": ous,
        "Accounts": accounts,
        "Policies": policies,
    }


def _first_unencodable(value: object, where: str = "") -> str | None:
    """The JSON pointer of the first string in ``value`` that UTF-8 cannot encode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where or "/"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _first_unencodable(key, where) or _first_unencodable(item, f"{where}/{key}")
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _first_unencodable(item, f"{where}/{i}")
            if found is not None:
                return found
    return None


def dump_organization(org: Organization, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the organization's snapshot to ``path`` as indented UTF-8 JSON; return it.

    The file is replaced atomically (a temporary file in the same directory,
    renamed over it): if anything fails, a file already at ``path`` is left
    as it was. Text UTF-8 cannot encode (a lone surrogate in a name) and a
    file that cannot be written raise :class:`~orgaccess.errors.SnapshotError`.
    """
    name = os.fspath(path)
    snapshot = to_snapshot(org)
    text = json.dumps(snapshot, indent=2, ensure_ascii=False) + "\n"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        where = _first_unencodable(snapshot) or ""
        raise SnapshotError(
            [Problem(location=where, message=f"text UTF-8 cannot encode: {exc.reason}")],
            source=name,
        ) from None
    try:
        write_atomic(name, data)
    except OSError as exc:
        raise SnapshotError(
            [Problem(location=name, message=f"cannot be written: {exc.strerror or exc}")],
            source=name,
        ) from None
    return snapshot


# -- the bundled example ---------------------------------------------------------


def example_snapshot() -> dict[str, Any]:
    """The bundled example snapshot as parsed JSON (a new dict each call)."""
    resource = importlib.resources.files("orgaccess").joinpath(EXAMPLE_ORGANIZATION_RESOURCE)
    data = json.loads(resource.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@functools.cache
def example_organization() -> Organization:
    """The bundled example organization ``o-exampleorg1`` (the README's demo runs on it).

    Loaded once and shared (organizations are immutable).
    """
    data = example_snapshot()
    org, problems = _SnapshotLoader().load(data)
    if org is None:  # pragma: no cover - the bundled file is tested
        raise SnapshotError(problems, source=f"orgaccess/{EXAMPLE_ORGANIZATION_RESOURCE}")
    return org

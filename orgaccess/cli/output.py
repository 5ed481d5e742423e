"""Text renderings shared by the commands: ISO times, ages, JSON, aligned tables, CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "REPORT_CSV_FIELDS",
    "align",
    "iso",
    "jsonable",
    "relative_age",
    "report_csv",
    "report_table",
    "to_json",
]

REPORT_CSV_FIELDS = (
    "ServiceNamespace",
    "ServiceName",
    "LastAuthenticatedTime",
    "Region",
    "EntityPath",
    "TotalAuthenticatedEntities",
)


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """``value`` with every datetime as ISO text (dicts, lists and tuples walked)."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """Indented JSON text of ``value`` (times as ISO text)."""
    return json.dumps(jsonable(value), indent=2)


def relative_age(then: datetime, now: datetime) -> str:
    """Human text such as "3 days ago" for the time between ``then`` and ``now``."""
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return "in the future"
    for size, unit in ((86400 * 365, "year"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def align(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as left-aligned columns two spaces apart."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def report_table(details: Sequence[dict[str, Any]], now: datetime) -> str:
    """One line per AccessDetail: namespace, name, last access, age, Region, accounts, path."""
    rows = [("NAMESPACE", "SERVICE", "LAST ACCESSED", "AGE", "REGION", "ACCOUNTS", "BY")]
    for d in details:
        when = d.get("LastAuthenticatedTime")
        rows.append(
            (
                d["ServiceNamespace"],
                d["ServiceName"],
                iso(when) if when else "never used",
                relative_age(when, now) if when else "-",
                d.get("Region", "-") if when else "-",
                str(d["TotalAuthenticatedEntities"]),
                d.get("EntityPath", "-"),
            )
        )
    return align(rows)


def report_csv(details: Sequence[dict[str, Any]]) -> str:
    """A header and one row per AccessDetail (:data:`REPORT_CSV_FIELDS`; empty when absent)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for d in details:
        row = {k: d.get(k, "") for k in REPORT_CSV_FIELDS}
        if isinstance(row["LastAuthenticatedTime"], datetime):
            row["LastAuthenticatedTime"] = iso(row["LastAuthenticatedTime"])
        writer.writerow(row)
    return out.getvalue().rstrip("\n")

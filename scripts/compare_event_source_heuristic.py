"""List every stem where the generated table differs from the 0.1.0 heuristic.

The 0.1.0 reader mapped an eventSource stem to its first dotted label, except for a
short table (``monitoring`` -> ``cloudwatch`` ... and ``signin`` skipped). This script
re-states that heuristic (so it keeps working once the reader uses the table) and
prints one line per stem of ``orgaccess/data/event_sources.json`` (mapped or
unmappable) whose namespace changed::

    python scripts/compare_event_source_heuristic.py
"""

from __future__ import annotations

import json
from pathlib import Path

TABLE = Path(__file__).resolve().parent.parent / "orgaccess" / "data" / "event_sources.json"

#: The exception table of orgaccess 0.1.0 (``orgaccess/cloudtrail.py``).
HEURISTIC_EXCEPTIONS: dict[str, str | None] = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "appstream2": "appstream",
    "models.lex": "lex",
    "runtime.lex": "lex",
    "mturk-requester": "mechanicalturk",
    "streams.dynamodb": "dynamodb",
    "tagging": "tag",
    "signin": None,
}


def heuristic(stem: str) -> str | None:
    label = stem.split(".", 1)[0]
    for key in (stem, label):
        if key in HEURISTIC_EXCEPTIONS:
            return HEURISTIC_EXCEPTIONS[key]
    return label or None


def main() -> None:
    document = json.loads(TABLE.read_text(encoding="utf-8"))
    table = document["event_sources"]
    unmappable = {s: u["service"] for u in document["unmappable"] for s in u["stems"]}
    changed = []
    for stem in sorted(table.keys() | unmappable.keys()):
        new = table.get(stem)
        if heuristic(stem) != new:
            shown = new if stem in table else f"unmappable (botocore {unmappable[stem]})"
            changed.append(f"{stem:40} {heuristic(stem)!s:30} -> {shown}")
    print(f"{len(table)} stems mapped, {len(unmappable)} unmappable; {len(changed)} changed:")
    print("\n".join(changed))


if __name__ == "__main__":
    main()

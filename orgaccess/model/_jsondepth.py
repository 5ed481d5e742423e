"""Private to the model: bounding the nesting depth of JSON before anything recurses on it.

Python's ``json`` parser and encoder recurse once per nested array or object,
so text nested 1,200 arrays deep (well under the 5,120-character SCP quota)
raises ``RecursionError``. These scans are iterative and linear; the policy
parser runs them first and turns a hit into a
:class:`~orgaccess.errors.PolicyDocumentError` naming the location.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

__all__ = ["path_text", "text_depth_error", "value_depth_error"]


def text_depth_error(text: str, limit: int) -> str | None:
    """Where ``text`` first nests arrays/objects deeper than ``limit``, or None.

    A linear scan outside strings (no recursion); the location is the JSON
    path down to that point (keys and array indexes) and the character offset.
    """
    path: list[str | int] = []  # the key or index at each open level
    kinds: list[str] = []
    expect_key = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if expect_key and kinds and kinds[-1] == "{":
                try:
                    path[-1] = str(json.loads(text[i : end + 1]))
                except ValueError:
                    path[-1] = text[i + 1 : end]
                expect_key = False
            i = end + 1
            continue
        if ch in "[{":
            if len(kinds) >= limit:
                return f"{path_text(path)} (character {i})"
            kinds.append(ch)
            path.append(0 if ch == "[" else "")
            expect_key = ch == "{"
        elif ch in "]}" and kinds:
            kinds.pop()
            path.pop()
        elif ch == "," and kinds:
            if kinds[-1] == "[":
                index = path[-1]
                path[-1] = index + 1 if isinstance(index, int) else 0
            else:
                expect_key = True
        i += 1
    return None


def value_depth_error(value: object, limit: int) -> str | None:
    """Where a parsed value nests deeper than ``limit`` (or refers to itself), or None.

    Iterative, so a hostile mapping cannot exhaust the interpreter's stack.
    """
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, Mapping):
            children: list[tuple[object, tuple[str | int, ...]]] = [
                (v, (*path, str(k))) for k, v in item.items()
            ]
        elif isinstance(item, list | tuple):
            children = [(v, (*path, k)) for k, v in enumerate(item)]
        else:
            continue
        if len(path) >= limit:
            return path_text(list(path))
        stack.extend(children)
    return None


def path_text(path: list[str | int] | tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "the document"

"""Glob matching of action names without backtracking: ``*`` and ``?``, case-insensitive.

A glob is compiled once into *blocks*: the text between ``*`` runs, in which
``?`` stands for one character. A run of ``*`` and ``?`` holding at least one
``*`` means "at least k characters" (k the number of ``?``); the ``?`` are kept
at the start of the next block, so ``*?*?a`` becomes ``*`` + block ``??a``.

Matching a name: the first block must match at the start, the last at the
end, and the blocks in between are found left to right, each at its leftmost
place after the previous one. Leftmost placement is optimal because every
block has a fixed length, so an earlier match never leaves less room for the
blocks after it. Each block is located by ``str.find`` on its longest literal
piece and checked piece by piece, so the work is at most
O(len(glob) x len(name)) and usually linear; a glob whose fixed characters
outnumber the name's is rejected at once.

>>> g = Glob.compile("Get*Object?")
>>> g.matches("getbucketobjects"), g.matches("GetObject")
(True, False)
"""

from __future__ import annotations

import attrs

__all__ = ["Glob"]


@attrs.frozen
class _Block:
    """A fixed-length piece of a glob: literal chunks at offsets, ``?`` in between."""

    length: int
    chunks: tuple[tuple[int, str], ...]  # (offset in the block, literal text), text non-empty
    anchor: int  # index in chunks of the longest chunk (-1: the block is only ``?``)

    @classmethod
    def of(cls, text: str) -> _Block:
        chunks: list[tuple[int, str]] = []
        start = None
        for i, ch in enumerate(text):
            if ch == "?":
                if start is not None:
                    chunks.append((start, text[start:i]))
                    start = None
            elif start is None:
                start = i
        if start is not None:
            chunks.append((start, text[start:]))
        anchor = max(range(len(chunks)), key=lambda k: len(chunks[k][1]), default=-1)
        return cls(len(text), tuple(chunks), anchor)

    def at(self, name: str, pos: int) -> bool:
        """Whether the block matches ``name`` at ``pos`` (the caller checked the length)."""
        return all(name.startswith(text, pos + off) for off, text in self.chunks)

    def find(self, name: str, pos: int, end: int) -> int:
        """The leftmost place >= ``pos`` where the block fits in ``name[:end]``, or -1."""
        last = end - self.length
        if self.anchor < 0:
            return pos if pos <= last else -1
        off, text = self.chunks[self.anchor]
        while pos <= last:
            hit = name.find(text, pos + off, last + off + len(text))
            if hit < 0:
                return -1
            pos = hit - off
            if self.at(name, pos):
                return pos
            pos += 1
        return -1


@attrs.frozen
class Glob:
    """A compiled glob over names: ``*`` any sequence, ``?`` one character, case-insensitive."""

    text: str
    head: _Block  # must match at the start
    middle: tuple[_Block, ...]  # in order, each after the previous, anywhere
    tail: _Block | None  # must match at the end (None: the glob has no ``*``)
    minimum: int  # the fewest characters a matching name has

    @classmethod
    def compile(cls, text: str) -> Glob:
        """Compile ``text`` (any string; ``*`` and ``?`` are the only wildcards)."""
        lowered = text.lower()
        blocks: list[str] = []
        current: list[str] = []
        star = False
        for ch in lowered:
            if ch == "*":
                if not star or current:
                    blocks.append("".join(current))
                    current = []
                    star = True
            else:
                current.append(ch)
        blocks.append("".join(current))
        # A "*" then "?..." keeps its "?" in the next block: "*?*?" is "*" + "??".
        merged: list[str] = [blocks[0]]
        for block in blocks[1:]:
            if merged[-1] and set(merged[-1]) == {"?"} and len(merged) > 1:
                merged[-1] += block
            else:
                merged.append(block)
        parsed = [_Block.of(b) for b in merged]
        minimum = sum(b.length for b in parsed)
        if len(parsed) == 1:
            return cls(text, parsed[0], (), None, minimum)
        return cls(text, parsed[0], tuple(parsed[1:-1]), parsed[-1], minimum)

    def matches(self, name: str) -> bool:
        """Whether the whole of ``name`` matches (case-insensitive)."""
        name = name.lower()
        size = len(name)
        head = self.head
        if self.tail is None:
            return size == head.length and head.at(name, 0)
        if size < self.minimum or not head.at(name, 0):
            return False
        end = size - self.tail.length
        if not self.tail.at(name, end):
            return False
        pos = head.length
        for block in self.middle:
            found = block.find(name, pos, end)
            if found < 0:
                return False
            pos = found + block.length
        return True

"""Private: how an error message shows a value it names."""

from __future__ import annotations

__all__ = ["brief"]


def brief(value: object) -> str:
    """``repr(value)`` cut to 80 characters; words for an int too large to print."""
    if isinstance(value, int) and value.bit_length() > 256:
        return f"<an integer of about {int(value.bit_length() * 0.30103)} digits>"
    return f"{value!r:.80}"

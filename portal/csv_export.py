"""Streaming CSV pieces every export shares: the echo buffer `csv.writer` writes to in a
generator, and the cell guard against spreadsheet formulas."""

from __future__ import annotations

from typing import Any


class Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_safe(value: Any) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text

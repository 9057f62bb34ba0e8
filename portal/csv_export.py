"""The cell guard every CSV export shares (`portal.exports` writes the files)."""

from __future__ import annotations

from typing import Any


def csv_safe(value: Any) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text

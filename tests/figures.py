"""Figures that a suite measures (faults, fuzz, isolation, load) and prints at the end of the run.

    from tests.figures import report
    report("faults", "broker down 30 s: queued 125, delivered 125, duplicates 0, lost 0")

Every line is printed in pytest's terminal summary under "measured figures", so CI's log carries
the numbers whatever the capture mode. A line waits in PENDING until the test's report is made;
it travels in the report (from a pytest-xdist worker too) into FIGURES (tests/plugin.py)."""

from __future__ import annotations

PENDING: list[tuple[str, str]] = []
FIGURES: list[tuple[str, str]] = []


def report(suite: str, line: str) -> None:
    PENDING.append((suite, line))

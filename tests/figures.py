"""Figures that a suite measures (faults, fuzz, isolation, load) and prints at the end of the run.

    from tests.figures import report
    report("faults", "broker down 30 s: queued 125, delivered 125, duplicates 0, lost 0")

Every line is printed in pytest's terminal summary under "measured figures", so CI's log carries
the numbers whatever the capture mode."""

from __future__ import annotations

FIGURES: list[tuple[str, str]] = []


def report(suite: str, line: str) -> None:
    FIGURES.append((suite, line))

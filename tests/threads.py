"""Calls run at once in threads, for the race tests (tests/test_unique_races.py,
tests/test_delegation_races.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def in_threads(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread (its own database connection) and wait for all; each
    one's result, or the exception it raised, in the order given."""
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as exc:  # the test inspects what each one got
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results

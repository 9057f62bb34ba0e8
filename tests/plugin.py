"""The test loop's rules, as a pytest plugin (loaded by tests/conftest.py).

- Suites: every test gets the markers that tests/suites.py decides (`slow`, its suite, and the
  xdist group of the suites that share one worker).
- The fast set stays fast: a test outside the slow suites that starts a subprocess or listens
  on a socket (a server, a browser, a worker) fails, naming the table to add it to.
- Nothing missing is silent: under `make test-all` every skip is a failure; in the fast set the
  skips are summed up in one line at the end of the run.
- Figures (tests/figures.py) travel from pytest-xdist's workers to the end-of-run summary.
- Suite times: the seconds each suite took are printed at the end; under `make test-all` the run
  fails when a suite takes more than BUDGET_FACTOR times its budget in tests/suites.py, times
  the machine's pace (`pace`): a machine on which every suite runs twice as long as on the one
  the budgets were measured on has a pace of 2, and a suite is judged against twice its limit;
  a suite that grew while the others did not still stands out."""

from __future__ import annotations

import hashlib
import os
import socket
import statistics
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import figures
from tests.suites import BUDGET_FACTOR, BUDGETS, GROUPED, suite_of
from tests.tools import test_all

ROOT = Path(__file__).resolve().parent.parent
FIGURE = "portal-figure"


# --- suites ---------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        suite, slow = suite_of(item.nodeid)
        if slow:
            item.add_marker(pytest.mark.slow)
            item.add_marker(getattr(pytest.mark, suite))
        if suite in GROUPED:
            item.add_marker(pytest.mark.xdist_group(suite))


# --- the fast set starts no process and no server ------------------------------------------


@contextmanager
def _no_processes_or_servers(nodeid: str) -> Iterator[None]:
    def refuse(what: str):
        def refused(*args, **kwargs):
            raise RuntimeError(
                f"{nodeid} {what}, but its module is in the fast set: "
                "add it to SLOW in tests/suites.py"
            )

        return refused

    saved = (subprocess.Popen.__init__, socket.socket.listen, os.fork)
    subprocess.Popen.__init__ = refuse("starts a subprocess")  # type: ignore[method-assign]
    socket.socket.listen = refuse("listens on a socket (a server)")  # type: ignore[method-assign]
    os.fork = refuse("forks")
    try:
        yield
    finally:
        subprocess.Popen.__init__, socket.socket.listen, os.fork = saved  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    if item.get_closest_marker("slow"):
        return (yield)
    with _no_processes_or_servers(item.nodeid):
        return (yield)


# --- skips and figures ----------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if figures.PENDING:
        report.user_properties += [(FIGURE, line) for line in figures.PENDING]
        figures.PENDING.clear()
    if report.skipped and test_all() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under `make test-all`, where nothing may be: {reason}"
    return report


def pace(seconds: dict[str, float]) -> float:
    """How much slower than the budgets' machine this run's machine went: the median, over the
    suites with a budget that ran, of their seconds over their budget; never below 1 (a fast
    machine does not tighten the limits). One suite that grew moves the median little."""
    ratios = [seconds[suite] / budget for suite, budget in BUDGETS.items() if seconds.get(suite)]
    return max(1.0, statistics.median(ratios)) if ratios else 1.0


class Summary:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.tests: Counter[str] = Counter()
        self.skips: Counter[str] = Counter()
        self.over: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        suite = suite_of(report.nodeid)[0]
        self.seconds[suite] += report.duration
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.tests[suite] += 1
        if report.skipped and not hasattr(report, "wasxfail"):
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            self.skips[str(reason).removeprefix("Skipped: ")] += 1
        for key, value in report.user_properties:
            if key == FIGURE:
                figures.FIGURES.append(tuple(value))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not test_all() or hasattr(session.config, "workerinput"):
            return
        factor = BUDGET_FACTOR * pace(self.seconds)
        for suite, budget in BUDGETS.items():
            if self.seconds.get(suite, 0.0) > budget * factor:
                self.over.append(suite)
        if self.over and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        write = terminalreporter.write_line
        if figures.FIGURES:
            terminalreporter.section("measured figures")
            for suite, line in figures.FIGURES:
                write(f"{suite}: {line}")
        if self.skips:
            parts = ", ".join(f"{n} x {reason}" for reason, n in self.skips.most_common())
            write(
                f"skipped {sum(self.skips.values())} (run `make test-all` to fail on these): "
                f"{parts}"
            )
        if self.seconds:
            terminalreporter.section("suite times (seconds of setup, call and teardown)")
            machine = pace(self.seconds)
            write(
                f"this machine's pace: {machine:.2f} (the median suite's seconds over its budget, "
                f"at least 1); each limit is {BUDGET_FACTOR} x budget x pace"
            )
            for suite in sorted(self.seconds, key=lambda s: -self.seconds[s]):
                budget = BUDGETS.get(suite)
                verdict = ""
                if budget is not None:
                    limit = budget * BUDGET_FACTOR * machine
                    verdict = f"budget {budget:.0f} s, limit {limit:.0f} s: " + (
                        "OVER" if self.seconds[suite] > limit else "ok"
                    )
                write(
                    f"{suite:<14} {self.tests[suite]:>5} tests {self.seconds[suite]:>8.1f} s  "
                    f"{verdict}"
                )
            if self.over:
                write(
                    f"FAILED: suites over {BUDGET_FACTOR}x their budget x pace: "
                    f"{', '.join(self.over)} "
                    "(tests/suites.py BUDGETS)",
                    red=True,
                )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Summary(), "portal-summary")


# --- test databases: reused where it is safe ------------------------------------------------


def migrations_key() -> str:
    """A digest of every migration file: a reused test database is one built from exactly
    these migrations (`make test` reuses, `make test-all` and CI build afresh)."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    from django.conf import settings

    key = migrations_key()
    for db in settings.DATABASES.values():
        test = db.setdefault("TEST", {})
        name = test.get("NAME") or f"test_{db['NAME']}"
        if name == ":memory:":
            continue
        test["NAME"] = f"{name}_{key}"

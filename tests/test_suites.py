"""The test loop's own rules (tests/suites.py, tests/plugin.py): slow suites are decided by one
table, the fast set cannot start a process or a server, and test databases are keyed by the
migrations."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugin import _no_processes_or_servers, migrations_key, pace
from tests.suites import BUDGETS, GROUPED, SLOW, suite_of


def test_the_table_decides_the_suite_and_whether_it_is_slow():
    assert suite_of("tests/e2e/test_commerce.py::test_x") == ("e2e", True)
    assert suite_of("tests/faults/test_faults.py::test_smtp_down") == ("faults", True)
    assert suite_of("tests/integration/test_bulk_invitations.py::test_x@bulk") == ("bulk", True)
    assert suite_of("tests/commerce/test_services.py::test_x") == ("commerce", False)
    assert suite_of("tests/test_architecture.py::test_x") == ("core", False)


def test_every_slow_suite_is_a_registered_marker_and_every_budget_a_suite(pytestconfig):
    markers = {line.split(":")[0] for line in pytestconfig.getini("markers")}
    suites = {suite for _prefix, suite in SLOW}
    assert suites <= markers
    assert suites >= GROUPED
    # The fast set's suites: its folders of tests (an app's), and "core" for modules directly
    # under tests/. Each has a budget, and each budget names a suite.
    folders = {
        path.name
        for path in Path(__file__).parent.iterdir()
        if path.is_dir() and any(path.glob("test_*.py"))
    }
    fast = {suite for suite, slow in (suite_of(f"tests/{f}/x.py") for f in folders) if not slow}
    assert set(BUDGETS) <= suites | fast | {"core"}
    assert fast <= set(BUDGETS), sorted(fast - set(BUDGETS))


def test_a_slow_machine_widens_every_limit_but_one_grown_suite_still_stands_out():
    on_the_budgets_machine = {suite: budget * 0.8 for suite, budget in BUDGETS.items()}
    assert pace(on_the_budgets_machine) == 1.0  # never tighter than the budgets
    three_times_slower = {suite: budget * 3 for suite, budget in BUDGETS.items()}
    assert pace(three_times_slower) == pytest.approx(3)
    grown = {**three_times_slower, "api": BUDGETS["api"] * 3 * 2}
    assert pace(grown) == pytest.approx(3)  # one suite moves the median little
    assert grown["api"] > BUDGETS["api"] * 1.5 * pace(grown)  # so it is over its limit
    assert pace({}) == 1.0


def _unused():  # pragma: no cover
    return {
        folder
        for folder in (
            "commerce",
            "delegation",
            "enrollment",
            "portal",
            "relationships",
            "verification",
            "i18n",
            "devtools",
            "webhooks",
            "api",
        )
    } | {"core"}


def test_this_fast_test_carries_no_slow_marker(request):
    assert request.node.get_closest_marker("slow") is None


def test_the_fast_set_cannot_start_a_process_or_listen(request):
    with _no_processes_or_servers("tests/x.py::test_y"):
        with pytest.raises(RuntimeError, match=r"add it to SLOW in tests/suites\.py"):
            subprocess.run([sys.executable, "-c", "pass"], check=False)
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            with pytest.raises(RuntimeError, match="listens on a socket"):
                server.listen()


def test_the_test_database_name_changes_with_the_migrations(tmp_path, monkeypatch):
    import tests.plugin as plugin

    (tmp_path / "app" / "migrations").mkdir(parents=True)
    migration = tmp_path / "app" / "migrations" / "0001_initial.py"
    migration.write_text("operations = []\n")
    monkeypatch.setattr(plugin, "ROOT", tmp_path)
    before = migrations_key()
    migration.write_text("operations = ['changed']\n")
    assert migrations_key() != before

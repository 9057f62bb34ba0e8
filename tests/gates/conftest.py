"""The demo site the four gates share: seeded once, crawled once and served once per run.

`demo_site` seeds the demo and walks it (tests/demo_pages.py: every demo user and signed out, in
English and in Italian) once for the package. The Nu HTML checker (test_nu_html.py) checks the
collected HTML, the Italian walk (test_italian_walk.py) the collected Italian HTML; reflow
(test_reflow.py) and axe (test_accessibility.py) open the same pages in Chromium against
`demo_server`, a live server thread serving that demo.

The demo is committed to the test database, not held in a test's transaction, so the server's
threads see it: the gates' tests run against it in autocommit, as a real server does, and carry
no django_db mark (`_on_the_demo` lets them reach the database). After the package's last test
the database is flushed and reloaded with what it held before the demo (the migrations' rows:
reference data, the catalogue, the partner agreements), so the tests that follow on the same
worker start from the migrated database (tests/test_gates_cleanup.py checks it).

pytest-django runs the tests without a django_db mark (the gates among them) after all others,
in the order collected."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import modify_settings, override_settings
from playwright.sync_api import expect

from devtools.demo.portal import DEMO_ORGS, PASSWORD
from portal.models import User
from tests.browser import CHROMIUM, INSTALL_CHROMIUM, sign_in
from tests.demo_pages import LANGUAGES, TAILSPIN, DemoPage, collect, start_pages


@dataclass
class DemoSite:
    """The seeded demo and every page of it, as each demo user (and signed out) opens it."""

    starts: dict[str | None, list[str]]
    # language → every (page, HTML) the walk found, in the order it found them.
    pages: dict[str, list[tuple[DemoPage, str]]]
    # The key of the pending Contoso → Tailspin invitation start_pages() creates.
    invitation_key: str
    # Every user's own language (pk → code), as the demo seeds it.
    languages: dict[int, str] = field(default_factory=dict)

    def paths(self, user: str | None, language: str = "en") -> list[str]:
        return [page.path for page, _html in self.pages[language] if page.user == user]

    def html(self, user: str | None, path: str, language: str) -> str | None:
        return next(
            (html for page, html in self.pages[language] if (page.user, page.path) == (user, path)),
            None,
        )

    def browser_pages(self) -> dict[str | None, list[str]]:
        """What reflow and axe open in the browser, by user: every page the walk found (the
        same in both languages); allauth's account pages, the same page for everyone, once."""
        by_user: dict[str | None, list[str]] = {}
        shared: set[str] = set()
        for page, _html in self.pages["en"]:
            if page.path.startswith("/accounts/"):
                if page.path in shared:
                    continue
                shared.add(page.path)
            by_user.setdefault(page.user, []).append(page.path)
        return by_user

    def restore_languages(self) -> None:
        """Give every user back the language the demo seeded (the walk and reflow change them)."""
        by_language: dict[str, list[int]] = {}
        for pk, language in self.languages.items():
            by_language.setdefault(language, []).append(pk)
        for language, pks in by_language.items():
            User.objects.filter(pk__in=pks).exclude(language=language).update(language=language)


# The setup_databases() configuration of a test database created below (at most one per run).
_created: list = []


def ensure_test_database(request, django_db_blocker, keepdb: bool) -> None:
    """Make sure the test database exists. pytest-django creates it only for a run with a test
    that asks for the database through its mark or fixtures, which the gates do not (above):
    when they run without such a test, it is created here once (dropped at the end of the run),
    never leaving them on the development database."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    aliases, _serialized = _get_databases_for_setup(request.session.items)
    if DEFAULT_DB_ALIAS in aliases or _created:
        return
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=0, interactive=False, aliases={DEFAULT_DB_ALIAS}, keepdb=keepdb
        )
    _created.append(config)
    if not keepdb:

        def drop() -> None:
            with django_db_blocker.unblock():
                connections.close_all()
                teardown_databases(config, verbosity=0)

        request.config.add_cleanup(drop)


@pytest.fixture(scope="package")
def demo_site(request, django_db_setup, django_db_blocker, django_db_keepdb) -> Iterator[DemoSite]:
    ensure_test_database(request, django_db_blocker, django_db_keepdb)
    with django_db_blocker.unblock():
        # What the database holds before the demo: the migrations' rows. pytest-django keeps them
        # serialized when a test of the run asks for serialized_rollback (a browser test): such a
        # test leaves the database flushed, so they are loaded now. Else they are read now.
        before = getattr(connection, "_test_serialized_contents", None)
        if before is None:
            before = connection.creation.serialize_db_to_string()
        else:
            _restore(before)
        try:
            site = _seed_and_walk()
        except BaseException:
            _restore(before)
            raise
        finally:
            # Starting Playwright gives this thread new connection objects (tests/browser.py): an
            # open one left behind would keep PostgreSQL from dropping the test database.
            connections.close_all()
    yield site
    with django_db_blocker.unblock():
        _restore(before)
        connections.close_all()


# /outbox/ answers only with DEBUG on, as under `make run`.
@override_settings(DEBUG=True, LANGUAGE_CODE="en")
def _seed_and_walk() -> DemoSite:
    call_command("seed_demo", stdout=StringIO())
    languages = dict(User.objects.values_list("pk", "language"))
    starts = start_pages()
    site = DemoSite(
        starts=starts,
        pages={language: collect(starts, language) for language in LANGUAGES},
        invitation_key=starts[TAILSPIN][-1].split("/")[-2],
        languages=languages,
    )
    site.restore_languages()
    return site


def _restore(contents: str) -> None:
    """Empty the database and load `contents` back (as TransactionTestCase's serialized
    rollback does: no post_migrate signal, so content types keep their primary keys)."""
    call_command(
        "flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=True
    )
    connection.creation.deserialize_db_from_string(contents)
    demo_users = User.objects.filter(email__in=[spec.email for spec in DEMO_ORGS])
    assert not demo_users.exists(), "the demo users outlived the gates"


@pytest.fixture(autouse=True)
def _on_the_demo(demo_site, django_db_blocker) -> Iterator[None]:
    """Each gate reaches the committed demo (no transaction of its own); the languages the test
    changed are put back after it."""
    with override_settings(DEBUG=True), django_db_blocker.unblock():
        yield
        demo_site.restore_languages()


@pytest.fixture(scope="package")
def demo_server(demo_site) -> Iterator[str]:
    """The URL of a live server thread serving the demo (static files included), for the
    package: pytest-django's `live_server` is per test and flushes the database after it."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    host = "127.0.0.1"
    thread = LiveServerThread(host, StaticFilesHandler, connections_override={})
    thread.daemon = True
    with modify_settings(ALLOWED_HOSTS={"append": host}):
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://{host}:{thread.port}"
        finally:
            thread.terminate()


@pytest.fixture
def chromium(request):
    """The run's browser; a gate fails (never skips) when Chromium is missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} ({INSTALL_CHROMIUM})")
    return request.getfixturevalue("browser")


@pytest.fixture
def new_page(chromium, demo_server):
    """A factory of pages on the demo, each in a fresh browser context (no shared cookies);
    `signed_in` signs in with the demo password through the sign-in form first."""
    contexts = []

    def make(signed_in: str | None = None, **options):
        context = chromium.new_context(base_url=demo_server, locale="en-GB", **options)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        if signed_in:
            sign_in(page, signed_in, PASSWORD)
            expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()

"""The web process's collector pauses (portal/wsgi.py): the objects a process loads and warms
are frozen out of the garbage collector's full collections, which otherwise stalled every
thread of the process for 100-200 ms every few seconds under load (issue 21)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import portal.wsgi as wsgi_module

ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_application_freezes_what_it_loaded():
    code = (
        "import gc; import portal.wsgi as w; "
        "print(gc.get_freeze_count(), len(gc.get_objects()), callable(w.application))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    frozen, still_collected = int(out[0]), int(out[1])
    assert out[2] == "True"
    # Django, the apps and their models: tens of thousands of objects no collection walks.
    assert frozen > 50_000 and frozen > 10 * still_collected


def test_the_heap_is_frozen_again_after_the_first_requests(monkeypatch):
    freezes: list[int] = []
    served: list[int] = []

    def app(environ, start_response):
        served.append(1)
        start_response("200 OK", [])
        return [b"page"]

    monkeypatch.setattr(wsgi_module, "freeze_heap", lambda: freezes.append(len(served)))
    application = wsgi_module.FreezeWarmHeap(app)
    bodies = [application({}, lambda *args: None) for _ in range(600)]
    assert bodies == [[b"page"]] * 600  # every request answered as the application answers
    # Before the 50th and the 500th request: the templates and caches of the first ones kept.
    assert freezes == [49, 499]

"""The WSGI application of the web processes (gunicorn: deploy/gunicorn.conf.py).

Garbage collector pauses (issue 21). A web process holds ~150,000 long-lived objects (modules,
models, compiled templates, URL patterns, caches); each full (generation 2) collection walked
every one of them, 100-200 ms with the GIL held, so every thread of the process stalled, every
few seconds under load: most of the load suite's p99 at half the capacity (300 ms where the
median was ~30 ms). `gc.freeze()` moves the objects alive at that moment out of the collector's
reach (they are never garbage: the process keeps them until it exits): once when the
application is loaded, then after the process's first FREEZE_AFTER requests, which compile the
templates and fill the caches the pages use. A full collection then walks only what requests
left behind: measured in process over the load suite's page mix, the 140 requests after the
freezes ran no full collection at all (before: two, 345 ms together). Before each freeze the
young generations are collected, so that none of their garbage is kept for ever."""

from __future__ import annotations

import gc
import itertools
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

# Requests after which the process's objects are frozen again (counted per process).
FREEZE_AFTER = frozenset({50, 500})


def freeze_heap() -> None:
    gc.collect(1)
    gc.freeze()


class FreezeWarmHeap:
    """The Django application, freezing the collector's heap after FREEZE_AFTER requests."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.served = itertools.count(1)  # next() is atomic: the threads share it

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if next(self.served) in FREEZE_AFTER:
            freeze_heap()
        return self.app(environ, start_response)


application = FreezeWarmHeap(get_wsgi_application())
freeze_heap()

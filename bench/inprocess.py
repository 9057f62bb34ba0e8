"""What the in-process bench scripts (page_cpu.py, mix_cpu.py) share: production settings for a
Django test client on loopback, and the timing and profiling of N warm requests."""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode


def use_production_settings() -> None:
    """Production settings served over plain HTTP to the test client (call before
    `django.setup()`); what the environment already says wins."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("DJANGO_SECURE_HSTS_SECONDS", "0")
    os.environ.setdefault("PORTAL_LOCAL_HTTP", "0")


def profiled(request: Callable[[], Any], n: int) -> cProfile.Profile:
    """A cProfile of `n` calls of `request`: wall time, or this process's CPU time (the database's
    own time left out) with BENCH_PROFILE_CPU=1."""
    timer = time.process_time if os.environ.get("BENCH_PROFILE_CPU") == "1" else time.perf_counter
    profiler = cProfile.Profile(timer)
    profiler.enable()
    for _ in range(n):
        request()
    profiler.disable()
    return profiler


def print_profile(request: Callable[[], Any], n: int, sort: str, lines: int) -> None:
    pstats.Stats(profiled(request, n)).sort_stats(sort).print_stats(lines)


def timed(request: Callable[[], Any], n: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (this process) milliseconds of each of `n` calls of `request`."""
    wall, cpu = [], []
    for _ in range(n):
        started, cpu_started = time.perf_counter(), time.process_time()
        request()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return wall, cpu


def post_form(client: Any, path: str, data: dict[str, str] | None) -> Any:
    """A form posted as a browser (and wrk) posts one without files: urlencoded."""
    return client.post(
        path, urlencode(data or {}), content_type="application/x-www-form-urlencoded"
    )

"""Export speed: rows/s of each export's streamed generator and of a background export, and the
process's peak RSS while it writes. Read-only apart from the Export rows and files it makes.

    DATABASE_URL=postgres://.../portal_x DJANGO_SETTINGS_MODULE=portal.settings.production \\
        .venv/bin/python bench/exports.py [kind ...]

Runs on the organization with the most rows for each kind (the scale data's biggest provider)."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django

django.setup()

import psutil  # type: ignore[import-untyped]  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import QueryDict  # noqa: E402

from commerce.models import Subscription  # noqa: E402
from portal.export_services import export_run  # noqa: E402
from portal.exports import export_kind, rows_up_to, stream_pieces  # noqa: E402
from portal.models import AuditEvent, Export, Organization  # noqa: E402
from relationships.models import CustomerRelationship  # noqa: E402


def biggest(kind: str) -> Organization:
    qs: Any
    if kind == "customers":
        qs = CustomerRelationship.objects.values("provider_id")
        key = "provider_id"
    elif kind in ("billing", "subscriptions"):
        qs = Subscription.objects.values("provider_id")
        key = "provider_id"
    else:
        qs = AuditEvent.objects.values("organization_id")
        key = "organization_id"
    top: Any = qs.annotate(n=Count("pk")).order_by("-n").first()
    assert top is not None
    return Organization.objects.get(pk=top[key])


class PeakRss:
    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()


def main(kinds: list[str]) -> None:
    mb = 1024 * 1024
    for name in kinds:
        kind = export_kind(name)
        assert kind is not None, name
        organization = biggest(name)
        source = kind.source(organization, QueryDict())
        started = time.perf_counter()
        found = rows_up_to(source.queryset, settings.PORTAL_EXPORT_STREAM_MAX_ROWS + 1)
        print(
            f"{name:<14} decision: LIMIT {settings.PORTAL_EXPORT_STREAM_MAX_ROWS + 1:,} count "
            f"found {found:,} rows in {(time.perf_counter() - started) * 1000:.0f} ms "
            f"({'offer page' if found > settings.PORTAL_EXPORT_STREAM_MAX_ROWS else 'streams'})"
        )
        start_rss = psutil.Process().memory_info().rss
        with PeakRss() as rss:
            started = time.perf_counter()
            size = 0
            lines = 0
            for piece in stream_pieces(source):  # what the request would stream
                data = piece if isinstance(piece, bytes) else piece.encode()
                size += len(data)
                lines += data.count(b"\n")
            streamed = time.perf_counter() - started
        rows = lines - 1
        print(
            f"{name:<14} streamed: {rows:>8,} rows, {size / mb:6.1f} MB in {streamed:6.2f} s = "
            f"{rows / streamed:>9,.0f} rows/s; 200k rows ~{200_000 / rows * streamed:5.1f} s, "
            f"600k ~{600_000 / rows * streamed:5.1f} s; RSS {start_rss / mb:.0f} -> "
            f"peak {rss.peak / mb:.0f} MB"
        )
        export = Export.objects.create(
            organization=organization, kind=name, params={}, language="en"
        )
        start_rss = psutil.Process().memory_info().rss
        with PeakRss() as rss:
            started = time.perf_counter()
            done = export_run(export_id=export.pk)
            elapsed = time.perf_counter() - started
        assert done is not None and done.status == Export.Status.DONE, done and done.failure
        print(
            f"{name:<14} background: {done.rows_done:>8,} rows, {done.file_size / mb:6.1f} MB in "
            f"{elapsed:6.2f} s = {done.rows_done / elapsed:>9,.0f} rows/s; RSS "
            f"{start_rss / mb:.0f} -> peak {rss.peak / mb:.0f} MB"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["customers", "billing", "subscriptions", "audit_log"])

"""Benchmark: how long the worker takes to send a bulk invitation file on `make run`'s settings.

    .venv/bin/python bench/bulk_send.py [--rows 5000]

Migrates and seeds a SQLite file of its own in a temporary folder (portal.settings.local,
`seed_demo`), stores a provider's file of `--rows` reseller invitations as a confirmed batch,
and times `bulk_batch_send` in this process (what the Celery task runs), printing wall and CPU
seconds in total and per row. The emails are written to the outbox, not sent (the drain is
another task). Nothing else writes meanwhile: tests/embedded measures sign-ins during a send."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROVIDER = "admin@contoso-distribution.example"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    rows = parser.parse_args().rows
    folder = Path(tempfile.mkdtemp(prefix="bulk-send-"))
    try:
        measure(folder, rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(folder: Path, rows: int) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.local",
            "DATABASE_URL": f"sqlite:///{folder / 'portal.sqlite3'}",
            "CELERY_BROKER_URL": "filesystem://",
            "CELERY_FILESYSTEM_BROKER_DIR": str(folder / "broker"),
            # How fast the worker can send, not the hourly limit (30 by default) it keeps.
            "PORTAL_RATE_LIMIT_RESELLER_INVITATIONS": "1000000/h",
        }
    )
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, check=True, capture_output=True
        )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from portal.models import Membership
    from relationships.models import BulkInvitationBatch
    from relationships.services.bulk import bulk_batch_create, bulk_batch_send

    membership = Membership.objects.select_related("organization", "user").get(user__email=PROVIDER)
    lines = ["email,partner_id"]
    lines += [f"admin{i}@reseller{i}.bench.example,{3_000_000 + i}" for i in range(rows)]
    batch, _created = bulk_batch_create(
        membership=membership, filename="bench.csv", data="\r\n".join(lines).encode()
    )
    BulkInvitationBatch.objects.filter(pk=batch.pk).update(status=BulkInvitationBatch.Status.QUEUED)
    wall, cpu = time.monotonic(), time.process_time()
    bulk_batch_send(batch_id=batch.pk)
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    batch.refresh_from_db()
    load = os.getloadavg()[0]
    print(
        f"bulk send, {rows} rows on SQLite (make run's settings): {wall:.1f} s wall "
        f"({wall / rows * 1000:.1f} ms/row), {cpu:.1f} s CPU ({cpu / rows * 1000:.1f} ms/row); "
        f"sent {batch.sent}, status {batch.status}; load average {load:.1f}"
    )


if __name__ == "__main__":
    main()

"""Write fault-test emails the way the portal writes them: rows committed in transactions, one
drain queued after each commit (a broker failure is only logged). Run as a module to write into
another database: `python -m tests.faults.writer COUNT PREFIX` prints the ids as JSON."""

from __future__ import annotations

import json
import sys


def write(count: int, *, prefix: str, per_transaction: int = 25) -> list[int]:
    from django.db import transaction

    from portal.outbox import outbox_write

    ids: list[int] = []
    for start in range(0, count, per_transaction):
        with transaction.atomic():
            for n in range(start, min(start + per_transaction, count)):
                message = outbox_write(
                    key=f"{prefix}-{n}",
                    to=f"person{n}@northwind.example",
                    template="test_message",
                    context={},
                    language="en",
                    organization=None,
                    subject=f"Fault test {n}",
                    text=f"Hello {n}",
                    html="",
                )
                ids.append(message.pk)
    return ids


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(write(int(sys.argv[1]), prefix=sys.argv[2])))

"""In-process cost of the load suite's page mix (tests/load/test_capacity.py PAGES and USERS), page
by page, under production settings: status, queries, median / min / max wall ms and median CPU
ms over N requests after three warm-up requests, and the Python function calls of one request
(cProfile: a figure that the machine's load does not move). Unlike bench/page_cpu.py it needs
no bench preparation: the database is any `manage.py seed_scale` one (the load suite's is
`--scale 0.05`); its static files collected under production settings.

    DATABASE_URL=postgres://…/portal_x CACHE_URL=redis://127.0.0.1:6379/N \
        .venv/bin/python bench/mix_cpu.py [-n 15] [--only PART] [--profile PART] [--sql]
"""

from __future__ import annotations

import argparse
import pstats
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import inprocess  # noqa: E402 (after the path)

inprocess.use_production_settings()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=15)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--profile", help="print a cProfile of the pages whose label has this")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--sql", action="store_true", help="print each page's queries")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portal.models import User
    from tests.load.test_capacity import PAGES, USERS
    from verification.models import VerificationCase

    case = (
        VerificationCase.objects.filter(status=VerificationCase.Status.IN_REVIEW)
        .order_by("waiting_since", "pk")
        .first()
    )
    clients: dict[str, Client] = {}
    for who, email in USERS.items():
        clients[who] = Client(HTTP_HOST="127.0.0.1")
        clients[who].force_login(User.objects.get(email=email))
    print(
        f"{'page':50} {'st':>3} {'q':>3} {'median':>7} {'min':>7} {'max':>7} {'cpu':>6}"
        f" {'calls':>7}"
    )
    for who, template in PAGES:
        label = f"{who} {template}"
        if args.only and not any(part in label for part in args.only):
            continue
        client, path = clients[who], template.format(case_id=case.pk if case else 0)
        for _ in range(3):
            response = client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        # Read now: the next request's request_started resets the connection's query log.
        queries = captured.captured_queries
        if args.sql:
            for query in queries:
                print(f"    {query['time']:>6} {query['sql'][:200]}")

        def request(client=client, path=path):
            return client.get(path)

        calls = pstats.Stats(inprocess.profiled(request, 1)).total_calls  # type: ignore[attr-defined]
        if args.profile and args.profile in label:
            inprocess.print_profile(request, args.n, args.sort, args.lines)
        wall, cpu = inprocess.timed(request, args.n)
        print(
            f"{label[:50]:50} {response.status_code:>3} {len(queries):>3}"
            f" {statistics.median(wall):7.1f} {min(wall):7.1f} {max(wall):7.1f}"
            f" {statistics.median(cpu):6.1f} {calls:>7}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

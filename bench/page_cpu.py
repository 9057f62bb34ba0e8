"""In-process CPU of every bench page: queries, median wall and CPU (this process, the database
excluded) ms over N warm requests, optionally with a cProfile of one page (--profile) or one
profile file per page (--dump). Runs under production settings like bench/run's django_side.

    DATABASE_URL=postgres://…/portal_flat_bench .venv/bin/python bench/page_cpu.py [-n 20]
        [--only LABEL_PART] [--profile LABEL_PART] [--sort tottime] [--sql] [--exports]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import inprocess  # noqa: E402 (after the path)

inprocess.use_production_settings()
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/9")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--profile")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--dump", help="a directory: one cProfile file per page")
    parser.add_argument("--sql", action="store_true", help="each page's queries: time and SQL")
    parser.add_argument(
        "--exports", action="store_true", help="the streamed exports too (each read to its end)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import django_side
    from bench.main import PAGES, USERS, page_specs, prepare_args
    from portal.models import User

    pages = [p for p in PAGES if args.exports or "export.csv" not in p[2]]
    if args.only:
        pages = [p for p in pages if any(o in p[0] for o in args.only)]
    # The previous month is closed only when an invoice page is selected (minutes at 1.0).
    close_month = "--close-month" in prepare_args(pages, exports=False)
    ids = django_side.prepare(list(USERS.values()), close_month=close_month)
    specs = page_specs(pages, ids)
    users = {u.email: u for u in User.objects.filter(email__in=set(USERS.values()))}
    clients: dict[str, Client] = {}
    print(
        f"{'page':48} {'st':>3} {'q':>3} {'median ms':>10} {'min ms':>8} {'cpu ms':>7}"
        f" {'cpu min':>7}"
    )
    for spec in specs:
        headers = spec.get("headers")
        key = f"{spec['user']} {headers}"
        client = clients.get(key)
        if client is None:
            if headers:  # an API call: its bearer token, no session
                client = clients[key] = Client(HTTP_HOST="127.0.0.1", headers=headers)
            else:
                client = clients[key] = Client(HTTP_HOST="127.0.0.1")
                client.force_login(users[spec["user"]])

        def request(client=client, spec=spec):
            if spec["method"] == "POST":
                return inprocess.post_form(client, spec["path"], spec.get("data"))
            response = client.get(spec["path"])
            if response.streaming:  # the file is the request's work: read it, as bench/run does
                response.streamed_body = b"".join(response.streaming_content)
            return response

        request()
        with CaptureQueriesContext(connection) as captured:
            response = request()
        queries = [
            q
            for q in captured.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))
        ]
        if args.sql:
            for query in queries:
                print(f"  {float(query['time']) * 1000:7.2f} ms  {query['sql'][:600]}")
        if args.profile and args.profile in spec["label"]:
            inprocess.print_profile(request, args.n, args.sort, args.lines)
        if args.dump:
            name = "".join(c if c.isalnum() else "_" for c in spec["label"]).strip("_")
            inprocess.profiled(request, args.n).dump_stats(Path(args.dump) / f"{name}.prof")
        timings, cpu = inprocess.timed(request, args.n)
        print(
            f"{spec['label'][:48]:48} {response.status_code:>3} {len(queries):>3}"
            f" {statistics.median(timings):>10.1f} {min(timings):>8.1f}"
            f" {statistics.median(cpu):>7.1f} {min(cpu):>7.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: query count, time and memory of the main pages at two data sizes.

    .venv/bin/python bench/pages.py [--small 1] [--large 200] [--repeat 5]

Builds a throwaway test database (SQLite by default, DATABASE_URL for PostgreSQL), fills it with
`bench/generate.py`, signs in as each kind of user and requests every page. Prints one row per
page: the query count with the small and the large data set (they must be equal: list pages
run a fixed number of queries), the median response time and the peak Python memory."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
os.environ.setdefault("TEST_SQLITE_NAME", str(ROOT / "var" / "bench.sqlite3"))


def main() -> int:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from bench.generate import PAGES, generate

    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1)
    parser.add_argument("--large", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    setup_test_environment(debug=True)  # DEBUG on: /outbox/ answers only then
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        results: dict[str, dict[str, object]] = {}
        for size in (args.small, args.large):
            users = generate(size)
            for label, (who, path) in PAGES.items():
                client = Client()
                client.force_login(users[who])
                client.get(path)  # warm caches and templates
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(path)
                queries = [
                    q
                    for q in captured.captured_queries
                    if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
                ]
                if response.status_code != 200:
                    print(f"{label}: HTTP {response.status_code} at {path}", file=sys.stderr)
                timings = []
                tracemalloc.start()
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    client.get(path)
                    timings.append((time.perf_counter() - started) * 1000)
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                row = results.setdefault(label, {})
                row[f"q{size}"] = len(queries)
                row[f"ms{size}"] = statistics.median(timings)
                row[f"kb{size}"] = peak / 1024
        header = (
            f"{'page':<34}{'queries@' + str(args.small):>11}{'queries@' + str(args.large):>13}"
            f"{'ms@' + str(args.large):>9}{'peak KiB':>10}"
        )
        print(header)
        print("-" * len(header))
        flat = True
        for label, row in results.items():
            small, large = row[f"q{args.small}"], row[f"q{args.large}"]
            flat &= small == large
            print(
                f"{label:<34}{small:>11}{large:>13}{row[f'ms{args.large}']:>9.1f}"
                f"{row[f'kb{args.large}']:>10.0f}"
            )
        print("\nquery counts independent of data size:", "yes" if flat else "NO")
        return 0 if flat else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    raise SystemExit(main())

"""The per-request tax, in process: queries before the view and the median time of the ceiling
view (/bench/ceiling/) for a signed-in request, on production settings (PostgreSQL, Redis).

    DATABASE_URL=postgres://... CACHE_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python -m bench.request_tax [--requests 200] [--path /dashboard/]

Migrates the database it is given, creates one user with one membership (kept between runs),
signs in with Django's test Client and prints the queries of one warm request and the median
of N requests. The view does no work: whatever it costs is the middleware's."""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-request-tax-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("PORTAL_LOCAL_HTTP", "1")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("PORTAL_BENCH_CEILING", "1")
os.environ.setdefault("PORTAL_REQUIRE_MFA", "0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--path", default="/bench/ceiling/", help="a signed-in page to time")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from portal.models import Membership, Organization, User

    call_command("migrate", verbosity=0)
    user, created = User.objects.get_or_create(email="request-tax@bench.example")
    if created:
        organization = Organization.objects.create(
            kind=Organization.Kind.RESELLER,
            status=Organization.Status.VERIFIED,
            legal_name="Request Tax Bench",
            primary_domain="request-tax.bench.example",
        )
        Membership.objects.create(user=user, organization=organization, global_admin=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = args.path
    for _ in range(5):  # warm: connections, caches
        assert client.get(url).status_code == 200
    # Not CaptureQueriesContext: Django empties its log when a request starts.
    queries: list[str] = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(url)
    times = []
    for _ in range(args.requests):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    print(f"queries on a warm signed-in request: {len(queries)}")
    for query in queries:
        print(f"  {query[:160]}")
    median = statistics.median(times) * 1000
    p90 = statistics.quantiles(times, n=10)[-1] * 1000
    print(f"{url}: median of {args.requests} signed-in requests: {median:.2f} ms, p90 {p90:.2f} ms")


if __name__ == "__main__":
    main()

"""The two ceilings in process: CPU per request of the portal's /bench/ceiling/ (signed in, the
full middleware stack, production settings on PostgreSQL and Redis) and of bench/bare.py's view
(Django's default middleware), each called through its WSGI handler as gunicorn calls it,
interleaved (a batch of one, then a batch of the other), medians of the rounds. CPU time
(`time.process_time`) is what a busy machine disturbs least; wall time is printed beside it
(it adds the Redis round trips' waits).

    DATABASE_URL=postgres://... CACHE_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python -m bench.ceiling_cpu [--rounds 30] [--batch 200] [--profile N]

`--profile N` prints a cProfile of N portal requests instead (cumulative time, top 40).
Creates one user with one membership in the database it is given (kept between runs)."""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PORTAL_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "DJANGO_SECRET_KEY": "bench-ceiling-cpu-0123456789abcdefghijklmnopqrstuvwxyz",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SECURE_HSTS_SECONDS": "0",
    "PORTAL_BENCH_CEILING": "1",
    "PORTAL_REQUIRE_MFA": "0",
    "LOG_LEVEL": "WARNING",
}


def environ(path: str, cookie: str) -> dict[str, Any]:
    """What gunicorn hands the application for wrk's request (Host and, here, the cookie)."""
    env = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookie:
        env["HTTP_COOKIE"] = cookie
    return env


def portal_cookie() -> str:
    """Sign the bench user in (test Client) and return the session cookie."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from portal.models import Membership, Organization, User

    call_command("migrate", verbosity=0)
    user, created = User.objects.get_or_create(email="ceiling-cpu@bench.example")
    if created:
        organization = Organization.objects.create(
            kind=Organization.Kind.RESELLER,
            status=Organization.Status.VERIFIED,
            legal_name="Ceiling CPU Bench",
            primary_domain="ceiling-cpu.bench.example",
        )
        Membership.objects.create(user=user, organization=organization, global_admin=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def time_layers(layers: dict[str, list[float]]) -> None:
    """Wrap every middleware so its own time (its total minus its inner call's) adds up in
    `layers` (name -> [total, inner] seconds)."""
    from django.core.handlers import base
    from django.utils.module_loading import import_string

    clock = time.process_time

    def timed(path: str) -> Any:
        cls = import_string(path)
        if not path.startswith(("portal.", "django.", "allauth.", "whitenoise.", "django_htmx.")):
            return cls
        entry = layers.setdefault(path, [0.0, 0.0])

        class Timed:
            sync_capable, async_capable = True, False

            def __init__(self, get_response: Any) -> None:
                def inner(request: Any) -> Any:
                    start = clock()
                    try:
                        return get_response(request)
                    finally:
                        entry[1] += clock() - start

                self.middleware = cls(inner)
                for hook in ("process_view", "process_exception", "process_template_response"):
                    if hasattr(self.middleware, hook):
                        setattr(self, hook, getattr(self.middleware, hook))

            def __call__(self, request: Any) -> Any:
                start = clock()
                try:
                    return self.middleware(request)
                finally:
                    entry[0] += clock() - start

        return Timed

    base.import_string = timed  # type: ignore[attr-defined]


def worker(kind: str) -> None:
    """One side: read "N" lines from stdin, answer N requests, print CPU and wall seconds."""
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    if kind == "portal":
        cookie, path = portal_cookie(), "/bench/ceiling/"
    else:
        cookie, path = "", "/bench/bare/"
    if os.environ.get("CEILING_DROP"):
        from django.conf import settings

        dropped = os.environ["CEILING_DROP"].split(",")
        settings.MIDDLEWARE = [
            m for m in settings.MIDDLEWARE if m.rsplit(".", 1)[-1] not in dropped
        ]
    layers: dict[str, list[float]] = {}
    if os.environ.get("CEILING_LAYERS"):
        time_layers(layers)
    application = get_wsgi_application()

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        if not status.startswith("200"):
            raise SystemExit(f"{kind}: {status}")
        return lambda data: None

    def one() -> None:
        response = application(environ(path, cookie), start_response)
        for _chunk in response:
            pass
        response.close()

    for _ in range(50):
        one()
    if os.environ.get("CEILING_GC_FREEZE"):
        import gc

        gc.collect()
        gc.freeze()
    if os.environ.get("CEILING_PROFILE"):
        import cProfile
        import pstats

        count = int(os.environ["CEILING_PROFILE"])
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(count):
            one()
        profile.disable()
        profile.dump_stats("/tmp/ceiling.pstats")
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(int(os.environ.get("CEILING_LINES", "45")))
        stats.sort_stats("tottime").print_stats(30)
        return
    if layers:
        for _ in range(int(os.environ["CEILING_LAYERS"])):
            one()
        count = int(os.environ["CEILING_LAYERS"]) + 50
        print(f"own time per request of each middleware (us of CPU, {count} requests):")
        for name, (total, inner) in layers.items():
            print(f"  {(total - inner) / count * 1e6:7.1f}  {name}")
        return
    print("ready", flush=True)
    for line in sys.stdin:
        count = int(line)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            one()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(json.dumps({"cpu": cpu / count, "wall": wall / count}), flush=True)


def spawn(
    kind: str, extra: dict[str, str] | None = None, root: Path = ROOT
) -> subprocess.Popen[str]:
    env = dict(os.environ)
    if kind == "portal":
        for key, value in PORTAL_ENV.items():
            env.setdefault(key, value)
    else:
        env = {k: v for k, v in env.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
        env["DJANGO_SETTINGS_MODULE"] = "bench.bare"
    env.update(extra or {}, PYTHONPATH=str(root))
    return subprocess.Popen(
        [sys.executable, "-m", "bench.ceiling_cpu", "--worker", kind],
        cwd=root,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout (with this script in bench/): its portal measured alongside",
    )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        help="also the portal without these middleware classes (comma-separated class names)",
    )
    parser.add_argument("--layers", type=int, default=0, help="own time of each middleware")
    parser.add_argument("--worker", choices=["portal", "bare"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if args.layers:
        for kind in ("portal", "bare"):
            proc = spawn(kind, {"CEILING_LAYERS": str(args.layers)})
            out, _ = proc.communicate()
            print(kind, out)
        return
    if args.profile:
        proc = spawn("portal", {"CEILING_PROFILE": str(args.profile)})
        out, _ = proc.communicate()
        print(out)
        return
    procs = {kind: spawn(kind) for kind in ("portal", "bare")}
    if args.before:
        procs["before"] = spawn("portal", root=args.before.resolve())
    for variant in args.without:
        procs[f"-{variant}"] = spawn("portal", {"CEILING_DROP": variant})
    for kind, proc in procs.items():
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"{kind} worker did not start")
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in procs}
    for _round in range(args.rounds):
        for kind, proc in procs.items():
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(f"{args.batch}\n")
            proc.stdin.flush()
            runs[kind].append(json.loads(proc.stdout.readline()))
    for proc in procs.values():
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()
    med = {
        kind: {m: statistics.median(r[m] for r in rs) * 1e6 for m in ("cpu", "wall")}
        for kind, rs in runs.items()
    }
    load = os.getloadavg()
    print(
        f"{args.rounds} interleaved rounds of {args.batch} requests, median per request "
        f"(load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}):"
    )
    for kind in procs:
        print(f"  {kind[:30]:30}: CPU {med[kind]['cpu']:7.1f} us, wall {med[kind]['wall']:7.1f} us")
    for kind in procs:
        if kind != "bare":
            print(
                f"  bare/{kind}: CPU {med['bare']['cpu'] / med[kind]['cpu']:.3f}, "
                f"wall {med['bare']['wall'] / med[kind]['wall']:.3f}"
            )


if __name__ == "__main__":
    main()

"""The fault stack: a private redis-server (so a test can stop and start it), a Celery worker
with the production pool (prefork, 2 processes), Celery beat sweeping every few seconds, the test
database shared with both, and an SMTP sink that keeps every message it received in full even
when the client hung up before the "250" (as a real server may): a worker killed at the wrong
moment shows up as a duplicate, counted by Message-ID."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from portal.celery import app as celery_app
from portal.models import OutboxMessage
from tests.faults.writer import write
from tests.integration.conftest import _database_url, _free_port, message_id, use_broker
from tests.load.web import COLLECTSTATIC, GUNICORN, web_env
from tests.tools import need

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()


def _healthy(port: int) -> bool:
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        probe.request("GET", "/healthz")
        return probe.getresponse().status == 200
    except OSError:
        return False
    finally:
        probe.close()


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Poller(threading.Thread):
    """Asks gunicorn for the sign-in page (or each of `paths` in turn) every `interval`
    seconds, each time on a new connection, with a session cookie the server has never issued:
    the session and authentication middleware read it from the database before the view runs.
    Each answer is kept as (phase, status, Retry-After); no answer at all (a connection
    gunicorn dropped or refused) is status 0."""

    def __init__(
        self, port: int, *, paths: tuple[str, ...] = ("/accounts/login/",), interval: float = 0.05
    ) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.paths = paths
        self.interval = interval
        self.phase = "before"
        self.answers: list[tuple[str, int, str | None]] = []
        self.errors: list[str] = []
        self.done = threading.Event()
        self.cookie = f"sessionid={secrets.token_hex(16)}"

    def run(self) -> None:
        turn = 0
        while not self.done.is_set():
            phase = self.phase
            path = self.paths[turn % len(self.paths)]
            turn += 1
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            try:
                conn.request("GET", path, headers={"Cookie": self.cookie})
                response = conn.getresponse()
                response.read()
                self.answers.append((phase, response.status, response.headers["Retry-After"]))
            except OSError as exc:
                self.answers.append((phase, 0, None))
                self.errors.append(f"{phase} {path}: {exc!r}")
            finally:
                conn.close()
            self.done.wait(self.interval)

    def count(self, phase: str | None = None) -> Counter:
        return Counter(s for p, s, _r in list(self.answers) if phase in (None, p))

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=30)


class RedisServer:
    """A redis-server of our own on a free port, saved to disk on shutdown like a packaged one."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.workdir),
                "--save",
                "3600 1",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(lambda: _port_open(self.port), 15):
            pytest.fail("the private redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SHUTDOWN: saves, then exits
            self.process.wait(timeout=30)
        self.process = None


class KeepingSink:
    """An SMTP sink that keeps every message whose data it received in full, replying after
    `delay` seconds (a slow server keeps the worker busy). A client that hangs up before the
    "250" (a killed worker) still leaves its message here, as with a real server; a message the
    server itself was stopped on before answering is not kept (the server crashed)."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.delay = 0.0
        self.stopping = False

    async def handle_DATA(self, server, session, envelope):
        entry = {"to": envelope.rcpt_tos, "id": message_id(envelope.content.decode())}
        if self.delay:
            try:
                await asyncio.sleep(self.delay)
            except asyncio.CancelledError:
                if not self.stopping:  # the client went away: the server has it all
                    self.messages.append(entry)
                raise
        self.messages.append(entry)
        return "250 OK"

    def distinct(self) -> set[str]:
        return {m["id"] for m in self.messages}

    @property
    def duplicates(self) -> int:
        return len(self.messages) - len(self.distinct())


class SMTPServer:
    def __init__(self, handler: KeepingSink) -> None:
        self.handler = handler
        self.port = _free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.handler.stopping = True
            try:
                self.controller.stop()
            finally:
                self.handler.stopping = False
                self.controller = None


class OwnPostgres:
    """A PostgreSQL cluster of our own (initdb in a temp dir, run as the postgres OS user, on a
    free port) holding a copy of the test database's schema: it can be stopped and started
    without touching the machine's shared server."""

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = _free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal"

    @classmethod
    def available(cls) -> bool:
        return (cls.BIN / "initdb").exists() and shutil.which("runuser") is not None

    def _run(self, *args: str | Path, timeout: float = 120) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, args)],
            check=True,
            capture_output=True,
            timeout=timeout,
            cwd=self.dir,
        )

    def create(self, schema_from: dict) -> None:
        self._run(self.BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-N")
        self.start()
        self._run(self.BIN / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "portal")
        source = [
            "-h",
            schema_from.get("HOST") or "127.0.0.1",
            "-p",
            str(schema_from.get("PORT") or 5432),
            "-U",
            schema_from.get("USER") or "postgres",
        ]
        schema = subprocess.run(
            [self.BIN / "pg_dump", *source, "--schema-only", "--no-owner", schema_from["NAME"]],
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout
        subprocess.run(
            [self.BIN / "psql", "-q", "-v", "ON_ERROR_STOP=1", self.url],
            input=schema,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        log = self.dir / "postgres.log"
        self._run(self.BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run(self.BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def rows(self, ids: list[int]) -> list[tuple[int, str, bool]]:
        with psycopg.connect(self.url, connect_timeout=3) as conn:
            return conn.execute(
                "SELECT id, idempotency_key, sent_at IS NOT NULL FROM portal_outboxmessage"
                " WHERE id = ANY(%s)",
                [ids],
            ).fetchall()


class Stack:
    """The processes of one fault scenario. Each is started in its own session so a SIGKILL
    reaches the worker's pool processes too."""

    def __init__(self, tmp: Path, database_url: str) -> None:
        self.tmp = tmp
        self.redis = RedisServer(tmp)
        self.sink = KeepingSink()
        self.smtp = SMTPServer(self.sink)
        self.queue = f"faults-{uuid.uuid4().hex[:10]}"
        self.database_url = database_url
        self.workers: list[subprocess.Popen] = []
        self.beat: subprocess.Popen | None = None
        self.logs: list[Path] = []
        self.extra_env: dict[str, str] = {}
        self.own_postgres: OwnPostgres | None = None
        self.web: subprocess.Popen | None = None
        self.web_port: int | None = None
        self.runprod: subprocess.Popen | None = None
        self.runprod_log = tmp / "runprod.log"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": self.own_postgres.url if self.own_postgres else self.database_url,
            "CELERY_BROKER_URL": self.redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "OUTBOX_RETRY_BASE_SECONDS": "1",
            "OUTBOX_RETRY_MAX_SECONDS": "4",
            "OUTBOX_SWEEP_SECONDS": "5",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def _spawn(self, name: str, args: list[str]) -> tuple[subprocess.Popen, Path]:
        log = self.tmp / f"{name}-{len(self.logs)}.log"
        self.logs.append(log)
        with open(log, "w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", *args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return process, log

    def start_worker(self) -> subprocess.Popen:
        worker, log = self._spawn(
            "worker",
            [
                "worker",
                "--concurrency=2",
                "-Q",
                self.queue,
                "--loglevel=INFO",
                "-n",
                f"{self.queue}-{len(self.workers)}@%h",
            ],
        )
        if not wait_until(lambda: "ready." in log.read_text() or worker.poll() is not None, 90):
            pytest.fail(f"the worker did not start:\n{log.read_text()[-3000:]}")
        if worker.poll() is not None:
            pytest.fail(f"the worker exited:\n{log.read_text()[-3000:]}")
        self.workers.append(worker)
        return worker

    def start_beat(self) -> None:
        schedule = self.tmp / "celerybeat-schedule"
        self.beat, _log = self._spawn("beat", ["beat", "--loglevel=INFO", f"--schedule={schedule}"])

    def start_web(self) -> int:
        """gunicorn (deploy/gunicorn.conf.py) with the production settings over loopback HTTP
        (tests/load/settings.py), on the stack's database and Redis, its static files collected
        into the stack's directory; returns its port once /healthz answers 200."""
        port = _free_port()
        env = web_env(
            self.env,
            port=port,
            redis_url=self.redis.url,
            queue=self.queue,
            workers=2,
            threads=4,
            STATIC_ROOT=str(self.tmp / "staticfiles"),
        )
        self._collect_static(env)
        log = self.tmp / "web.log"
        self.logs.append(log)
        with open(log, "w") as out:
            self.web = subprocess.Popen(
                GUNICORN,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_until(lambda: _healthy(port) or self.web.poll() is not None, 90):
            pytest.fail(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
        if self.web.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        self.web_port = port
        return port

    def _collect_static(self, env: dict[str, str]) -> None:
        collect = self.tmp / "collectstatic.log"
        with open(collect, "w") as out:
            done = subprocess.run(
                COLLECTSTATIC,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=180,
            )
        if done.returncode != 0:
            pytest.fail(f"collectstatic failed:\n{collect.read_text()[-3000:]}")

    def start_runprod(self) -> int:
        """`make prod`'s processes as deploy/prod.sh starts them (`manage.py runprod`: gunicorn,
        a Celery worker, Celery beat, under its supervisor) on the stack's database, Redis and
        SMTP sink, with the settings of `start_web`; returns the port once /healthz answers 200
        and the worker is ready. The supervisor's log (all three processes' output) is
        `self.runprod_log`."""
        port = _free_port()
        env = web_env(
            self.env,
            port=port,
            redis_url=self.redis.url,
            queue=self.queue,
            workers=2,
            threads=4,
            STATIC_ROOT=str(self.tmp / "staticfiles"),
            WORKER_CONCURRENCY="2",
            CELERY_BEAT_SCHEDULE_FILENAME=str(self.tmp / "celerybeat-schedule"),
        )
        self._collect_static(env)
        self.runprod_log = self.tmp / "runprod.log"
        self.logs.append(self.runprod_log)
        runprod = [sys.executable, "manage.py", "runprod", "--host", "127.0.0.1", "--port"]
        with open(self.runprod_log, "w") as out:
            self.runprod = subprocess.Popen(
                [*runprod, str(port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def up() -> bool:
            return _healthy(port) and "ready." in self.runprod_log.read_text()

        if not wait_until(lambda: up() or self.runprod.poll() is not None, 120):
            pytest.fail(f"runprod did not start:\n{self.runprod_log.read_text()[-3000:]}")
        if self.runprod.poll() is not None:
            pytest.fail(f"runprod exited:\n{self.runprod_log.read_text()[-3000:]}")
        self.web_port = port
        return port

    @property
    def web_alive(self) -> bool:
        return self.web is not None and self.web.poll() is None

    def kill_worker(self) -> None:
        worker = self.workers[-1]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=15)

    @property
    def worker_alive(self) -> bool:
        return bool(self.workers) and self.workers[-1].poll() is None

    @property
    def beat_alive(self) -> bool:
        return self.beat is not None and self.beat.poll() is None

    def write(self, count: int, *, prefix: str) -> list[int]:
        """`count` emails written by the portal's code (in this process, or in a child process
        when the stack runs on a database of its own)."""
        if self.own_postgres is None:
            return write(count, prefix=prefix)
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.writer", str(count), prefix],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def rows(self, ids: list[int]) -> list[tuple[int, str, bool]]:
        """(pk, idempotency key, sent?) of the rows."""
        if self.own_postgres is None:
            return [
                (pk, key, sent is not None)
                for pk, key, sent in OutboxMessage.objects.filter(pk__in=ids).values_list(
                    "pk", "idempotency_key", "sent_at"
                )
            ]
        return self.own_postgres.rows(ids)

    def unsent(self, ids: list[int]) -> int:
        try:
            return sum(1 for _pk, _key, sent in self.rows(ids) if not sent)
        except Exception:  # the database is restarting
            return len(ids)

    def stop_all(self) -> None:
        if self.runprod is not None and self.runprod.poll() is None:
            self.runprod.send_signal(signal.SIGTERM)  # its supervisor stops its processes
            try:
                self.runprod.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.runprod.pid, signal.SIGKILL)
                self.runprod.wait(timeout=10)
        for process in [self.web, *self.workers, self.beat]:
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=20)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        self.smtp.stop()
        self.redis.stop()

    def tail(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-2500:]}" for log in self.logs)


@pytest.fixture
def fault_stack(request, transactional_db):
    """A fresh stack per scenario: Redis, SMTP sink, beat and a worker are up when it starts.
    Parametrize indirectly with extra worker environment variables, `own_postgres: True` to run
    it on a PostgreSQL cluster of its own, and `runprod: True` to start neither worker nor beat
    (the test starts `make prod`'s processes with `stack.start_runprod()`)."""
    need("redis-server", REDIS_SERVER is not None, "apt-get install redis-server")
    tmp = Path(tempfile.mkdtemp(prefix="faults-"))
    stack = Stack(tmp, _database_url())
    params = dict(getattr(request, "param", None) or {})
    own_postgres = params.pop("own_postgres", False)
    runprod = params.pop("runprod", False)
    stack.extra_env = params
    saved = {k: celery_app.conf[k] for k in ("task_always_eager", "task_default_queue")}
    saved_env = os.environ.get("CELERY_BROKER_URL")
    if own_postgres:
        need("PostgreSQL 15's initdb", OwnPostgres.available(), "apt-get install postgresql-15")
        if connection.vendor != "postgresql":
            pytest.skip("the database scenario needs PostgreSQL (DATABASE_URL)")
        stack.own_postgres = OwnPostgres()
        stack.own_postgres.create(connection.settings_dict)
    stack.redis.start()
    stack.smtp.start()
    celery_app.conf.update(task_always_eager=False, task_default_queue=stack.queue)
    use_broker(stack.redis.url)
    try:
        if not runprod:
            stack.start_worker()
            stack.start_beat()
        yield stack
    finally:
        stack.stop_all()
        if stack.own_postgres:
            stack.own_postgres.destroy()
        if os.environ.get("FAULTS_LOG_DIR"):  # keep the processes' logs for a post-mortem
            keep = Path(os.environ["FAULTS_LOG_DIR"]) / request.node.name
            keep.mkdir(parents=True, exist_ok=True)
            for log in stack.logs:
                shutil.copy(log, keep / log.name)
        celery_app.conf.update(saved)
        use_broker(saved_env)
        shutil.rmtree(tmp, ignore_errors=True)

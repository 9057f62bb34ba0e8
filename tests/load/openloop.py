"""An open-loop HTTP/1.1 load generator for the load suite's capacity measurement.

Requests are sent at scheduled times (a fixed arrival rate: one every 1/rate seconds) whatever
the server is doing, over a pool of keep-alive connections that grows as needed (up to
`max_connections`): a slow answer never delays the next request, as it would with a fixed set of
users waiting for their answers (closed loop). The latency of a request runs from its scheduled
time to the last byte of its answer, so time spent queueing anywhere (for a connection here, in
the kernel's accept queue, for a gunicorn thread) counts: no coordinated omission.

One asyncio event loop with raw protocol callbacks (no task per request, no HTTP library), so the
generator costs a small part of one core; each step records the CPU time it took
(time.process_time of this process, in which only the event loop runs meanwhile).

A server error is an answer of 5xx, or none at all (the connection dropped or reset mid-answer,
or no answer within `timeout_s`). A request whose reused keep-alive connection was closed by the
server before it answered a byte (gunicorn closes idle connections after its keepalive) is sent
again once on a new connection, as browsers do; it keeps its scheduled time."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import Counter, defaultdict, deque
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    label: str
    raw: bytes


def get(path: str, cookies: dict[str, str] | None = None, label: str = "") -> Request:
    """A GET of `path` on 127.0.0.1 with `cookies` (no Accept-Encoding: answers uncompressed)."""
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: text/html"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    return Request(label or path, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def run_loop[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` in a thread of its own: the xdist worker that runs the load suite may have
    run browser tests before, and Playwright's sync API leaves an event loop running in the
    main thread (asyncio.run refuses to start there)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of sorted values; nan for none."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[rank]


@dataclass
class Step:
    """One fixed-rate run: what was sent, how it was answered, what it cost the generator."""

    rate: float
    seconds: float
    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    by_label: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    label_statuses: Counter = field(default_factory=Counter)  # (label, status)
    errors: list[str] = field(default_factory=list)
    # When each answer came (time.monotonic()), and the step's second half (start, end): a
    # server that keeps up answers as many requests in it as it is sent (shifted by the median
    # latency); one that does not falls behind.
    done_at: list[float] = field(default_factory=list)
    late_half: tuple[float, float] = (0.0, 0.0)
    late_half_sent: int = 0
    retries: int = 0
    max_open: int = 0
    max_lag_ms: float = 0.0  # how late the generator sent a request after its scheduled time
    cpu_s: float = 0.0
    wall_s: float = 0.0

    def p(self, q: float) -> float:
        return percentile(sorted(self.latencies_ms), q)

    @property
    def p50(self) -> float:
        return self.p(0.50)

    @property
    def p99(self) -> float:
        return self.p(0.99)

    @property
    def server_errors(self) -> int:
        return len(self.errors)

    @property
    def late_half_done(self) -> int:
        """Answers in the step's second half, shifted by the median latency (in a steady state
        as many answers leave that window as requests enter it)."""
        shift = self.p50 / 1000 if self.latencies_ms else 0.0
        start, end = self.late_half[0] + shift, self.late_half[1] + shift
        return sum(1 for t in self.done_at if start <= t <= end)

    @property
    def kept_up(self) -> float:
        """Answers per request sent in the step's second half (1.0: the server kept up)."""
        return self.late_half_done / self.late_half_sent if self.late_half_sent else 1.0

    @property
    def not_ok(self) -> int:
        """Answers other than 200 (redirects to the sign-in page, 404s, 5xx, none)."""
        return self.sent - self.statuses[200]

    def sustained(self, p99_ms: float, kept_up: float) -> bool:
        """p99 within `p99_ms`, no server error, and the server answered at least `kept_up` of
        the requests of the second half (less one: a few requests are counted whole)."""
        return (
            self.server_errors == 0
            and self.p99 <= p99_ms
            and self.late_half_done >= kept_up * self.late_half_sent - 1
        )


@dataclass(eq=False)
class _Job:
    request: Request
    scheduled: float
    retried: bool = False
    sent_at: float = 0.0


class _Connection(asyncio.Protocol):
    def __init__(self, pool: OpenLoop) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.job: _Job | None = None
        self.answers = 0
        self.closed = False
        self.buffer = bytearray()
        self._reset_answer()

    def _reset_answer(self) -> None:
        self.buffer.clear()
        self.status: int | None = None
        self.length: int | None = None
        self.chunked = False
        self.close_after = False
        self.received = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, job: _Job) -> None:
        self.job = job
        self._reset_answer()
        job.sent_at = time.monotonic()
        assert self.transport is not None
        self.transport.write(job.request.raw)

    def data_received(self, data: bytes) -> None:
        if self.job is None:
            return  # nothing asked: ignore
        self.received += len(data)
        self.buffer += data
        if self.status is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            del self.buffer[: end + 4]
            self.status = int(lines[0].split(" ", 2)[1])
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == "content-length":
                    self.length = int(value)
                elif name == "transfer-encoding":
                    self.chunked = "chunked" in value
                elif name == "connection":
                    self.close_after = value == "close"
        if (self.chunked and self._chunks_complete()) or (
            self.length is not None and not self.chunked and len(self.buffer) >= self.length
        ):
            self._done()
        # else: the answer ends when the server closes the connection (connection_lost)

    def _chunks_complete(self) -> bool:
        """Consume complete chunks from the buffer; True at the last (empty) chunk."""
        while True:
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                return False
            size = int(bytes(self.buffer[:line_end]).split(b";")[0], 16)
            if size == 0:  # the last chunk, then trailers (none) and an empty line
                return self.buffer.find(b"\r\n\r\n", line_end) >= 0
            if len(self.buffer) < line_end + 2 + size + 2:
                return False
            del self.buffer[: line_end + 2 + size + 2]

    def _done(self) -> None:
        job, status = self.job, self.status
        assert job is not None and status is not None
        self.job = None
        self.answers += 1
        self.pool._answered(job, status)
        if self.close_after:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
        else:
            self.pool._idle(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool._lost(self)
        job, self.job = self.job, None
        if job is None:
            return
        if self.status is not None and not self.chunked and self.length is None:
            self.pool._answered(job, self.status)  # an answer delimited by the close
        elif self.received == 0 and self.answers > 0 and not job.retried:
            job.retried = True  # a keep-alive connection the server had closed: send again
            self.pool._retry(job)
        else:
            self.pool._failed(job, f"dropped after {self.received} bytes: {exc!r}")

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class OpenLoop:
    """The generator: `await run(rate, seconds, requests)` for one fixed-rate step."""

    def __init__(self, port: int, max_connections: int = 256, timeout_s: float = 10.0) -> None:
        self.port = port
        self.max_connections = max_connections
        self.timeout_s = timeout_s
        self.idle: list[_Connection] = []
        self.open: set[_Connection] = set()
        self.opening = 0
        self.waiting: deque[_Job] = deque()
        self.in_flight: dict[_Job, _Connection] = {}
        self.step: Step | None = None

    # --- the pool

    def _submit(self, job: _Job) -> None:
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed:
                self.in_flight[job] = conn
                conn.send(job)
                return
        self.waiting.append(job)
        if len(self.open) + self.opening < self.max_connections:
            self.opening += 1
            asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            _transport, conn = await loop.create_connection(
                lambda: _Connection(self), "127.0.0.1", self.port
            )
        except OSError as exc:
            self.opening -= 1
            if self.waiting:
                self._failed(self.waiting.popleft(), f"connect: {exc!r}")
            return
        self.opening -= 1
        self.open.add(conn)
        if self.step is not None:
            self.step.max_open = max(self.step.max_open, len(self.open))
        if self.waiting:
            self._idle(conn)
        else:
            # Its request went out on a connection freed meanwhile. An unused connection is not
            # kept: gunicorn's gthread worker holds a thread for up to 5 s waiting for the first
            # request of a new connection (a browser's preconnect would do the same to it).
            conn.closed = True
            assert conn.transport is not None
            conn.transport.close()

    def _idle(self, conn: _Connection) -> None:
        if self.waiting:
            job = self.waiting.popleft()
            self.in_flight[job] = conn
            conn.send(job)
        else:
            self.idle.append(conn)

    def _lost(self, conn: _Connection) -> None:
        self.open.discard(conn)
        for job, owner in list(self.in_flight.items()):
            if owner is conn:
                del self.in_flight[job]

    def _retry(self, job: _Job) -> None:
        if self.step is not None:
            self.step.retries += 1
        self._submit(job)

    # --- outcomes

    def _record(self, job: _Job, status: int, note: str = "") -> None:
        self.in_flight.pop(job, None)
        step = self.step
        if step is None:
            return
        now = time.monotonic()
        ms = (now - job.scheduled) * 1000
        step.latencies_ms.append(ms)
        step.by_label[job.request.label].append(ms)
        step.statuses[status] += 1
        step.label_statuses[job.request.label, status] += 1
        if status >= 500:
            step.errors.append(f"{status} {job.request.label} {note}".strip())
        step.done_at.append(now)

    def _answered(self, job: _Job, status: int) -> None:
        self._record(job, status)

    def _failed(self, job: _Job, why: str) -> None:
        self._record(job, 599, why)

    # --- a step

    async def run(self, rate: float, seconds: float, requests: list[Request]) -> Step:
        """Send len(schedule) = rate x seconds requests, one every 1/rate s, cycling through
        `requests`; wait for every answer (or its timeout); the step's figures."""
        loop = asyncio.get_running_loop()
        step = self.step = Step(rate=rate, seconds=seconds, max_open=len(self.open))
        count = max(1, round(rate * seconds))
        cpu, wall = time.process_time(), time.monotonic()
        start = wall + 0.05
        step.late_half = (start + seconds / 2, start + seconds)
        watchdog = loop.create_task(self._watchdog())
        try:
            for i in range(count):
                scheduled = start + i / rate
                delay = scheduled - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                step.max_lag_ms = max(step.max_lag_ms, (time.monotonic() - scheduled) * 1000)
                if scheduled >= step.late_half[0]:
                    step.late_half_sent += 1
                self._submit(_Job(requests[i % len(requests)], scheduled))
                step.sent += 1
            while len(step.latencies_ms) < step.sent:
                await asyncio.sleep(0.01)
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        step.cpu_s = time.process_time() - cpu
        step.wall_s = time.monotonic() - wall
        self.step = None
        return step

    async def _watchdog(self) -> None:
        """Give up on answers older than timeout_s (their connection is aborted)."""
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            for job, conn in list(self.in_flight.items()):
                if now - job.sent_at > self.timeout_s:
                    conn.job = None
                    self._failed(job, f"no answer in {self.timeout_s:.0f} s")
                    conn.abort()
            while self.waiting and now - self.waiting[0].scheduled > self.timeout_s:
                self._failed(self.waiting.popleft(), "no connection in time")

    async def closed_loop(self, connections: int, seconds: float, requests: list[Request]) -> float:
        """Answers per second of `connections` clients each sending its next request as soon as
        the last is answered (a quick estimate of the ceiling, to start the ramp near it)."""
        loop = asyncio.get_running_loop()
        done = 0
        deadline = time.monotonic() + seconds
        conns: list[tuple[asyncio.Transport, _Closed]] = []
        for _ in range(connections):
            conns.append(
                await loop.create_connection(lambda: _Closed(requests), "127.0.0.1", self.port)  # type: ignore[arg-type]
            )
        started = time.monotonic()
        for _transport, client in conns:
            client.next()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        for _transport, client in conns:
            done += client.done
            client.stop = True
        # The last answers, so that the next step does not start behind them.
        drained = time.monotonic() + self.timeout_s
        while any(c.job is not None and not c.closed for _t, c in conns):
            if time.monotonic() > drained:
                break
            await asyncio.sleep(0.01)
        for transport, _client in conns:
            transport.close()
        return done / elapsed

    async def close(self) -> None:
        for conn in list(self.open):
            conn.abort()
        await asyncio.sleep(0)


class _Closed(_Connection):
    """A closed-loop client: the next request as soon as the last is answered."""

    def __init__(self, requests: list[Request]) -> None:
        self.requests = requests
        self.i = 0
        self.done = 0
        self.stop = False
        super().__init__(pool=None)  # type: ignore[arg-type]

    def next(self) -> None:
        if self.stop or self.closed:
            return
        self.i += 1
        self.send(_Job(self.requests[self.i % len(self.requests)], time.monotonic()))

    def _done(self) -> None:
        self.job = None
        self.answers += 1
        self.done += 1
        if self.close_after:
            self.stop = True
        self.next()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True

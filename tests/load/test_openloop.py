"""The capacity measurement's generator (tests/load/openloop.py) against a toy HTTP server: what
it calls a server error and where it starts the clock decide the figures the load suite prints
and asserts, so both are pinned here (no database, about 3 s)."""

from __future__ import annotations

import asyncio

from tests.load.openloop import OpenLoop, get, run_loop


async def _serve(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """/ok: 200; /500: 500; /drop: half an answer, then the connection closes; /slow: no answer
    in time; /chunked: a 200 in chunks."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ")[1]
            if path == b"/500":
                writer.write(b"HTTP/1.1 500 Oops\r\nContent-Length: 3\r\n\r\nbad")
            elif path == b"/drop":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf")
                await writer.drain()
                writer.close()
                return
            elif path == b"/slow":
                await asyncio.sleep(1)
            elif path == b"/chunked":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                writer.write(b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError):
        writer.close()


def test_errors_dropped_answers_and_timeouts_count_as_server_errors():
    async def run():
        server, port = await _serve(_answers)
        async with server:
            gen = OpenLoop(port, timeout_s=0.5)
            paths = ["/ok", "/500", "/drop", "/slow", "/chunked"]
            step = await gen.run(50, 0.4, [get(p) for p in paths])
            await gen.close()
            return step

    step = run_loop(run())
    assert step.sent == 20
    assert step.label_statuses == {
        ("/ok", 200): 4,
        ("/chunked", 200): 4,
        ("/500", 500): 4,
        ("/drop", 599): 4,
        ("/slow", 599): 4,
    }
    assert step.server_errors == 12
    assert not step.sustained(p99_ms=10_000, kept_up=0.0)


def test_latency_runs_from_the_scheduled_time_so_queueing_counts():
    """A server that answers one request at a time in 50 ms, sent 40 a second for 0.5 s over
    one connection: each answer takes 50 ms once it is sent, but requests queue (20 a second
    served, 40 due), here in the generator, so the last ones wait about half a second. A client
    that starts the clock when it sends (coordinated omission) would report 50 ms."""
    lock = asyncio.Lock()

    async def one_at_a_time(reader, writer):
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                async with lock:
                    await asyncio.sleep(0.05)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError):
            writer.close()

    async def run():
        server, port = await _serve(one_at_a_time)
        async with server:
            gen = OpenLoop(port, max_connections=1, timeout_s=5.0)
            slow = await gen.run(40, 0.5, [get("/")])
            easy = await gen.run(10, 1.0, [get("/")])
            await gen.close()
            return slow, easy

    slow, easy = run_loop(run())
    assert slow.statuses == {200: 20} and easy.statuses == {200: 10}
    assert slow.p99 > 400, slow.p99  # 0.5 s of requests served in ~1 s: the queue counts
    assert not slow.sustained(p99_ms=1000, kept_up=0.95)  # within 1 s, but it fell behind
    assert easy.p99 < 200, easy.p99
    assert easy.sustained(p99_ms=1000, kept_up=0.95)

"""An SMTP sink for bench/run: accepts every message and counts it.

smtp_sink.py COUNT_FILE PORT    listens on 127.0.0.1:PORT until SIGTERM; COUNT_FILE holds
                                the number of messages received so far."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.count += len(envelope.rcpt_tos) or 1
        return "250 OK"


def main() -> int:
    count_file = Path(sys.argv[1])
    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=int(sys.argv[2]))
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        count_file.write_text(str(handler.count))
        stop.wait(0.2)
    count_file.write_text(str(handler.count))
    controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

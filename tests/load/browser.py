"""The load suite's simulated browser: one user's keep-alive connection and cookies, through
the real sign-in pages (TOTP step included), every hop timed into a shared Stats."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from tests.factories import PASSWORD


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)

    def record(self, method: str, path: str, status: int, ms: float, note: str = "") -> None:
        with self.lock:
            self.latencies_ms.append(ms)
            self.statuses[status] += 1
            if status >= 500:
                self.server_errors.append(f"{status} {method} {path} {note}".strip())

    def total(self) -> int:
        with self.lock:
            return len(self.latencies_ms)

    def outcome(self, name: str) -> None:
        with self.lock:
            self.outcomes[name] += 1


def keep_cookies(cookies: dict[str, str], response: http.client.HTTPResponse) -> None:
    """A browser's cookie jar: store what the answer sets, forget what it expires."""
    for header in response.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0" or not morsel.value:
                cookies.pop(name, None)
            else:
                cookies[name] = morsel.value


def redirect_path(response: http.client.HTTPResponse) -> str | None:
    """Where a redirect sends a browser (path and query), else None."""
    location = response.headers.get("Location")
    if response.status in (301, 302, 303) and location:
        return urlsplit(location)._replace(scheme="", netloc="").geturl()
    return None


class Browser:
    """One user's keep-alive connection and cookies; follows redirects; every hop is counted."""

    def __init__(self, port: int, stats: Stats) -> None:
        self.port = port
        self.stats = stats
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def _send(self, method: str, path: str, body: str | None) -> http.client.HTTPResponse:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                return self.conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection before reading the request.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """(final status, final body, final path), following up to 5 redirects."""
        body = None
        if data is not None:
            body = urlencode({**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
        for _hop in range(6):
            started = time.perf_counter()
            try:
                response = self._send(method, path, body)
                text = response.read().decode("utf-8", "replace")
            except OSError as exc:  # no answer at all counts as a server error (599)
                ms = (time.perf_counter() - started) * 1000
                self.stats.record(method, path, 599, ms, note=repr(exc))
                return 599, "", path
            self.stats.record(method, path, response.status, (time.perf_counter() - started) * 1000)
            keep_cookies(self.cookies, response)
            redirected = redirect_path(response)
            if redirected:
                path, method, body = redirected, "GET", None
                continue
            return response.status, text, path
        return 0, "", path

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> tuple[int, str, str]:
        return self.request("POST", path, data)

    def sign_in(self, email: str, totp_secret: str, password: str = PASSWORD) -> None:
        self.get("/accounts/login/")
        status, _body, where = self.post("/accounts/login/", {"login": email, "password": password})
        for _attempt in range(3):
            if not where.startswith("/accounts/2fa/authenticate/"):
                break
            # A code typed near the end of its period may arrive after it (a slow server): like
            # a person, wait for the next code and type it. The code is computed as allauth's.
            period = mfa_settings.TOTP_PERIOD
            if time.time() % period > period - 5:
                time.sleep(period - time.time() % period)
            code = format_hotp_value(hotp_value(totp_secret, int(time.time()) // period))
            status, _body, where = self.post(where, {"code": code})
        assert status == 200 and not where.startswith("/accounts/"), (email, status, where)

    def close(self) -> None:
        self.conn.close()

"""Compressed responses: the pages, the partial updates, the JSON and the CSV exports (text
compresses 5-10 times), never what is already compressed (images, documents, the static files
WhiteNoise serves precompressed).

Django's GZipMiddleware does the work: it skips bodies under 200 bytes and responses that already
carry a Content-Encoding, adds `Vary: Accept-Encoding`, keeps streamed responses streamed (each
piece of a CSV export is compressed and flushed as it comes) and mitigates BREACH with Heal The
Breach (up to 100 random bytes in the gzip header of every response). The other half of the
BREACH mitigation is the portal's: the CSRF token in a page is masked anew for each response, and
the session cookie is SameSite=Lax, so a cross-site page cannot make a signed-in browser fetch
our pages as subresources and watch their sizes. The pages that show a long-lived secret (the
authenticator key and the recovery codes of two-factor authentication) are not compressed at all.

It sits third in MIDDLEWARE: after the health probe (its answers are tiny and stay untouched) and
the database outage watcher (it reads only the status), before everything else, so it compresses
whatever the others produce, the error pages included (404, 429, and the 500 and 503 pages that
Django's handler builds when an exception escapes a view or a middleware), and no middleware
reads a body it has already compressed."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from typing import cast

from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.cache import patch_vary_headers

# Media types whose bodies are text. Everything else (images, PDFs, uploaded documents, fonts,
# archives) is either compressed already or not worth the CPU.
TEXT_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "image/svg+xml",
    }
)
# Pages with a long-lived secret in the body (allauth's two-factor setup: the TOTP key, the
# recovery codes): the length of a compressed body is what BREACH measures.
NEVER_COMPRESSED_PATHS = ("/accounts/2fa/",)
# Streamed bodies are the CSV exports, tens of megabytes: level 1 packs CSV about 7 times at some
# 250 MB/s of CPU, level 6 (Django's) 9 times at some 90 MB/s; the web worker's time matters more.
STREAM_LEVEL = 1


def is_text(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in TEXT_TYPES


class TextGZipMiddleware(GZipMiddleware):
    """GZipMiddleware for text bodies only, whole ones (never a range: a 206's bytes are a part
    of the file, not something to compress), on pages without long-lived secrets; streamed
    bodies at STREAM_LEVEL."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            not is_text(response.get("Content-Type", ""))
            or response.status_code == 206
            or response.has_header("Content-Range")
            or request.path_info.startswith(NEVER_COMPRESSED_PATHS)
        ):
            return response
        if (
            isinstance(response, StreamingHttpResponse)
            and not response.is_async
            and not response.has_header("Content-Encoding")
        ):
            patch_vary_headers(response, ("Accept-Encoding",))
            if re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
                pieces = cast(Iterator[bytes], response.streaming_content)  # not async
                response.streaming_content = compress_stream(pieces)
                del response.headers["Content-Length"]
                response.headers["Content-Encoding"] = "gzip"
            return response
        return super().process_response(request, response)


def compress_stream(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """One gzip stream of `pieces`, each piece compressed and flushed as it comes, so the
    download keeps moving and nothing is held in memory."""
    buffer = io.BytesIO()
    with gzip.GzipFile(mode="wb", compresslevel=STREAM_LEVEL, fileobj=buffer, mtime=0) as packed:
        for piece in pieces:
            packed.write(piece)
            packed.flush()
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.BytesIO) -> bytes:
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data

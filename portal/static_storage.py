"""The production static files storage: WhiteNoise's compressed manifest storage, its URLs
remembered.

`{% static %}` asks the storage for a URL on every use: the manifest look-up, the name's
cleaning and splitting, `urljoin` and the quoting (~30 µs). Every page asks for the same four
(base.html's stylesheets and scripts) on every request, and the answer cannot change while the
manifest does not: it is kept per name (and DEBUG, which serves the unhashed names), dropped
when `collectstatic` writes a new manifest (post_process). A name missing from the manifest
still raises each time (nothing is kept)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage  # type: ignore[import-untyped]

_MAX_URLS = 10_000


class RememberedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[tuple[str, bool], str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None:
            return super().url(name, force)
        key = (name, settings.DEBUG)
        url = self._urls.get(key)
        if url is None:
            url = super().url(name)
            if len(self._urls) < _MAX_URLS:
                self._urls[key] = url
        return url

    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        self._urls.clear()
        yield from super().post_process(*args, **kwargs)
        self._urls.clear()

"""The one file of drf-spectacular-sidecar the docs page loads (Redoc's standalone bundle, and
its licence), as a static files finder: the app itself is not installed, so collectstatic
neither copies nor compresses and hashes its Swagger UI and source maps (about 9 MB, 20 s of
collectstatic). The bundle's `sourceMappingURL` comment is dropped as it is read: its map is
not published, and the manifest storage refuses a reference to a missing file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import drf_spectacular_sidecar
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

PREFIX = "drf_spectacular_sidecar/redoc/bundles"
FILES = ("redoc.standalone.js", "redoc.standalone.js.LICENSE.txt")
SOURCE = (
    Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar" / "redoc"
) / "bundles"
_SOURCE_MAP = re.compile(rb"\n//# sourceMappingURL=\S+\s*$")


class _BundleStorage(FileSystemStorage):
    def open(self, name: str, mode: str = "rb") -> Any:
        with super().open(name, "rb") as original:
            content = _SOURCE_MAP.sub(b"\n", original.read())
        return ContentFile(content, name=name)


class RedocFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = _BundleStorage(location=SOURCE)
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False) -> Any:
        directory, _sep, name = path.rpartition("/")
        if directory == PREFIX and name in FILES:
            found = str(SOURCE / name)
            return [found] if find_all else found
        return []

    def list(self, ignore_patterns: Any) -> Any:
        for name in FILES:
            yield name, self.storage

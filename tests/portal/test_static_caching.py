"""Production's static files (portal/settings/production.py: WhiteNoise's compressed manifest
storage) after `collectstatic`: a hashed URL is cached for a year and more, immutable, and sent
brotli- or gzip-compressed as the browser accepts; the same file under its unhashed name is
cached for a minute only (a new release changes what it holds)."""

import gzip
import importlib
import os
from unittest import mock

import brotli
import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings

A_YEAR = 365 * 24 * 60 * 60
CSS = "vendor/bootstrap/bootstrap.portal.min.css"


@pytest.fixture(scope="module")
def production_static(tmp_path_factory):
    """The production settings' static storage, collected once into a temporary directory."""
    with mock.patch.dict(os.environ, {"DJANGO_SECRET_KEY": "static-test-" + "x" * 50}):
        production = importlib.import_module("portal.settings.production")
    root = tmp_path_factory.mktemp("static")
    with override_settings(STORAGES=production.STORAGES, STATIC_ROOT=root, DEBUG=False):
        # The stylesheets only: the scripts, Django's admin and the flags of django-countries add
        # seconds of compression and nothing to what is checked.
        call_command(
            "collectstatic", "--noinput", "-v0", "-i", "admin", "-i", "flags", "-i", "*.js"
        )
        yield Client()


def _cache_control(response) -> dict[str, str]:
    parts = [part.strip() for part in response["Cache-Control"].split(",")]
    return {name: value for name, _eq, value in (part.partition("=") for part in parts)}


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_hashed_file_is_cached_for_a_year_and_immutable(production_static):
    url = staticfiles_storage.url(CSS)
    assert url != f"/static/{CSS}"  # the name carries the content's hash

    response = production_static.get(url)

    assert response.status_code == 200
    cache = _cache_control(response)
    assert "immutable" in cache
    assert int(cache["max-age"]) >= A_YEAR
    assert response["Content-Type"].startswith("text/css")


def test_a_hashed_file_is_sent_precompressed_brotli_or_gzip(production_static, settings):
    url = staticfiles_storage.url(CSS)
    original = (settings.BASE_DIR / "static" / CSS).read_bytes()

    as_brotli = production_static.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    as_gzip = production_static.get(url, HTTP_ACCEPT_ENCODING="gzip")
    plain = production_static.get(url)
    brotli_body, gzip_body, plain_body = _body(as_brotli), _body(as_gzip), _body(plain)

    assert as_brotli["Content-Encoding"] == "br"
    assert brotli.decompress(brotli_body) == original
    assert as_gzip["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzip_body) == original
    assert not plain.has_header("Content-Encoding")
    assert plain_body == original
    assert len(brotli_body) < len(gzip_body) < len(original) / 3
    assert "accept-encoding" in as_gzip["Vary"].lower()


def test_an_unhashed_url_is_not_cached_for_long(production_static):
    response = production_static.get(f"/static/{CSS}")

    assert response.status_code == 200
    cache = _cache_control(response)
    assert "immutable" not in cache
    assert int(cache["max-age"]) <= 60


def test_a_static_url_is_worked_out_once_and_follows_a_new_manifest(production_static, settings):
    from whitenoise.storage import CompressedManifestStaticFilesStorage

    url = staticfiles_storage.url(CSS)
    with mock.patch.object(
        CompressedManifestStaticFilesStorage, "url", side_effect=AssertionError("worked out")
    ):
        assert staticfiles_storage.url(CSS) == url  # remembered
    with override_settings(DEBUG=True):
        assert staticfiles_storage.url(CSS) == f"/static/{CSS}"
    for _ in range(2):  # a name outside the manifest is refused every time
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            staticfiles_storage.url("css/no-such-file.css")
    # collectstatic starts a new manifest (post_process): no URL of the old one is kept.
    storage = staticfiles_storage._wrapped
    try:
        list(storage.post_process({}, dry_run=True))  # an empty manifest
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            staticfiles_storage.url(CSS)
    finally:
        storage.hashed_files, storage.manifest_hash = storage.load_manifest()
    assert staticfiles_storage.url(CSS) == url

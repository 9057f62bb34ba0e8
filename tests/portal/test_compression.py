"""Pages, error pages and CSV exports travel gzip-compressed to a browser that accepts it, and
unchanged to one that does not; CSV exports still stream (portal/compression.py)."""

import csv
import gzip
import io
import re

import pytest
from django.http import StreamingHttpResponse

from relationships.models import ProviderRelationship
from tests.factories import member
from tests.relationships.factories import CustomerRelationshipFactory

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
# The CSRF token is masked anew in every response: the one thing two renderings differ by.
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def provider(client_for):
    shared = CustomerRelationshipFactory()
    relationship = ProviderRelationship.objects.get()
    for _ in range(20):
        CustomerRelationshipFactory(relationship=relationship)
    return client_for(member(shared.provider))


def _vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",")}


def _same_page(html: str) -> str:
    return CSRF.sub("csrf", html)


def test_a_list_page_is_gzip_compressed_and_unpacks_to_the_same_page(provider):
    plain = provider.get("/customers/")
    packed = provider.get("/customers/", **GZIP)

    assert packed.status_code == plain.status_code == 200
    assert packed["Content-Encoding"] == "gzip"
    assert "accept-encoding" in _vary(packed)
    assert int(packed["Content-Length"]) == len(packed.content)
    assert len(packed.content) * 3 < len(plain.content)  # HTML packs well
    html = gzip.decompress(packed.content).decode()
    assert "<table" in html
    assert _same_page(html) == _same_page(plain.content.decode())


def test_without_accept_encoding_the_page_is_sent_as_is(provider):
    response = provider.get("/customers/")

    assert not response.has_header("Content-Encoding")
    assert response.content.lstrip().startswith(b"<!DOCTYPE html>")
    # A cache between the two must not hand the compressed copy to this browser.
    assert "accept-encoding" in _vary(response)


def test_error_pages_are_compressed_too(provider):
    response = provider.get("/customers/999999999/", **GZIP)

    assert response.status_code == 404
    assert response["Content-Encoding"] == "gzip"
    assert b"<!DOCTYPE html>" in gzip.decompress(response.content)


def test_a_csv_export_still_streams_compressed_and_unpacks_to_the_same_rows(provider):
    plain = provider.get("/customers/export.csv")
    packed = provider.get("/customers/export.csv", **GZIP)

    assert isinstance(packed, StreamingHttpResponse)
    assert packed["Content-Encoding"] == "gzip"
    assert not packed.has_header("Content-Length")
    assert packed["Content-Disposition"].startswith("attachment;")
    pieces = list(packed.streaming_content)
    assert len(pieces) > 1  # sent piece by piece, not built whole first
    rows = list(csv.reader(io.StringIO(gzip.decompress(b"".join(pieces)).decode())))
    expected = list(csv.reader(io.StringIO(b"".join(plain.streaming_content).decode())))
    assert rows == expected
    assert len(rows) == 22  # the header and 21 customers


def test_the_two_factor_pages_with_their_secrets_are_never_compressed(provider):
    response = provider.get("/accounts/2fa/", **GZIP)

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")


def test_binary_bodies_are_left_alone(rf):
    from django.http import HttpResponse

    from portal.compression import TextGZipMiddleware

    png = HttpResponse(b"\x89PNG" + b"\0" * 4000, content_type="image/png")
    page = HttpResponse(b"<p>" + b"x" * 4000, content_type="text/html; charset=utf-8")
    middleware = TextGZipMiddleware(lambda request: png)
    request = rf.get("/", **GZIP)

    assert not middleware.process_response(request, png).has_header("Content-Encoding")
    assert middleware.process_response(request, page)["Content-Encoding"] == "gzip"


def test_the_database_outage_page_is_compressed_with_its_retry_after(reseller_admin, monkeypatch):
    from django.db import OperationalError
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.test import Client

    from portal.errors import OUTAGE

    def refused(*args, **kwargs):
        raise OperationalError("connection refused")

    client = Client(raise_request_exception=False)
    client.force_login(reseller_admin.user)
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refused)
    try:
        response = client.get("/", **GZIP)
    finally:
        OUTAGE.logged = False

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Encoding"] == "gzip"
    assert "The portal is briefly unavailable" in gzip.decompress(response.content).decode()

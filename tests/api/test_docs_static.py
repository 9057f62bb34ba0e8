"""The docs page's one file from drf-spectacular-sidecar (api/staticfiles.py): Redoc's bundle
is found and collected without its source map reference; nothing else of the package is."""

from __future__ import annotations

from django.contrib.staticfiles import finders

BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"


def test_only_redocs_bundle_is_collected_and_without_its_map():
    assert finders.find(BUNDLE)
    assert not finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert not finders.find(f"{BUNDLE}.map")
    collected = {
        f"{getattr(storage, 'prefix', '')}/{path}": storage
        for finder in finders.get_finders()
        for path, storage in finder.list([])
        if "drf_spectacular_sidecar" in f"{getattr(storage, 'prefix', '')}/{path}"
    }
    assert sorted(collected) == [BUNDLE, f"{BUNDLE}.LICENSE.txt"]
    with collected[BUNDLE].open("redoc.standalone.js") as bundle:
        text = bundle.read()
    assert len(text) > 500_000 and b"Redoc" in text
    assert b"sourceMappingURL" not in text[-200:]

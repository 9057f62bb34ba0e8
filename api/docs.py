"""GET /api/v1/docs/: Redoc over the served schema, from drf-spectacular-sidecar's bundle in
our static files (no CDN). Redoc styles itself with injected <style> elements and searches in a
blob: worker, which the portal's Content-Security-Policy allows on this page only."""

from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.views.decorators.csp import csp_override
from django.views.generic import TemplateView

DOCS_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "worker-src": [CSP.SELF, "blob:"],
    "frame-ancestors": [CSP.NONE],
}


@method_decorator(csp_override(DOCS_CSP), name="dispatch")
class ApiDocsView(TemplateView):
    template_name = "api/docs.html"

from django.http import HttpRequest, HttpResponse


def bench_ceiling(request: HttpRequest) -> HttpResponse:
    """bench/run's ceiling: no work beyond the middleware every page goes through. Mounted only
    when PORTAL_BENCH_CEILING is on."""
    return HttpResponse(b"ok", content_type="text/plain")

"""The portal's URLs plus two views that log from deep code and fail (the log and error-tracking
tests)."""

import logging

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal.urls import handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns

logger = logging.getLogger("portal.deep.service")


def _deep_service(name: str) -> None:
    logger.warning("billing run for %s found nothing to bill", name)


def work(request):
    _deep_service(request.user.get_full_name())
    return HttpResponse("done")


@csrf_exempt  # posted to by a plain HTTP client (tests/deploy/test_error_tracking.py)
def fail(request):
    _deep_service(request.user.get_full_name())
    raise RuntimeError(f"no invoice address for {request.user.email}")


urlpatterns = [path("work/", work), path("fail/", fail), *portal_urlpatterns]
__all__ = ["handler404", "handler500", "urlpatterns"]

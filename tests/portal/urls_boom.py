from django.urls import path

from portal.urls import handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns


def boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", boom), *portal_urlpatterns]
__all__ = ["handler404", "handler500", "urlpatterns"]

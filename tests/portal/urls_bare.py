from django.urls import path

from devtools.views import bench_ceiling
from portal.urls import handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns

# The bench ceiling: a view that does no work, behind every middleware of the portal.
urlpatterns = [path("bare/", bench_ceiling), *portal_urlpatterns]
__all__ = ["handler404", "handler500", "urlpatterns"]

"""The portal's URLs under /moved/: a URL configuration whose addresses differ from the default's
for the same names (tests/portal/test_page_work.py)."""

from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path("moved/", include(portal_urlpatterns))]

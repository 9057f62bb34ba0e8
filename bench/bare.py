"""The yardstick every portal figure is compared with: a bare Django project, one view, the
middleware `django-admin startproject` lists, no database. bench/run and the load suite serve it
with the same gunicorn settings as the portal, in the same run:

    DJANGO_SETTINGS_MODULE=bench.bare gunicorn bench.bare:application

It answers GET /bench/bare/ with a small HTML page, as the portal's /bench/ceiling/ does."""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.urls import path

SECRET_KEY = "bench-bare-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
# Django's startproject list, in its order.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
DATABASES: dict[str, dict[str, str]] = {}
LOGGING_CONFIG = None


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!doctype html><title>bare</title><p>ok</p>")


urlpatterns = [path("bench/bare/", bare)]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__)

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

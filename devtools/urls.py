"""Mounted by portal/urls.py only when PORTAL_BENCH_CEILING is on (bench/run)."""

from django.urls import path

from . import views

urlpatterns = [
    path("bench/ceiling/", views.bench_ceiling, name="bench_ceiling"),
]

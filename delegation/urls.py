from django.urls import path  # noqa: F401

from . import views  # noqa: F401

app_name = "delegation"

# /partner-relationships/ (DOMAIN.md's URL map) and the partner's side under /customers/<id>/.
urlpatterns: list = []

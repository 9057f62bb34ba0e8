from django.urls import path

from . import views  # noqa: F401
from .views import gdap, partner_relationships

app_name = "delegation"

# /partner-relationships/ (DOMAIN.md's URL map) and the partner's side under /customers/<id>/.
urlpatterns: list = [
    path(
        "partner-relationships/",
        partner_relationships.PartnerRelationshipsView.as_view(),
        name="partner_relationships",
    ),
    path(
        "customers/<int:customer_id>/gdap/new/",
        gdap.GdapRequestView.as_view(),
        name="gdap_request",
    ),
    path(
        "customers/<int:customer_id>/gdap/<int:pk>/end/",
        gdap.GdapPartnerEndView.as_view(),
        name="gdap_partner_end",
    ),
    path(
        "partner-relationships/gdap/<int:pk>/<str:action>/",
        gdap.GdapCustomerActionView.as_view(),
        name="gdap_customer_action",
    ),
    path(
        "partner-relationships/gdap/<str:key>/",
        gdap.GdapAnswerView.as_view(),
        name="gdap_answer",
    ),
]

from django.urls import path

from .views import dap, gdap, partner_relationships

app_name = "delegation"

# /partner-relationships/ (DOMAIN.md's URL map) and the partner's side under /customers/<id>/.
urlpatterns: list = [
    path(
        "partner-relationships/",
        partner_relationships.PartnerRelationshipsView.as_view(),
        name="partner_relationships",
    ),
    path(
        "partner-relationships/admin-access/<int:pk>/remove/",
        dap.CustomerAdminAccessRemoveView.as_view(),
        name="admin_access_remove",
    ),
    path(
        "customers/<int:customer_id>/administer/",
        dap.AdministerView.as_view(),
        name="administer",
    ),
    path(
        "customers/<int:customer_id>/admin-access/<int:pk>/remove/",
        dap.PartnerAdminAccessRemoveView.as_view(),
        name="customer_admin_access_remove",
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

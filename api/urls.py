"""/settings/api-clients/ (pages) and /api/v1/ (the REST API, its token endpoint, schema and
docs), mounted by portal/urls.py."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from . import endpoints, endpoints_orders, views
from .docs import ApiDocsView
from .token import ClientCredentialsTokenView

app_name = "api"

urlpatterns = [
    path("settings/api-clients/", views.ApiClientListView.as_view(), name="clients"),
    path(
        "settings/api-clients/<int:pk>/revoke/",
        views.ApiClientRevokeView.as_view(),
        name="client_revoke",
    ),
    path("api/v1/oauth/token/", ClientCredentialsTokenView.as_view(), name="token"),
    path("api/v1/openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("api/v1/docs/", ApiDocsView.as_view(), name="docs"),
    path("api/v1/organization/", endpoints.OrganizationView.as_view(), name="organization"),
    path(
        "api/v1/indirect-resellers/",
        endpoints.IndirectResellerListView.as_view(),
        name="indirect_resellers",
    ),
    path("api/v1/customers/", endpoints.CustomerListView.as_view(), name="customers"),
    path("api/v1/subscriptions/", endpoints.SubscriptionListView.as_view(), name="subscriptions"),
    # Any id reaches the view, which answers a problem+json 404 for one that is not a number.
    path(
        "api/v1/subscriptions/<str:id>/",
        endpoints_orders.SubscriptionView.as_view(),
        name="subscription",
    ),
    path(
        "api/v1/subscriptions/<str:id>/cancel/",
        endpoints_orders.SubscriptionCancelView.as_view(),
        name="subscription_cancel",
    ),
    path("api/v1/orders/", endpoints_orders.OrderCreateView.as_view(), name="orders"),
]

"""/settings/api-clients/ (pages) and /api/v1/ (the REST API, its token endpoint, schema and
docs), mounted by portal/urls.py."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from . import endpoints, endpoints_orders, endpoints_partners, views
from .docs import ApiDocsView
from .root import ApiRootView, endpoint_names
from .token import ClientCredentialsTokenView

app_name = "api"

urlpatterns = [
    path("settings/api-clients/", views.ApiClientListView.as_view(), name="clients"),
    path(
        "settings/api-clients/<int:pk>/calls/",
        views.ApiClientCallsView.as_view(),
        name="client_calls",
    ),
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
    path("api/v1/users/", endpoints_partners.UserListView.as_view(), name="users"),
    path(
        "api/v1/indirect-providers/",
        endpoints_partners.IndirectProviderListView.as_view(),
        name="indirect_providers",
    ),
    path(
        "api/v1/reseller-invitations/",
        endpoints_partners.ResellerInvitationListView.as_view(),
        name="reseller_invitations",
    ),
    path(
        "api/v1/customer-invitations/",
        endpoints_partners.CustomerInvitationListView.as_view(),
        name="customer_invitations",
    ),
    path("api/v1/offers/", endpoints_partners.OfferListView.as_view(), name="offers"),
    path("api/v1/billing/", endpoints_partners.BillingView.as_view(), name="billing"),
    path(
        "api/v1/audit-events/", endpoints_partners.AuditEventListView.as_view(), name="audit_events"
    ),
    path(
        "api/v1/verification/", endpoints_partners.VerificationView.as_view(), name="verification"
    ),
    path(
        "api/v1/gdap-requests/",
        endpoints_partners.GdapRequestListView.as_view(),
        name="gdap_requests",
    ),
]
# The root links every endpoint above without a parameter.
urlpatterns.append(
    path("api/v1/", ApiRootView.as_view(endpoints=endpoint_names(urlpatterns)), name="root")
)

from django.urls import path

from . import views

app_name = "relationships"

urlpatterns = [
    path("find-a-provider/", views.FindProviderView.as_view(), name="find_provider"),
    path("indirect-resellers/", views.IndirectResellersView.as_view(), name="indirect_resellers"),
    path(
        "indirect-resellers/export.csv",
        views.IndirectResellersView.as_view(),
        {"export": True},
        name="indirect_resellers_export",
    ),
    path(
        "indirect-resellers/invitations/",
        views.SentResellerInvitationsView.as_view(),
        name="sent_reseller_invitations",
    ),
    path("indirect-resellers/invite/", views.ResellerInviteView.as_view(), name="invite_reseller"),
    path(
        "indirect-resellers/invitations/<int:pk>/<str:action>/",
        views.ResellerInvitationActionView.as_view(),
        name="reseller_invitation_action",
    ),
    path(
        "indirect-resellers/<int:pk>/<str:action>/",
        views.ProviderRelationshipActionView.as_view(),
        name="provider_relationship_action",
    ),
    path("indirect-providers/", views.IndirectProvidersView.as_view(), name="indirect_providers"),
    path(
        "indirect-providers/export.csv",
        views.IndirectProvidersView.as_view(),
        {"export": True},
        name="indirect_providers_export",
    ),
    path(
        "indirect-providers/invite-customer/",
        views.CustomerInviteView.as_view(),
        name="invite_customer",
    ),
    path(
        "indirect-providers/invite-customer/<int:pk>/<str:action>/",
        views.CustomerInvitationActionView.as_view(),
        name="customer_invitation_action",
    ),
    path(
        "indirect-providers/<int:pk>/<str:action>/",
        views.ResellerRelationshipActionView.as_view(),
        name="reseller_relationship_action",
    ),
    path("customers/", views.CustomersView.as_view(), name="customers"),
    path(
        "customers/export.csv",
        views.CustomersView.as_view(),
        {"export": True},
        name="customers_export",
    ),
    path(
        "customers/partners/",
        views.CustomerPartnersView.as_view(),
        name="customer_partners",
    ),
    path(
        "customers/<int:customer_id>/",
        views.CustomerDetailView.as_view(),
        name="customer_detail",
    ),
    path("bulk-invitations/", views.BulkUploadView.as_view(), name="bulk_upload"),
    path("bulk-invitations/template.csv", views.BulkTemplateView.as_view(), name="bulk_template"),
    path("bulk-invitations/<int:pk>/", views.BulkBatchView.as_view(), name="bulk_batch"),
    path(
        "bulk-invitations/<int:pk>/results.csv",
        views.BulkResultsView.as_view(),
        name="bulk_results",
    ),
    path(
        "received-invitations/",
        views.ReceivedInvitationsView.as_view(),
        name="received_invitations",
    ),
    path(
        "received-invitations/<int:pk>/<str:action>/",
        views.ReceivedInvitationActionView.as_view(),
        name="received_invitation_action",
    ),
    path("invitations/<str:key>/", views.InvitationView.as_view(), name="invitation"),
]

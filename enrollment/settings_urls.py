"""Account settings (Partner Center: Settings → Account settings), mounted at /settings/ by
portal/urls.py; the namespace stays `account_settings`."""

from django.urls import path

from . import settings_views as views

app_name = "account_settings"

urlpatterns = [
    path("settings/legal/", views.LegalInfoView.as_view(), name="legal"),
    path("settings/identifiers/", views.IdentifiersView.as_view(), name="identifiers"),
    path(
        "settings/identifiers/<int:pk>/associate/",
        views.PartnerIdAssociateView.as_view(),
        name="identifier_associate",
    ),
    path("settings/identifiers/legacy/", views.LegacyLinkView.as_view(), name="legacy_link"),
    path("settings/partner-profile/", views.PartnerProfileView.as_view(), name="partner_profile"),
    path("settings/users/", views.UserListView.as_view(), name="users"),
    path("settings/users/add/", views.UserAddView.as_view(), name="user_add"),
    path("settings/users/<int:pk>/", views.UserDetailView.as_view(), name="user_detail"),
    path("settings/users/<int:pk>/remove/", views.UserRemoveView.as_view(), name="user_remove"),
    path(
        "settings/users/<int:pk>/reset-password/",
        views.UserPasswordResetView.as_view(),
        name="user_reset_password",
    ),
]

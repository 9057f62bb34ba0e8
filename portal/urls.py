from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from . import views, views_exports, views_operations
from .welcome import WelcomeSetPasswordView

portal_patterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path(
        "dashboard/notifications/",
        views.NotificationsLiveView.as_view(),
        name="notifications_live",
    ),
    path("no-organization/", views.NoOrganizationView.as_view(), name="no_organization"),
    path("language/", views.set_language, name="set_language"),
    path("leave-customer-account/", views.leave_delegation, name="leave_delegation"),
    path("audit-log/", views.AuditLogView.as_view(), name="audit_log"),
    path("exports/", views_exports.ExportCreateView.as_view(), name="export_create"),
    path("exports/<int:pk>/", views_exports.ExportDetailView.as_view(), name="export_detail"),
    path(
        "exports/<int:pk>/download/",
        views_exports.ExportDownloadView.as_view(),
        name="export_download",
    ),
    path("operations/", views_operations.OperationsView.as_view(), name="operations"),
    path(
        "operations/retry/",
        views_operations.OperationsRetryView.as_view(),
        name="operations_retry",
    ),
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include((portal_patterns, "portal"))),
    path(
        "accounts/welcome/<uidb36>/<key>/",
        WelcomeSetPasswordView.as_view(),
        name="account_welcome",
    ),
    path("accounts/", include("allauth.urls")),
    path("operator-admin/", admin.site.urls),
    # Before the pages: an API call (hundreds a second from one sync job) is resolved without
    # trying every page's pattern first; no page lives under api/v1/ or settings/api-clients/.
    path("", include("api.urls")),
    path("", include("enrollment.urls")),
    path("", include("enrollment.settings_urls")),
    path("", include("verification.urls")),
    path("", include("relationships.urls")),
    path("", include("commerce.urls")),
    path("", include("invoicing.urls")),
    path("", include("delegation.urls")),
    path("", include("webhooks.urls")),
]

if settings.PORTAL_BENCH_CEILING:
    # First: the ceiling measures the middleware, not a walk through every URL pattern (the
    # bare Django view it is compared with has one pattern).
    urlpatterns.insert(0, path("", include("devtools.urls")))

handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"
# allauth renders its own rate limits (sign-in, sign-up, password reset) with this.
handler429 = "portal.errors.too_many_requests"

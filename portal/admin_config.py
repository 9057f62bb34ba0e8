from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """django.contrib.admin with the portal's admin site, which signs in through allauth."""

    default = False
    default_site = "portal.admin_site.PortalAdminSite"

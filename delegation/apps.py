from django.apps import AppConfig


class DelegationConfig(AppConfig):
    name = "delegation"

    def ready(self) -> None:
        from portal.audit import register_event_types

        from .events import AuditType

        register_event_types(AuditType)

        from portal.delegation import register_admin_access_reader, register_delegation_source

        from .selectors import customer_admin_access, dap_access_for

        register_delegation_source(dap_access_for)
        register_admin_access_reader(customer_admin_access)

        from portal.delegation import register_partner_delegation_source

        from .gdap_selectors import gdap_access, gdap_access_of_partner

        register_delegation_source(gdap_access)
        # An API client of a partner acts for a customer through GDAP only (issue 24).
        register_partner_delegation_source(gdap_access_of_partner)

        # The request context cache (portal/request_context.py) forgets every delegated context
        # when a grant, or a relationship a grant relies on, changes.
        from django.db.models.signals import post_delete, post_save

        from portal.request_context import delegation_grant_saved
        from relationships.models import CustomerRelationship, ProviderRelationship

        from .models import AdminAccess, GdapRelationship

        for model in (AdminAccess, GdapRelationship, ProviderRelationship, CustomerRelationship):
            for signal in (post_save, post_delete):
                signal.connect(
                    delegation_grant_saved,
                    sender=model,
                    dispatch_uid=f"delegation.context.{model.__name__}",
                )

        from relationships.signals import customer_relationship_accepted

        from .receivers import approve_gdap_on_acceptance

        customer_relationship_accepted.connect(
            approve_gdap_on_acceptance, dispatch_uid="delegation.approve_gdap_on_acceptance"
        )

        from django.utils.translation import gettext_lazy as _

        from portal.models import Organization
        from portal.navigation import NavEntry, register_nav
        from portal.policy import Action

        register_nav(
            NavEntry(
                _("Partner relationships"),
                "delegation:partner_relationships",
                Action.MANAGE_PARTNER_ACCESS,
                kinds={Organization.Kind.CUSTOMER},
                order=47,
            ),
        )

        from portal.sections import register_section

        from .sections import customer_admin_access_section

        register_section("customer_detail", customer_admin_access_section, order=10)

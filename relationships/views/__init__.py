"""Thin views: parse, call one service or selector, render."""

from .customers import CustomerDetailView, CustomerPartnersView, CustomersView
from .directory import FindProviderView
from .invitations import InvitationView
from .partners import (
    CustomerInvitationActionView,
    CustomerInviteView,
    IndirectProvidersView,
    IndirectResellersView,
    RelationshipActionView,
    ResellerInvitationActionView,
    ResellerInviteView,
)

__all__ = [
    "CustomerDetailView",
    "CustomerInvitationActionView",
    "CustomerInviteView",
    "CustomerPartnersView",
    "CustomersView",
    "FindProviderView",
    "IndirectProvidersView",
    "IndirectResellersView",
    "InvitationView",
    "RelationshipActionView",
    "ResellerInvitationActionView",
    "ResellerInviteView",
]

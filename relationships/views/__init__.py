"""Thin views: parse, call one service or selector, render."""

from .customers import CustomerDetailView, CustomersView
from .directory import FindProviderView
from .invitations import InvitationView
from .partners import (
    CustomerInviteView,
    IndirectProvidersView,
    IndirectResellersView,
    RelationshipActionView,
    ResellerInvitationActionView,
    ResellerInviteView,
)

__all__ = [
    "CustomerDetailView",
    "CustomerInviteView",
    "CustomersView",
    "FindProviderView",
    "IndirectProvidersView",
    "IndirectResellersView",
    "InvitationView",
    "RelationshipActionView",
    "ResellerInvitationActionView",
    "ResellerInviteView",
]

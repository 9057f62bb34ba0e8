"""Thin views: parse, call one service or selector, render."""

from .bulk import BulkBatchView, BulkResultsView, BulkTemplateView, BulkUploadView
from .customers import CustomerDetailView, CustomerPartnersView, CustomersView
from .directory import FindProviderView
from .inbox import ReceivedInvitationActionView, ReceivedInvitationsView
from .invitations import InvitationView
from .partners import (
    CustomerInvitationActionView,
    CustomerInviteView,
    IndirectProvidersView,
    IndirectResellersView,
    ProviderRelationshipActionView,
    ResellerInvitationActionView,
    ResellerInviteView,
    ResellerRelationshipActionView,
    SentResellerInvitationsView,
)

__all__ = [
    "BulkBatchView",
    "BulkResultsView",
    "BulkTemplateView",
    "BulkUploadView",
    "CustomerDetailView",
    "CustomerInvitationActionView",
    "CustomerInviteView",
    "CustomerPartnersView",
    "CustomersView",
    "FindProviderView",
    "IndirectProvidersView",
    "IndirectResellersView",
    "InvitationView",
    "ProviderRelationshipActionView",
    "ReceivedInvitationActionView",
    "ReceivedInvitationsView",
    "ResellerInvitationActionView",
    "ResellerInviteView",
    "ResellerRelationshipActionView",
    "SentResellerInvitationsView",
]

"""The partner's GDAP request form, and what each role allows in words (the form, the answer
page and the Partner relationships page show the same descriptions)."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.form_tokens import FormTokenMixin
from portal.forms import PortalFormMixin
from portal.models import DelegatedRole

from .models import GDAP_MAX_DURATION, GDAP_MIN_DURATION, GDAP_ROLES

# What each role allows in the customer's account: the words for portal.policy.RULES' rows.
ROLE_DESCRIPTIONS = {
    DelegatedRole.USER_ADMINISTRATOR: _(
        "Sees and manages the customer's users: adds them, changes their roles, removes them "
        "and resets their passwords."
    ),
    DelegatedRole.HELPDESK_ADMINISTRATOR: _(
        "Sees the customer's users and resets the passwords of those who are not Global admins."
    ),
    DelegatedRole.LICENSE_ADMINISTRATOR: _(
        "Sees the customer's subscriptions and changes their quantities."
    ),
    DelegatedRole.BILLING_READER: _(
        "Reads the customer's subscriptions and billing, without changing anything."
    ),
}


def role_rows(roles: list[str]) -> list[tuple[str, str]]:
    """(label, description) of `roles`, in GDAP_ROLES order."""
    return [(str(role.label), str(ROLE_DESCRIPTIONS[role])) for role in GDAP_ROLES if role in roles]


class GdapRequestForm(FormTokenMixin, PortalFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=50,
        help_text=_("The customer sees it in the request, for example “Helpdesk 2027”."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (role.value, format_lazy("{}: {}", role.label, ROLE_DESCRIPTIONS[role]))
            for role in GDAP_ROLES
        ],
        help_text=_("Ask only for what your people need: each role allows exactly its actions."),
    )
    duration_days = forms.IntegerField(
        label=_("Duration (days)"),
        min_value=GDAP_MIN_DURATION.days,
        max_value=GDAP_MAX_DURATION.days,
        initial=365,
        help_text=_("From 1 day to 730 days (2 years), counted from the customer's approval."),
    )
    auto_extend = forms.BooleanField(
        label=_("Extend automatically by 180 days at the end"),
        required=False,
        help_text=_("Either side can still end the roles at any time."),
    )

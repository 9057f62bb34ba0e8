from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalFormMixin
from portal.models import Role
from portal.policy import ALL_PARTNER_ROLES
from portal.widgets import IsoDateInput

from .services import MAX_VALIDITY


class ApiClientForm(PortalFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the client is for, e.g. the billing system's nightly sync."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=[(role.value, role.label) for role in Role if role.value in ALL_PARTNER_ROLES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The client may do what a user with these roles may do. Give it only what it needs."
        ),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=IsoDateInput(),
        help_text=_("At most a year from today."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("expires_on", timezone.localdate() + timedelta(days=90))
        last_day = timezone.localdate() + MAX_VALIDITY - timedelta(days=1)
        self.fields["expires_on"].widget.attrs["max"] = last_day.isoformat()

    def expires_at(self) -> datetime:
        """The end of the chosen day, in the portal's time zone."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))

from __future__ import annotations

from typing import Any, ClassVar, cast

from django import forms
from django.db.models import QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from enrollment.models import LegalProfile
from enrollment.rules import primary_contact_validate
from portal.forms import PairedChoices, PortalFormMixin
from portal.models import User
from portal.selectors import market_and_region_names
from portal.widgets import FastSelect, options_html

from .models import CheckResult, Document, DocumentType, VerificationCase
from .selectors import AGE_BUCKETS

Status = VerificationCase.Status


class ContactConfirmForm(PortalFormMixin, forms.Form):
    signed_up = forms.BooleanField(
        label=_("I signed up for this account, or agreed to be its primary contact."),
        error_messages={"required": _("Confirm that you signed up for this account.")},
    )
    address_belongs = forms.BooleanField(
        label=_("This email address belongs to the company."),
        error_messages={"required": _("Confirm that this email address belongs to the company.")},
    )


class NewLinkByEmailForm(PortalFormMixin, forms.Form):
    autocomplete = {"email": "email"}

    email = forms.EmailField(label=_("Your email address"))


class ContactChangeForm(PortalFormMixin, forms.Form):
    """A new primary contact; checked by the rule `case_contact_change` applies too
    (`enrollment.rules.primary_contact_validate`)."""

    autocomplete = {
        "first_name": "given-name",
        "last_name": "family-name",
        "email": "email",
        "phone": "tel",
    }

    first_name = forms.CharField(label=_("First name"), max_length=50)
    last_name = forms.CharField(label=_("Last name"), max_length=50)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone"), max_length=32)

    def __init__(self, *args: Any, profile: LegalProfile | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profile = profile

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.profile is None or self.errors:
            return cleaned
        try:
            cleaned.update(primary_contact_validate(profile=self.profile, **cleaned))
        except forms.ValidationError as exc:
            for field, errors in exc.error_dict.items():
                for error in errors:
                    self.add_error(field, error)
        return cleaned


class VersionedForm(PortalFormMixin, forms.Form):
    """Carries the case version the reviewer saw; a stale one is a conflict.

    The case page shows every action's form at once: each one's ids carry its own prefix
    (`id_reject_note`), so a label focuses its own field; the field names stay the same."""

    id_prefix = "case"
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ApproveForm(VersionedForm):
    id_prefix = "approve"
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RejectForm(VersionedForm):
    id_prefix = "reject"
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason")), *VerificationCase.RejectReason.choices],
    )
    note = forms.CharField(
        label=_("Note to the partner"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RequestInfoForm(VersionedForm):
    id_prefix = "request"
    document_types = forms.MultipleChoiceField(
        label=_("Documents needed"),
        choices=DocumentType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    message = forms.CharField(
        label=_("Message to the partner"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ClaimForm(VersionedForm):
    id_prefix = "claim"


class AssignForm(VersionedForm):
    id_prefix = "assign"
    assignee: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Assign to"), queryset=None
    )

    def __init__(self, *args: Any, reviewers: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = reviewers


class DocumentUploadForm(PortalFormMixin, forms.Form):
    document_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG or JPEG, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def __init__(self, *args, document_types: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if document_types:
            labels = dict(DocumentType.choices)
            document_type = cast(forms.ChoiceField, self.fields["document_type"])
            document_type.choices = [(c, labels[c]) for c in document_types]

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > Document.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return file


AGE_LABELS = {
    "0-1": _("Less than 1 day"),
    "1-3": _("1 to 3 days"),
    "3-6": _("3 to 6 days"),
    "6-11": _("6 to 11 days"),
    "11+": _("11 days or more"),
}


class MarketSelect(FastSelect):
    """The queue's country filter: its 243 options (escaped names, `selected`) written once per
    list of choices and chosen value, not on every request (~2 ms of CPU of both /review/ pages
    of issue 21's mix). The key is the choices themselves (read anew on each request), so a
    renamed or added market is written anew; a lazy label in them keys by its translation."""

    _written: ClassVar[dict[tuple[Any, ...], SafeString]] = {}

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        # FastSelectMixin.get_context, its options_html() looked up first.
        context = forms.Widget.get_context(self, name, value, attrs)
        selected = context["widget"]["value"]
        key = (tuple(self.choices), tuple(selected))
        written = self._written.get(key)
        if written is None:
            if len(self._written) >= 64:  # many languages and chosen countries: start again
                self._written.clear()
            written = self._written[key] = options_html(self.choices, set(selected), False)
        context["widget"]["options_html"] = written
        return context


class QueueFilterForm(PortalFormMixin, forms.Form):
    """The queue's filters. Every list is bounded: statuses, the 242 markets and the regions
    (read as two (key, name) lists, rendered without a template per option), ages, the
    operator's verification admins, check names."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All open cases")),
            *((value, VerificationCase.reviewer_label(value)) for value in Status.values),
        ],
    )
    country = forms.ChoiceField(label=_("Country"), required=False, widget=MarketSelect)
    region = forms.TypedChoiceField(label=_("Region"), required=False, coerce=int, empty_value=None)
    age = forms.ChoiceField(
        label=_("Waiting"),
        required=False,
        choices=[("", _("Any time"))] + [(b.key, AGE_LABELS[b.key]) for b in AGE_BUCKETS],
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    failing = forms.ChoiceField(
        label=_("Failing check"),
        required=False,
        choices=[("", _("Any result")), ("any", _("Any failing check")), *CheckResult.Name.choices],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("oldest", _("Oldest first")), ("newest", _("Newest first"))],
    )

    def __init__(self, *args, reviewers=(), **kwargs):
        super().__init__(*args, **kwargs)
        markets, regions = market_and_region_names()
        cast(forms.ChoiceField, self.fields["country"]).choices = PairedChoices(
            [("", _("All countries")), *markets]
        )
        cast(forms.ChoiceField, self.fields["region"]).choices = PairedChoices(
            [("", _("All regions")), *regions]
        )
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Unassigned")),
            *[(str(u.pk), u.get_full_name()) for u in reviewers],
        ]

"""/accounts/welcome/<uidb36>/<key>/: a user a Global admin added sets a first password.

allauth's reset-from-key flow underneath (the same single-use token, the key moved out of the
address bar), with words for a first visit and the person signed in at the end."""

from __future__ import annotations

from typing import Any

from allauth.account.utils import perform_login
from allauth.account.views import PasswordResetFromKeyView
from django.contrib import messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Membership


class WelcomeSetPasswordView(PasswordResetFromKeyView):
    template_name = "account/welcome_set_password.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["action_url"] = reverse(
            "account_welcome",
            kwargs={"uidb36": self.kwargs["uidb36"], "key": self.kwargs["key"]},
        )
        user = getattr(self, "reset_user", None)
        membership = (
            Membership.objects.filter(user=user).select_related("organization").first()
            if user
            else None
        )
        context["organization"] = membership.organization if membership else None
        context["email"] = user.email if user else ""
        return context

    def form_valid(self, form) -> HttpResponse:
        form.save()
        user = self.reset_user
        messages.success(
            self.request,
            _("Welcome, %(name)s. Your password is set and you are signed in.")
            % {"name": user.get_full_name() or user.email},
        )
        return perform_login(self.request, user, redirect_url=reverse("portal:dashboard"))

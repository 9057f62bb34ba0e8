"""/billing/price-lists/: a seller's price list (the provider's to its resellers, a reseller's to
its customers): its rules, newest first, a form to add one, and a preview of an offer's prices
under the list. Global and Billing admins of providers and resellers
(`Action.MANAGE_PRICE_LISTS`). A fixed number of queries whatever the list's length."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from portal.form_tokens import FIELD as FORM_TOKEN
from portal.form_tokens import Repeat, create_once
from portal.models import Organization
from portal.paging import bounded_page
from portal.policy import Action
from portal.tenancy import TenantViewMixin
from relationships.selectors import active_providers_of_reseller

from . import selectors, services_prices
from .forms_prices import PricePreviewForm, PriceRuleForm
from .models import Offer, OfferPrice
from .pricing import price_preview

PAGE_SIZE = 25


class PriceListView(TenantViewMixin, View):
    required_action = Action.MANAGE_PRICE_LISTS
    template_name = "commerce/price_lists.html"

    def choices(self) -> dict[str, Any]:
        """The forms' choices: the offers on sale, the catalogue's currencies, the seller's own
        buyers (three queries)."""
        offers = list(
            Offer.objects.filter(is_active=True, prices__isnull=False)
            .distinct()
            .order_by("name", "pk")
            .values_list("pk", "name")
        )
        currencies = sorted(
            set(OfferPrice.objects.filter(offer__is_active=True).values_list("currency", flat=True))
        )
        buyers = list(selectors.price_list_buyers(organization=self.organization))
        return {
            "organization": self.organization,
            "offers": offers,
            "currencies": currencies,
            "buyers": buyers,
        }

    def preview(self, form: PricePreviewForm) -> dict[str, Any]:
        if not form.is_bound or not form.is_valid():
            return {"preview": None}
        data = form.cleaned_data
        price = (
            OfferPrice.objects.filter(offer_id=data["offer"], currency=data["currency"])
            .select_related("offer")
            .first()
        )
        if price is None:
            return {"preview": [], "preview_price": None}
        providers: list[Organization] = []
        if self.organization.kind == Organization.Kind.RESELLER:
            providers = list(active_providers_of_reseller(reseller=self.organization))
        return {
            "preview": price_preview(
                seller=self.organization,
                providers=providers,
                price=price,
                buyer_id=data.get("buyer"),
                at=data.get("at"),
            ),
            "preview_price": price,
        }

    def render_page(
        self, request: HttpRequest, form: PriceRuleForm, choices: dict[str, Any], status: int
    ) -> HttpResponse:
        preview_form = PricePreviewForm(
            request.GET if "offer" in request.GET else None, auto_id="preview_%s", **choices
        )
        page = bounded_page(
            selectors.price_rules_of(organization=self.organization),
            request.GET.get("page"),
            per_page=PAGE_SIZE,
        )
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "preview_form": preview_form,
                **self.preview(preview_form),
                "page": page,
                "is_provider": self.organization.kind == Organization.Kind.PROVIDER,
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        choices = self.choices()
        return self.render_page(request, PriceRuleForm(**choices), choices, 200)

    def post(self, request: HttpRequest) -> HttpResponse:
        choices = self.choices()
        form = PriceRuleForm(request.POST, **choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rule = create_once(
                    membership=self.membership,
                    purpose="commerce.price_rule",
                    key=data[FORM_TOKEN],
                    create=lambda: services_prices.price_rule_create(
                        actor=self.membership.user,
                        organization=self.organization,
                        offer_id=data["offer"],
                        currency=data["currency"],
                        buyer_id=data.get("buyer"),
                        kind=data["kind"],
                        markup_percent=data.get("markup_percent"),
                        fixed_price=data.get("fixed_price"),
                        effective_from=data["effective_from"],
                    ),
                    result_url=lambda _rule: reverse("commerce:price_lists"),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if isinstance(rule, Repeat):
                    return rule.response(request, _("This rule was already added."))
                messages.success(request, _("Price list rule added."))
                return redirect("commerce:price_lists")
        return self.render_page(request, form, choices, 400)

"""Pages of commerce: the order page for a customer and a subscription's page with the actions
its viewer may take. (The subscriptions list and Billing live in views_billing.py.)"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views import View

from portal.confirm import Confirmation, confirm_page, confirmed
from portal.form_tokens import FIELD as FORM_TOKEN
from portal.form_tokens import Repeat, create_once
from portal.models import Organization
from portal.paging import bounded_page
from portal.policy import Action, can
from portal.tenancy import TenantViewMixin
from relationships.models import CustomerRelationship
from relationships.selectors import customers_shared_with_provider, reseller_order_relationships

from . import selectors, services
from .billing import LIVE_STATUSES
from .currency import order_currency
from .forms import OrderForm, QuantityForm
from .models import Subscription
from .pricing import offers_tier_prices
from .visibility import seen_tier

Kind = Organization.Kind


class OrderView(TenantViewMixin, View):
    """/customers/<id>/order/: a provider orders for a customer a reseller shares with it; a
    reseller for one of its customers, through a provider that shares it. Anyone else: 404."""

    required_action = Action.PLACE_ORDER
    sold_through: int | None = None  # the reseller of a provider's order

    def _customer(self, customer_id: int) -> tuple[Organization, list[Organization] | None]:
        org = self.organization
        if org.kind == Kind.PROVIDER:
            shared = (
                customers_shared_with_provider(provider=org).filter(customer_id=customer_id).first()
            )
            if shared is None:
                raise Http404
            self.sold_through = shared.reseller_id
            return shared.customer, None
        own = (
            CustomerRelationship.objects.filter(
                reseller=org,
                customer_id=customer_id,
                status=CustomerRelationship.Status.ACTIVE,
            )
            .select_related("customer", "customer__country")
            .first()
        )
        if own is None:
            raise Http404
        rows = reseller_order_relationships(reseller=org, customer_id=customer_id)
        return own.customer, [row.provider for row in rows]

    def _prices(self, customer: Organization) -> list:
        currency = order_currency(customer)
        return list(selectors.prices_in(currency)) if currency else []

    def _price_tables(self, customer, prices, providers) -> list[dict[str, Any]]:
        """The offers with the prices the orderer may see (`commerce.visibility`): a provider
        its cost and its price to the reseller; a reseller, for each provider it may order
        through, its price from that provider and its price to the customer."""
        if not prices:
            return []
        pairs: list[tuple[Organization | None, int, int]]
        if providers is None:  # the provider orders
            assert self.sold_through is not None
            pairs = [(None, self.organization.pk, self.sold_through)]
        else:
            pairs = [(p, p.pk, self.organization.pk) for p in providers]
        tables = []
        for provider, provider_id, reseller_id in pairs:
            rows = offers_tier_prices(
                prices=prices, provider=provider_id, reseller=reseller_id, customer=customer
            )
            side = "provider" if providers is None else "reseller"
            table = []
            for row in rows:
                monthly_buy, monthly_sell = seen_tier(row.monthly, side)
                annual_buy, annual_sell = seen_tier(row.annual, side)
                table.append(
                    {
                        "offer": row.price.offer,
                        "currency": row.price.currency,
                        "monthly_buy": monthly_buy,
                        "monthly_sell": monthly_sell,
                        "annual_buy": annual_buy,
                        "annual_sell": annual_sell,
                    }
                )
            tables.append({"provider": provider, "rows": table})
        return tables

    def _page(self, request, customer, market, prices, providers, form, status):
        return render(
            request,
            "commerce/order.html",
            {
                "customer": customer,
                "market": market,
                "prices": prices,
                "price_tables": self._price_tables(customer, prices, providers),
                "is_provider": providers is None,
                "providers": providers,
                "form": form,
            },
            status=status,
        )

    def get(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        customer, providers = self._customer(customer_id)
        prices = self._prices(customer)
        form = OrderForm(prices=prices, providers=providers)
        return self._page(request, customer, customer.country, prices, providers, form, 200)

    def post(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        customer, providers = self._customer(customer_id)
        market = customer.country
        prices = self._prices(customer)
        form = OrderForm(request.POST, prices=prices, providers=providers)
        if form.is_valid():
            data = form.cleaned_data
            try:
                subscription = create_once(
                    membership=self.membership,
                    purpose="commerce.order",
                    key=data[FORM_TOKEN],
                    create=lambda: services.order_place(
                        actor=self.membership.user,
                        organization=self.organization,
                        customer_id=customer.pk,
                        offer_id=data["offer"],
                        quantity=data["quantity"],
                        term=data["term"],
                        billing_frequency=data["billing_frequency"],
                        provider_id=data.get("provider"),
                    ),
                    result_url=lambda placed: reverse(
                        "commerce:subscription_detail", args=[placed.pk]
                    ),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if isinstance(subscription, Repeat):
                    return subscription.response(
                        request, _("This order was already placed; here it is.")
                    )
                messages.success(
                    request,
                    _("Order placed: %(quantity)s x %(offer)s for %(customer)s.")
                    % {
                        "quantity": subscription.quantity,
                        "offer": subscription.offer.name,
                        "customer": customer.legal_name,
                    },
                )
                return redirect("commerce:subscription_detail", pk=subscription.pk)
        return self._page(request, customer, market, prices, providers, form, 400)


ACTIONS = {
    "quantity": Action.CHANGE_SUBSCRIPTION_QUANTITY,
    "auto-renew": Action.MANAGE_SUBSCRIPTION,
    "cancel": Action.MANAGE_SUBSCRIPTION,
    "suspend": Action.SUSPEND_SUBSCRIPTION,
    "reactivate": Action.SUSPEND_SUBSCRIPTION,
}


def _actor_name(event) -> str:
    """ "Person, Org" or "Person, Org (delegated)"; the system for the sweep's renewals."""
    if event.actor is None and event.actor_organization is None:
        return _("The portal (term end)")
    parts = [p for p in (event.actor.get_full_name() if event.actor else "",) if p]
    if event.actor_organization is not None:
        parts.append(event.actor_organization.legal_name)
    name = ", ".join(parts)
    return _("%(name)s (delegated)") % {"name": name} if event.delegated else name


def _event_text(event) -> str:
    details = event.details or {}
    if event.type == "quantity_changed":
        return _("Quantity %(from)s → %(to)s") % {
            "from": details.get("from"),
            "to": details.get("to"),
        }
    if event.type == "auto_renew_changed":
        return _("Auto-renew on") if details.get("auto_renew") else _("Auto-renew off")
    if event.type == "ordered":
        return _("Ordered %(quantity)s") % {"quantity": details.get("quantity")}
    return str(event.get_type_display())


class SubscriptionDetailView(TenantViewMixin, View):
    """/subscriptions/<pk>/: what was bought, its term, change window, cost and history, and the
    actions the viewer may take. Only its provider, reseller and customer see it (404 else)."""

    required_action = Action.VIEW_SUBSCRIPTIONS

    def subscription(self, pk: int) -> Subscription:
        subscription = selectors.subscription_for(organization=self.organization, pk=pk)
        if subscription is None:
            raise Http404
        return subscription

    def render_page(
        self,
        request: HttpRequest,
        subscription: Subscription,
        *,
        quantity_form: QuantityForm | None = None,
        error: str = "",
        status: int = 200,
    ) -> HttpResponse:
        membership = self.membership
        live = subscription.status in (Subscription.Status.ACTIVE, Subscription.Status.SUSPENDED)
        active = subscription.status == Subscription.Status.ACTIVE
        is_provider = subscription.provider_id == self.organization.pk
        history = bounded_page(
            selectors.subscription_history(subscription=subscription),
            request.GET.get("page"),
            per_page=25,
        )
        events = [
            {"event": e, "who": _actor_name(e), "what": _event_text(e)} for e in history.object_list
        ]
        return render(
            request,
            "commerce/subscription_detail.html",
            {
                "subscription": subscription,
                "page": history,
                "events": events,
                "error": error,
                "in_window": subscription.in_change_window,
                "can_change_quantity": active
                and can(membership, Action.CHANGE_SUBSCRIPTION_QUANTITY),
                "can_manage": live and can(membership, Action.MANAGE_SUBSCRIPTION),
                "can_suspend": is_provider
                and active
                and can(membership, Action.SUSPEND_SUBSCRIPTION),
                "can_reactivate": is_provider
                and subscription.status == Subscription.Status.SUSPENDED
                and can(membership, Action.SUSPEND_SUBSCRIPTION),
                "quantity_form": quantity_form
                or QuantityForm(initial={"quantity": subscription.quantity}),
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_page(request, self.subscription(pk))


# Actions that cannot be undone: their GET asks first (portal/confirm.py).
CONFIRMED_ACTIONS = {"cancel"}


class SubscriptionActionView(SubscriptionDetailView):
    """POST /subscriptions/<pk>/<action>/: one transition through `commerce.services`; a refusal
    is shown on the subscription's page with its reason. GET /subscriptions/<pk>/cancel/ asks
    for confirmation, as does a POST without it."""

    http_method_names = ["get", "post"]

    def confirm_cancel(self, request: HttpRequest, subscription: Subscription) -> HttpResponse:
        detail = reverse("commerce:subscription_detail", kwargs={"pk": subscription.pk})
        names = {"offer": subscription.offer.name, "customer": subscription.customer.legal_name}
        ends = formats.date_format(
            timezone.localtime(subscription.change_window_ends_at), "DATETIME_FORMAT"
        )
        return confirm_page(
            request,
            Confirmation(
                title=_("Cancel subscription"),
                question=_("Cancel %(offer)s for %(customer)s?") % names,
                explanation=[
                    _(
                        "The subscription ends now: %(customer)s loses %(offer)s and it is no "
                        "longer billed. This cannot be undone; to use the offer again, place a "
                        "new order."
                    )
                    % names,
                    _(
                        "Cancelling is possible until %(date)s (7 days after purchase or "
                        "renewal). The customer's and the reseller's administrators are "
                        "notified by email."
                    )
                    % {"date": ends},
                ],
                confirm_label=_("Yes, cancel the subscription"),
                keep_label=_("Keep the subscription"),
                back=detail,
                breadcrumb=[
                    (_("Subscriptions"), reverse("commerce:subscriptions")),
                    (subscription.offer.name, detail),
                ],
            ),
        )

    def get(self, request: HttpRequest, pk: int, action: str = "") -> HttpResponse:
        if action not in CONFIRMED_ACTIONS:
            raise Http404
        subscription = self.subscription(pk)
        if not can(self.membership, ACTIONS[action]):
            raise PermissionDenied
        if subscription.status not in LIVE_STATUSES:
            # Nothing left to cancel: the subscription's page says how it ended.
            return redirect("commerce:subscription_detail", pk=subscription.pk)
        return self.confirm_cancel(request, subscription)

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in ACTIONS:
            raise Http404
        subscription = self.subscription(pk)
        if action in CONFIRMED_ACTIONS and not confirmed(request):
            if not can(self.membership, ACTIONS[action]):
                raise PermissionDenied
            return self.confirm_cancel(request, subscription)
        kwargs: dict[str, Any] = {
            "actor": self.membership.user,
            "organization": self.organization,
            "subscription_id": subscription.pk,
        }
        quantity_form = None
        try:
            if action == "quantity":
                quantity_form = QuantityForm(request.POST)
                if not quantity_form.is_valid():
                    return self.render_page(
                        request, subscription, quantity_form=quantity_form, status=400
                    )
                services.subscription_quantity_change(
                    **kwargs, quantity=quantity_form.cleaned_data["quantity"]
                )
                done = _("Quantity changed.")
            elif action == "auto-renew":
                on = request.POST.get("auto_renew") == "on"
                services.subscription_auto_renew_set(**kwargs, auto_renew=on)
                done = _("Auto-renew turned on.") if on else _("Auto-renew turned off.")
            elif action == "cancel":
                services.subscription_cancel(**kwargs)
                done = _("Subscription cancelled.")
            elif action == "suspend":
                services.subscription_suspend(**kwargs)
                done = _("Subscription suspended.")
            else:
                services.subscription_reactivate(**kwargs)
                done = _("Subscription reactivated.")
        except Subscription.DoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            if quantity_form is not None:
                quantity_form.add_error("quantity", " ".join(exc.messages))
            subscription.refresh_from_db()
            return self.render_page(
                request,
                subscription,
                quantity_form=quantity_form,
                error="" if quantity_form is not None else " ".join(exc.messages),
                status=400,
            )
        messages.success(request, done)
        return redirect("commerce:subscription_detail", pk=subscription.pk)

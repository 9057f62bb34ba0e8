"""Apps that follow subscriptions (invoicing writes charge lines) register a hook here in their
AppConfig.ready(); `commerce.services` calls every hook inside the transition's transaction,
after its `SubscriptionEvent` is written, so what a hook writes commits or rolls back with the
change. Commerce knows no hook's app."""

from __future__ import annotations

from collections.abc import Callable

from .models import Subscription, SubscriptionEvent

SubscriptionHook = Callable[[Subscription, SubscriptionEvent], None]
_HOOKS: list[SubscriptionHook] = []


def register_subscription_hook(hook: SubscriptionHook) -> None:
    """Call `hook(subscription, event)` on every subscription transition (ordered, quantity
    changed, cancelled, renewed, expired, ...); registering twice is one registration."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def subscription_changed(subscription: Subscription, event: SubscriptionEvent) -> None:
    for hook in _HOOKS:
        hook(subscription, event)

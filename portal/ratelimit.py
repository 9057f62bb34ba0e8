"""The portal's one limiter for actions that send email on someone's behalf.

`rate_limit_consume(action=..., key=...)` counts one use of `action` by `key` (an organization,
an invitation) against `PORTAL_RATE_LIMITS[action]` ("20/h": 20 per hour) and raises
`RateLimited` once the limit is reached; `portal.errors.RateLimitedMiddleware` turns that into the
portal's 429 page, as `handler429` does for allauth's own limits. Counts live in the default
cache (Redis in production; see portal/cache.py for what happens while it is down), in fixed
windows: simple, one round trip, and at worst twice the limit across a window boundary."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .cache import ResilientRedisCache, count_use_with

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# What each limited action is, in the words the 429 page uses.
DESCRIPTIONS: dict[str, Promise] = {
    "reseller_invitation": _(
        "Your organization has sent as many partnership invitations as it can in a short time."
    ),
    "customer_invitation": _(
        "Your organization has sent as many customer invitations as it can in a short time."
    ),
    "user_invitation": _(
        "Your organization has added as many users as it can in a short time: each one gets "
        "an invitation email."
    ),
    "invitation_resend": _("This invitation was sent again as many times as it can be for now."),
    "bulk_invitation": _(
        "Your organization has sent as many files of invitations as it can in a short time."
    ),
}


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """ "20/h", "3/30m", "100/d" -> Rate."""
    amount, _slash, period = text.partition("/")
    unit = period[-1:]
    count = period[:-1] or "1"
    if unit not in UNITS or not amount.isdigit() or not count.isdigit():
        raise ValueError(f"rate limit {text!r}: use <amount>/<n><s|m|h|d>, e.g. 20/h")
    return Rate(int(amount), int(count) * UNITS[unit])


class RateLimited(Exception):
    """An action over its limit: the 429 page says what, and in how many seconds to retry."""

    def __init__(self, action: str, retry_after: int):
        super().__init__(action)
        self.action = action
        self.retry_after = retry_after

    @property
    def description(self) -> Promise | None:
        return DESCRIPTIONS.get(self.action)


def rate_limit_of(action: str) -> Rate | None:
    """The configured limit of `action` (None: not limited), for pages that say it."""
    spec = settings.PORTAL_RATE_LIMITS.get(action)
    return parse_rate(spec) if spec else None


@dataclass(frozen=True)
class Window:
    """The fixed window a use of `action` by a key counts in now: its counter's cache key, how
    long the counter lives, how many uses it allows and when the next window opens."""

    action: str
    counter: str
    timeout: int
    amount: int
    retry_after: int


def rate_limit_window(*, action: str, key: str) -> Window | None:
    """The window a use of `action` by `key` counts in now (None: `action` is not limited)."""
    rate = rate_limit_of(action)
    if rate is None:
        return None
    now = time.time()
    window = int(now // rate.seconds)
    return Window(
        action,
        f"portal:rl:{action}:{key}:{rate.seconds}:{window}",
        rate.seconds + 1,
        rate.amount,
        max(1, math.ceil((window + 1) * rate.seconds - now)),
    )


def rate_limit_consume(*, action: str, key: str, counted: tuple[str, int] | None = None) -> None:
    """Count one use of `action` by `key`; RateLimited when the limit is already reached.
    An action without a configured limit is not limited. `counted`: (counter, count) of a use
    already counted with another read (the API's caller look-up), taken when it is this
    window's counter."""
    window = rate_limit_window(action=action, key=key)
    if window is None:
        return
    if counted is not None and counted[0] == window.counter:
        count = counted[1]
    else:
        backend = caches["default"]
        if isinstance(backend, ResilientRedisCache):
            count = backend.count_use(window.counter, window.timeout)  # one round trip
        else:
            count = count_use_with(backend, window.counter, window.timeout)
    if count > window.amount:
        raise RateLimited(action, window.retry_after)

"""One pattern for every irreversible action (cancel a subscription, revoke an invitation, end a
relationship, remove admin access, decline, remove a member): its GET shows a page saying what
will happen, with "Yes, ..." and a way back that changes nothing; only a POST that carries the
confirmation field (the page's button) acts. A POST without it (an old form, a scripted click)
shows the same page instead of acting. The service stays the single rule; this is views only."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# The confirm page's button (name and value). Not "confirm": forms of the portal already have a
# "confirm" checkbox ("I authorize ..."), which a Decline in the same form would carry along.
CONFIRM_FIELD = "confirmed"
CONFIRM_VALUE = "yes"


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRM_FIELD) == CONFIRM_VALUE


@dataclass
class Confirmation:
    """What a confirm page says. `back`: where "keep" leads (the page the action came from);
    `action`: where the form posts (default: this URL); `hidden`: fields to post along (a
    choice the first form carried, such as `action=decline`); `breadcrumb`: (text, url) pairs
    before the page's own title."""

    title: str
    question: str
    explanation: list[str]
    confirm_label: str
    keep_label: str
    back: str
    action: str = ""
    hidden: dict[str, str] = field(default_factory=dict)
    breadcrumb: list[tuple[str, str]] = field(default_factory=list)


def confirm_page(request: HttpRequest, confirmation: Confirmation) -> HttpResponse:
    return render(request, "portal/confirm.html", {"confirmation": confirmation})

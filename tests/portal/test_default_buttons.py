"""Enter in a text field submits a form with its first submit button (the HTML "default
button"). Every form with more than one submit button puts its forward action first, through
one partial (portal/_form_actions.html): the wizard's Next before Back, Approve before Decline,
Authorize and Accept before Decline."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.delegation.gdap_factories import gdap_setup
from tests.enrollment.factories import drafting_user
from tests.factories import member
from tests.relationships.factories import (
    CustomerInvitationFactory,
    ResellerInvitationFactory,
    customer_org,
    reseller_org,
)

FORWARD = {"next", "approve", "authorize", "accept", "create_organization"}


def _submits(tag: str, kind: str | None) -> bool:
    """A submit button: <button> without a type or with type="submit", <input type="submit">
    or type="image"."""
    if tag == "button":
        return kind in (None, "submit")
    return tag == "input" and kind in ("submit", "image")


class _Forms(HTMLParser):
    """Each <form>'s submit buttons in page order, as their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[dict[str, str | None]]] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append([])
            self._open = True
        elif self._open and _submits(tag, attributes.get("type")):
            self.forms[-1].append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = False


def multi_button_forms(html: str) -> list[list[dict[str, str | None]]]:
    parser = _Forms()
    parser.feed(html)
    return [buttons for buttons in parser.forms if len(buttons) > 1]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_forward_first(html: str, expected: str) -> None:
    forms = multi_button_forms(html)
    assert forms, "the page has no form with two submit buttons"
    for buttons in forms:
        first = buttons[0]
        assert first.get("value") == expected, [b.get("value") for b in buttons]
        assert "btn-primary" in (first.get("class") or "")
        assert all(b.get("value") not in FORWARD for b in buttons[1:])


@pytest.mark.django_db
@pytest.mark.parametrize("step", ["legal", "contact", "support"])
def test_wizard_steps_put_next_before_back(step):
    draft = drafting_user(through="support")
    html = signed_in(draft.user).get(f"/enroll/reseller/{step}/").content.decode()
    assert_forward_first(html, "next")
    # Back is still there, laid out on the left (Back … Next) by the row-reverse flex box.
    assert 'value="back"' in html and "flex-row-reverse" in html


@pytest.mark.django_db
def test_the_gdap_email_link_puts_approve_before_decline():
    g = gdap_setup()
    relationship = g.request(["user_administrator"])
    page = signed_in(g.customer_admin.user).get(f"/partner-relationships/gdap/{relationship.key}/")
    assert_forward_first(page.content.decode(), "approve")


@pytest.mark.django_db
def test_invitation_pages_put_accepting_before_declining():
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    page = signed_in(member(reseller).user).get(f"/invitations/{invitation.key}/")
    assert_forward_first(page.content.decode(), "authorize")

    customer = customer_org()
    customer_invitation = CustomerInvitationFactory(invitee=customer)
    page = signed_in(member(customer).user).get(f"/invitations/{customer_invitation.key}/")
    assert_forward_first(page.content.decode(), "accept")


def test_no_template_writes_two_submit_buttons_in_one_form_by_hand():
    """A new form with two submit buttons goes through portal/_form_actions.html, which puts
    the forward action first; a hand-written pair could put Back first again."""
    root = Path(settings.BASE_DIR) / "templates"
    by_hand = []
    for path in sorted(root.rglob("*.html")):
        if path.name == "_form_actions.html":
            continue
        for buttons in multi_button_forms(path.read_text()):
            by_hand.append(f"{path.relative_to(root)}: {[b.get('value') for b in buttons]}")
    assert not by_hand, by_hand

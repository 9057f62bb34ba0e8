"""Recent changes (`{% recent_change_items %}`) and the Customers table's rows
(`{% customer_rows %}`) are written in Python (relationships/templatetags/relationship_rows.py):
they must come out exactly as the template loops they replaced (kept below) wrote them, hostile
names escaped, in every language."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils.translation import override

from relationships.models import InvitationEvent, RelationshipEvent
from relationships.selectors import Change

HOSTILE = "a \"quoted\" <b>tag</b> & 'apostrophe'"
WHEN = datetime(2026, 3, 4, 5, 6, 7, 123, tzinfo=UTC)

# relationships/_events.html's loop before `recent_change_items`.
EVENTS_REFERENCE = """{% load i18n portal_formats %}{% for event in events %}
    <li class="py-1 border-bottom"><time datetime="{{ event.created_at|machine_time }}" class="text-body-secondary small">{{ event.created_at|date:"DATETIME_FORMAT" }}</time> —
      {% if event.kind %}{% if event.actor_organization %}{% blocktranslate with what=event.get_type_display sender=event.organization.legal_name email=event.email by=event.actor_organization.legal_name %}{{ what }}: from {{ sender }} to {{ email }} (by {{ by }}){% endblocktranslate %}{% else %}{% blocktranslate with what=event.get_type_display sender=event.organization.legal_name email=event.email %}{{ what }}: from {{ sender }} to {{ email }}{% endblocktranslate %}{% endif %}{% else %}
      {% blocktranslate with what=event.get_type_display provider=event.relationship.provider.legal_name reseller=event.relationship.reseller.legal_name by=event.actor_organization.legal_name %}{{ what }}: {{ provider }} and {{ reseller }} (by {{ by }}){% endblocktranslate %}{% endif %}</li>
    {% endfor %}"""  # noqa: E501

# relationships/customers.html's loop before `customer_rows`.
CUSTOMERS_REFERENCE = """{% load i18n portal_urls %}{% for row in rows %}
    {% if is_provider and sort == "partner" %}{% ifchanged row.reseller_id %}{% if not forloop.first %}</tbody><tbody>{% endif %}<tr class="table-group"><th scope="rowgroup" colspan="4">{% blocktranslate with name=row.reseller.legal_name %}Shared by {{ name }}{% endblocktranslate %}</th></tr>{% endifchanged %}{% endif %}
    <tr>
      <th scope="row"><a href="{% row_url 'relationships:customer_detail' row.customer_id %}">{{ row.customer.legal_name }}</a></th>
      <td>{{ row.customer.country|default:"—" }}</td>
      <td>{% if is_provider %}{{ row.reseller.legal_name }}{% else %}{{ row.provider.legal_name }}{% endif %}</td>
      <td>{{ row.created_at|date:"DATE_FORMAT" }}</td>
    </tr>
  {% endfor %}"""  # noqa: E501


def _organization(name: str | None):
    return SimpleNamespace(legal_name=name) if name is not None else None


def _invitation_event(type_: str, by: str | None):
    event = InvitationEvent(kind="reseller", type=type_, email=f"x{HOSTILE}@example.com")
    reference = SimpleNamespace(
        kind="reseller",
        get_type_display=event.get_type_display,
        organization=_organization(HOSTILE),
        email=event.email,
        actor_organization=_organization(by),
        created_at=WHEN,
    )
    return reference, Change(WHEN, 1, True, type_, HOSTILE, event.email, by)


def _relationship_event(type_: str, by: str | None):
    event = RelationshipEvent(type=type_)
    reference = SimpleNamespace(
        kind="",
        get_type_display=event.get_type_display,
        relationship=SimpleNamespace(
            provider=_organization(f"P {HOSTILE}"), reseller=_organization(f"R {HOSTILE}")
        ),
        actor_organization=_organization(by),
        created_at=WHEN,
    )
    return reference, Change(WHEN, 2, False, type_, f"P {HOSTILE}", f"R {HOSTILE}", by)


@pytest.mark.parametrize("language", ["en", "it"])
def test_recent_change_items_write_what_the_template_wrote(language):
    pairs = [
        _invitation_event("sent", HOSTILE),
        _invitation_event("revoked", None),
        _invitation_event("unknown-type", None),
        _relationship_event("authorized", HOSTILE),
        _relationship_event("ended", None),
    ]
    engine = engines["django"]
    with override(language):
        expected = engine.from_string(EVENTS_REFERENCE).render(
            {"events": [reference for reference, _ in pairs]}
        )
        written = engine.from_string(
            "{% load relationship_rows %}{% recent_change_items events %}"
        ).render({"events": [change for _, change in pairs]})
    assert written == expected
    assert "&lt;b&gt;" in written and "<b>" not in written


def _customer_row(pk: int, reseller_id: int, country: str | None):
    return SimpleNamespace(
        customer_id=pk,
        customer=SimpleNamespace(legal_name=f"C{pk} {HOSTILE}", country=country),
        reseller_id=reseller_id,
        reseller=SimpleNamespace(legal_name=f"R{reseller_id} {HOSTILE}"),
        provider=SimpleNamespace(legal_name=f"P {HOSTILE}"),
        created_at=WHEN,
    )


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize(
    ("is_provider", "sort"), [(True, "partner"), (True, "-since"), (False, "partner")]
)
def test_customer_rows_write_what_the_template_wrote(language, is_provider, sort):
    rows = [
        _customer_row(1, 7, "Italia & co"),
        _customer_row(2, 7, None),
        _customer_row(3, 9, "<France>"),
        _customer_row(4, 7, ""),
    ]
    context = {"rows": rows, "is_provider": is_provider, "sort": sort}
    engine = engines["django"]
    with override(language):
        expected = engine.from_string(CUSTOMERS_REFERENCE).render(context)
        written = engine.from_string("{% load relationship_rows %}{% customer_rows rows %}").render(
            context
        )
    assert written == expected
    assert ("table-group" in written) == (is_provider and sort == "partner")

"""The automated checks' evidence as sentences the reviewer reads, in the reader's language.

The stored evidence is data (keys and values, see services/checks.py); it is worded here, when the
page is rendered, so that an old result reads in today's language and wording. An unknown key
(evidence written by an older version) is shown as "key: value" rather than hidden."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from portal.countries import country_name, region_name


def _country(code: Any) -> str:
    return f"{country_name(str(code), str(code))} ({code})" if code else _("none")


def _email_domain(ev: dict[str, Any]) -> list[str]:
    lines = [
        _("Primary contact's email domain: %(domain)s.")
        % {"domain": ev.get("contact_email_domain") or _("none")},
        _("Organization domain: %(domain)s.")
        % {"domain": ev.get("organization_domain") or _("none")},
    ]
    if ev.get("website_domain"):
        lines.append(_("Website domain: %(domain)s.") % {"domain": ev["website_domain"]})
    return lines


def _not_consumer(ev: dict[str, Any]) -> list[str]:
    return [_("Domain checked: %(domain)s.") % {"domain": ev.get("domain") or _("none")}]


def _no_duplicate(ev: dict[str, Any]) -> list[str]:
    lines = [
        _("Searched for %(name)s in %(country)s and the domains %(domains)s.")
        % {
            "name": ev.get("legal_name", ""),
            "country": _country(ev.get("country")),
            "domains": ", ".join(ev.get("domains") or []) or _("none"),
        }
    ]
    matches = ev.get("matches") or []
    if not matches:
        lines.append(_("No other organization matches."))
    for match in matches:
        lines.append(
            _("Matches %(name)s (%(domain)s).")
            % {"name": match.get("legal_name", ""), "domain": match.get("domain", "")}
        )
    return lines


def _csp_market(ev: dict[str, Any]) -> list[str]:
    if ev.get("region"):
        return [
            _("%(country)s is in the CSP region %(region)s.")
            % {"country": _country(ev.get("country")), "region": region_name(ev["region"])}
        ]
    return [_("%(country)s is not a CSP market.") % {"country": _country(ev.get("country"))}]


def _partner_id_country(ev: dict[str, Any]) -> list[str]:
    if ev.get("not_applicable"):
        return [_("No PartnerID is associated yet, so there is nothing to compare.")]
    return [
        _(
            "Associated PartnerID %(mpn_id)s is in %(id_country)s; "
            "the CSP account is in %(country)s."
        )
        % {
            "mpn_id": ev.get("partner_id", ""),
            "id_country": _country(ev.get("partner_id_country")),
            "country": _country(ev.get("account_country")),
        }
    ]


_WORDING = {
    "email_domain": (
        _email_domain,
        {"contact_email_domain", "organization_domain", "website_domain"},
    ),
    "not_consumer": (_not_consumer, {"domain"}),
    "no_duplicate": (_no_duplicate, {"legal_name", "country", "domains", "matches"}),
    "csp_market": (_csp_market, {"country", "region"}),
    "partner_id_country": (
        _partner_id_country,
        {"not_applicable", "partner_id", "partner_id_country", "account_country"},
    ),
}


def evidence_sentences(name: str, evidence: dict[str, Any]) -> list[str]:
    wording = _WORDING.get(name)
    if wording is None:
        return [f"{key}: {value}" for key, value in evidence.items()]
    words, known = wording
    lines = words(evidence)
    lines += [f"{key}: {value}" for key, value in evidence.items() if key not in known]
    return lines

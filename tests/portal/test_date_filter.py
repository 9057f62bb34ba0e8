"""`|date` (portal_formats, a builtin) remembers the text of a day or a minute: it writes what
Django's own filter writes, in the reader's language and time zone."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import defaultfilters, engines
from django.utils import timezone, translation

TEMPLATE = (
    '{{ d|date:"DATE_FORMAT" }}|{{ d|date:"DATETIME_FORMAT" }}|{{ d|date }}|{{ d|date:"c" }}'
    '|{{ d|date:"D j F Y, H:i:s" }}|{{ d|date:"j M \\a\\t H:i" }}|{{ day|date:"DATE_FORMAT" }}'
)


def _expected(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return "|".join(
        [
            defaultfilters.date(local, "DATE_FORMAT"),
            defaultfilters.date(local, "DATETIME_FORMAT"),
            defaultfilters.date(local),
            defaultfilters.date(local, "c"),
            defaultfilters.date(local, "D j F Y, H:i:s"),
            defaultfilters.date(local, "j M \\a\\t H:i"),
            defaultfilters.date(local.date(), "DATE_FORMAT"),
        ]
    )


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Rome", "America/New_York"])
def test_dates_read_as_django_writes_them(language, zone):
    template = engines["django"].from_string(TEMPLATE)
    start = datetime(2026, 3, 28, 22, 59, 30, 123456, tzinfo=UTC)  # a DST change in Rome
    moments = [start + timedelta(minutes=37 * i, seconds=i) for i in range(120)]
    with translation.override(language), timezone.override(zone):
        for moment in moments:
            rendered = template.render({"d": moment, "day": timezone.localtime(moment).date()})
            assert rendered == _expected(moment)


def test_the_same_moment_reads_in_each_language_and_zone_in_turn():
    template = engines["django"].from_string('{{ d|date:"DATETIME_FORMAT" }}/{{ d|date:"j F" }}')
    moment = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    seen = []
    for language, zone in [("en", "UTC"), ("it", "UTC"), ("en", "Europe/Rome"), ("en", "UTC")]:
        with translation.override(language), timezone.override(zone):
            seen.append(template.render({"d": moment}))
    assert seen == [
        "29 Nov 2026, 23:30/29 November",
        "29 nov 2026, 23:30/29 Novembre",
        "30 Nov 2026, 00:30/30 November",
        seen[0],
    ]


def test_empty_and_other_values_as_django():
    template = engines["django"].from_string('{{ d|date:"DATE_FORMAT" }}')
    for value in [None, "", "not a date", date(2026, 1, 2)]:
        assert template.render({"d": value}) == str(defaultfilters.date(value, "DATE_FORMAT"))

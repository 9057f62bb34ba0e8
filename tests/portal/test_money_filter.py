"""`|money` remembers an amount's text: the same amount reads in each reader's format in turn."""

from decimal import Decimal

from django.template import engines
from django.utils import translation


def test_an_amount_reads_in_each_language_in_turn():
    template = engines["django"].from_string(
        '{{ a|money:"EUR" }} {{ a|money:"JPY" }} {{ a|money:"CHF" }} {{ a|money }}'
    )
    seen = []
    for language in ("en", "it", "en", "it"):
        with translation.override(language):
            seen.append(template.render({"a": Decimal("1234567.5")}))
    assert (
        seen
        == [
            "€1,234,567.50 ¥1,234,567 1,234,567.50\u00a0CHF 1,234,567.50",
            "1.234.567,50\u00a0€ 1.234.567\u00a0¥ 1.234.567,50\u00a0CHF 1.234.567,50",
        ]
        * 2
    )


def test_equal_amounts_of_other_types_read_alike():
    template = engines["django"].from_string('{{ a|money:"USD" }}')
    with translation.override("en"):
        texts = {template.render({"a": a}) for a in (Decimal("12.5"), 12.5, "12.5")}
        assert texts == {"$12.50"}
        assert template.render({"a": None}) == template.render({"a": ""}) == ""


def test_a_credit_puts_the_minus_before_the_symbol():
    template = engines["django"].from_string('{{ a|money:"EUR" }} {{ a|money:"USD" }}')
    with translation.override("en"):
        assert template.render({"a": Decimal("-12.1")}) == "-€12.10 -$12.10"
    with translation.override("it"):
        assert template.render({"a": Decimal("-12.1")}) == "-12,10\u00a0€ -12,10\u00a0$"

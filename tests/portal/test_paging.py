"""portal.paging: capped counts and bounded pages cost two queries whatever the size."""

import pytest

from portal.models import Market
from portal.paging import bounded_page, capped_count, page_number

pytestmark = pytest.mark.django_db


def markets():
    return Market.objects.order_by("code")


def test_capped_count_is_exact_under_the_cap_and_flags_more():
    total = markets().count()
    assert capped_count(markets(), cap=total) == capped_count(markets(), cap=total + 5)
    assert not capped_count(markets(), cap=total).capped
    over = capped_count(markets(), cap=10)
    assert (over.value, over.capped) == (10, True)


@pytest.mark.parametrize("value", [None, "", "x", "0", "-3", "1"])
def test_bad_page_numbers_mean_the_first_page(value):
    assert page_number(value) == 1


def test_pages_within_the_cap_and_past_it(django_assert_num_queries):
    codes = list(markets().values_list("code", flat=True))
    with django_assert_num_queries(2):
        page = bounded_page(markets(), "3", per_page=4, cap=20)
    assert [m.code for m in page] == codes[8:12]
    assert (page.num_pages, page.more_pages, page.has_next(), page.has_previous()) == (
        5,
        True,
        True,
        True,
    )
    with django_assert_num_queries(2):  # past the cap: the last browsable page, same cost
        past = bounded_page(markets(), "6", per_page=4, cap=20)
    assert past.beyond_cap and past.number == 5 and past.requested == 6
    assert [m.code for m in past] == codes[16:20] and not past.has_next()
    assert past.previous_page_number() == 4


def test_a_number_past_the_last_page_shows_the_last_page():
    total = markets().count()
    page = bounded_page(markets(), "999", per_page=100, cap=10_000)
    assert page.number == page.num_pages and not page.beyond_cap
    assert len(page) == total - (page.num_pages - 1) * 100


def test_uncounted_page_reads_one_more_row_to_know_whether_another_follows(
    django_assert_num_queries,
):
    with django_assert_num_queries(1):
        page = bounded_page(markets(), "2", per_page=5, counted=False)
    assert len(page) == 5 and page.has_next() and page.has_previous()
    last = bounded_page(markets(), str(-(-markets().count() // 5)), per_page=5, counted=False)
    assert not last.has_next()


@pytest.mark.parametrize(("number", "cap"), [("1", 20), ("3", 20), ("1", 3), ("5", 20)])
def test_one_query_page_is_the_same_page_and_count_in_one_query(
    django_assert_num_queries, number, cap
):
    """A search's page (`one_query`): the same rows, count and links as the two-query page."""
    expected = bounded_page(markets(), number, per_page=4, cap=cap)
    with django_assert_num_queries(1):
        page = bounded_page(markets(), number, per_page=4, cap=cap, one_query=True)
    assert [m.code for m in page] == [m.code for m in expected]
    assert (page.count, page.number, page.num_pages, page.has_next()) == (
        expected.count,
        expected.number,
        expected.num_pages,
        expected.has_next(),
    )


def test_one_query_page_with_no_rows_counts_none_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        page = bounded_page(markets().filter(code="??"), "1", one_query=True)
    assert not page and page.count.value == 0 and not page.count.capped


def test_one_query_page_past_the_last_shows_the_last_page():
    codes = list(markets().values_list("code", flat=True))
    page = bounded_page(markets(), "99", per_page=4, cap=20, one_query=True)
    assert page.beyond_cap and page.number == 5 and [m.code for m in page] == codes[16:20]

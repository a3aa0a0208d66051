"""core.pagination.page_of: Paginator.get_page's answer, with the page and its total in one
query."""

import pytest
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator

from core.pagination import page_of
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    UserFactory.create_batch(7)
    return get_user_model().objects.order_by("pk")


def _same(page, expected) -> None:
    assert list(page) == list(expected)
    assert page.number == expected.number
    assert page.paginator.count == expected.paginator.count
    assert page.paginator.num_pages == expected.paginator.num_pages
    assert page.has_next() == expected.has_next()
    assert page.has_previous() == expected.has_previous()


@pytest.mark.parametrize("number", [None, "", "1", "2", "3"])
def test_a_page_and_its_total_come_in_one_query(people, number, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = page_of(people, number, 3)
        list(page)
        assert page.paginator.num_pages == 3
    _same(page, Paginator(people, 3).get_page(number))


@pytest.mark.parametrize("number", ["4", "99", "0", "-1", "two", "1.5"])
def test_past_the_end_or_not_a_page_number_answers_as_get_page(people, number):
    _same(page_of(people, number, 3), Paginator(people, 3).get_page(number))


def test_nothing_to_list_is_one_empty_first_page(django_assert_num_queries):
    nobody = get_user_model().objects.filter(pk=-1).order_by("pk")
    with django_assert_num_queries(1):
        page = page_of(nobody, "1", 3)
        assert list(page) == [] and page.paginator.count == 0 and page.number == 1


def test_the_total_follows_the_rows_under_it(people):
    assert page_of(people, "1", 3).paginator.count == 7
    UserFactory()
    assert page_of(people, "3", 3).paginator.count == 8

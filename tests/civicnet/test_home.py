import pytest
from django.core.cache import cache

from civicnet.selectors import HOME_COUNTERS_CACHE_KEY
from core.page_cache import page_cache_clear
from tests.members.factories import make_member

pytestmark = pytest.mark.django_db


def test_home_page_shows_promise_tools_counters_and_calls(visitor, home_page):
    response = visitor.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "We build and activate cross-sector teams." in html
    assert "City Vitals research" in html
    for label in (
        "Members in the national network",
        "Cities represented by members",
        "National Meeting attendees",
        "Metros ranked in City Vitals",
    ):
        assert label in html
    assert 'href="/membership/"' in html
    assert 'href="/newsletter/subscribe/"' in html


def test_home_page_has_empty_states_when_nothing_is_scheduled_or_published(visitor, home_page):
    html = visitor.get("/").content.decode()

    assert "No events are scheduled right now" in html
    assert "Nothing published yet" in html


def test_counters_count_active_members_and_their_distinct_cities(visitor, home_page, lapsed):
    make_member(email="a@example.org", home_city="Cleveland, OH")
    make_member(email="b@example.org", home_city="cleveland, oh ")
    make_member(email="c@example.org", home_city="Denver, CO")

    counters = visitor.get("/").context["counters"]

    assert counters["members"] == 3  # the lapsed member is not counted
    assert counters["cities"] == 2


def test_counters_are_cached_between_requests(visitor, home_page, django_assert_num_queries):
    visitor.get("/")
    assert cache.get(HOME_COUNTERS_CACHE_KEY) is not None
    make_member(email="late@example.org")
    page_cache_clear()  # render the page again, so only the counters come from the cache

    assert visitor.get("/").context["counters"]["members"] == 0  # served from the cache


def test_home_page_query_count_is_bounded(visitor, home_page, django_assert_num_queries):
    visitor.get("/")  # warm Wagtail's site-root cache
    cache.delete(HOME_COUNTERS_CACHE_KEY)
    page_cache_clear()  # a render, not the cached page (which asks nothing)
    # The Site, the home page, its view restrictions; the counters (3), the figures beside
    # them (2), the upcoming events and the latest posts (2).
    with django_assert_num_queries(11):
        visitor.get("/")


def test_unknown_url_gets_the_styled_404(visitor, home_page):
    response = visitor.get("/no-such-page/")

    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()
    assert 'class="site-header"' in response.content.decode()


def test_standard_page_renders_body_breadcrumbs_and_feedback(visitor, home_page):
    from tests.civicnet.factories import make_standard_page

    make_standard_page(home_page, body=[("heading", "How we work")])

    html = visitor.get("/about/").content.decode()

    assert "How we work" in html
    assert 'aria-label="Breadcrumb"' in html
    assert "Was this page helpful?" in html


def test_the_latest_posts_follow_publishing_and_view_restrictions(client, member, home_page):
    """They are kept between renders (core.page_cache.cached_fragment): a member's visit
    renders the page each time, and must see each change on the next visit."""
    import datetime

    from wagtail.models import PageViewRestriction

    from tests.blog.factories import make_blog_index, make_post

    blog = make_blog_index(home_page)
    make_post(blog, title="Older post", date=datetime.date(2026, 1, 1))
    client.force_login(member)
    assert "Older post" in client.get("/").content.decode()

    newer = make_post(blog, title="Newer post", date=datetime.date(2026, 6, 1), publish=False)
    newer.save_revision().publish()
    assert "Newer post" in client.get("/").content.decode()

    PageViewRestriction.objects.create(page=newer, restriction_type=PageViewRestriction.LOGIN)
    html = client.get("/").content.decode()
    assert "Newer post" not in html and "Older post" in html

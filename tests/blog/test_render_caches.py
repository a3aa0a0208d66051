"""A post's related, newer and older posts are kept between renders (core.page_cache's
fragments) and never go stale: publishing or unpublishing a post shows on the next render."""

import datetime
import re

import pytest

from tests.blog.factories import make_blog_index, make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def blog(home_page):
    return make_blog_index(home_page)


def render(client, url: str, n: int) -> str:
    """The post rendered afresh (a parameter no view reads: never a cached page)."""
    response = client.get(f"{url}?render={n}")
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "bypass"
    # Each response has its own CSP nonce and CSRF token; the rest is what the page shows.
    html = re.sub(r'nonce="[^"]+"', "", response.content.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_a_repeat_render_of_a_post_asks_only_for_the_post_itself(
    visitor, blog, django_assert_num_queries
):
    post = make_post(blog, tags=["transit"], date=datetime.date(2026, 3, 1))
    make_post(blog, title="Older transit news", tags=["transit"], date=datetime.date(2026, 2, 1))
    first = render(visitor, post.url, 1)
    # core.routing and the view restrictions (see test_signed_in_queries);
    # the related and neighbouring posts (7 queries on a first render) and the head and article
    # with their authors, tags and categories (3 more) come from fragments.
    with django_assert_num_queries(4):
        again = render(visitor, post.url, 2)
    assert again.replace("render=2", "render=1") == first
    assert "Older transit news" in again  # related, and the previous post


def test_publishing_a_newer_related_post_shows_on_the_next_render(visitor, blog):
    post = make_post(blog, tags=["transit"], date=datetime.date(2026, 3, 1))
    html = render(visitor, post.url, 1)
    assert "Next post" not in html and "Related posts" not in html

    make_post(blog, title="Buses, again", tags=["transit"], date=datetime.date(2026, 4, 1))

    html = render(visitor, post.url, 2)
    assert "Next post</span> Buses, again" in html
    assert "Related posts" in html


def test_unpublishing_a_post_drops_it_on_the_next_render(visitor, blog):
    post = make_post(blog, tags=["transit"], date=datetime.date(2026, 3, 1))
    newer = make_post(blog, title="Buses, again", tags=["transit"], date=datetime.date(2026, 4, 1))
    assert "Buses, again" in render(visitor, post.url, 1)

    newer.unpublish()

    assert "Buses, again" not in render(visitor, post.url, 2)

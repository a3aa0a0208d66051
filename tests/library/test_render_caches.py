"""The library index keeps this month's picks between renders (core.page_cache's fragments)
and never shows stale ones: publishing the index or a pick shows on the next render."""

import re

import pytest

from tests.library.factories import make_library, make_resource

pytestmark = pytest.mark.django_db


def render(client, n: int) -> str:
    """The index rendered afresh (a parameter no view reads: never a cached page)."""
    response = client.get(f"/library/?render={n}")
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "bypass"
    # Each response has its own CSP nonce and CSRF token; the rest is what the page shows.
    html = re.sub(r'nonce="[^"]+"', "", response.content.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.fixture
def library(home_page):
    library = make_library(home_page)
    pick = make_resource(library, title="Read this first")
    library.recommended = [("resource", {"resource": pick, "note": "Short and sharp."})]
    library.save_revision().publish()
    return library


def test_the_picks_are_asked_for_once(visitor, library, django_assert_num_queries):
    first = render(visitor, 1)
    # Wagtail's routing and view restrictions, the site's own; the picks, the facets and the
    # page of teasers (8 queries on a first render) come from fragments.
    with django_assert_num_queries(4):
        again = render(visitor, 2)
    assert again.replace("render=2", "render=1") == first
    assert "Short and sharp." in again


def test_publishing_new_picks_shows_on_the_next_render(visitor, library):
    assert "Short and sharp." in render(visitor, 1)
    other = make_resource(library, title="Then this")
    library.recommended = [("resource", {"resource": other, "note": "A new favourite."})]
    library.save_revision().publish()

    html = render(visitor, 2)
    assert "A new favourite." in html and "Short and sharp." not in html


def test_unpublishing_a_pick_drops_it_on_the_next_render(visitor, library):
    assert "Short and sharp." in render(visitor, 1)

    library.get_children().get(title="Read this first").specific.unpublish()

    assert "Short and sharp." not in render(visitor, 2)

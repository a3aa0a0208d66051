"""What City Vitals pages keep rendered between requests, and that nothing kept goes stale:
an import, a correction, an edition published or a page published shows on the next render,
for the page cache's misses too (a query string no view reads is never cached as a page)."""

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from tests.blog.factories import make_blog_index, make_post
from tests.core.test_cache import pickle_of_a_moved_class
from tests.vitals.factories import import_files, observations
from vitals.editions import edition_create, edition_publish
from vitals.models import Indicator

pytestmark = pytest.mark.django_db

METRO = "/vitals/metros/alpha-ny/"
ROWS = [
    "10001,college_attainment,2019,2019,0.40,0.01,acs1",
    "10002,college_attainment,2019,2019,0.30,,acs1",
    "10003,college_attainment,2019,2019,0.30,,acs1",
    "10004,college_attainment,2019,2019,0.20,,acs1",
    "10001,transit_use,2019,2019,0.01,,acs1",
    "10002,transit_use,2019,2019,0.02,,acs1",
    "10003,transit_use,2019,2019,0.04,,acs1",
    "10004,transit_use,2019,2019,0.03,,acs1",
]


@pytest.fixture
def figures():
    import_files(observations_csv=observations(*ROWS))
    Indicator.objects.filter(code__in=["college_attainment", "transit_use"]).update(
        is_headline=True
    )


def render(client, path: str, n: int = 0) -> str:
    """The page rendered afresh by its view (a parameter no view reads: never a cached page)."""
    response = client.get(f"{path}?render={n}")
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "bypass"
    return response.content.decode()


def test_a_metro_page_renders_its_figures_once_until_they_change(
    visitor, figures, django_assert_num_queries
):
    first = render(visitor, METRO, 1)
    # The metro and the peer groups: the cards, ranks, charts, nearest peers, related posts and
    # the citation's current edition come from the kept fragment.
    with django_assert_num_queries(2):
        again = render(visitor, METRO, 2)
    assert again.replace("render=2", "render=1") == first  # the citation names the URL asked
    assert "40.0%" in again and "1 of 4" in again


def test_an_import_that_corrects_a_figure_shows_on_the_next_render(
    visitor, figures, django_capture_on_commit_callbacks
):
    assert 'vitals-card__value">40.0%' in render(visitor, METRO, 1)

    with django_capture_on_commit_callbacks(execute=True):
        import_files(
            observations_csv=observations("10001,college_attainment,2019,2019,0.42,0.01,acs1")
        )

    html = render(visitor, METRO, 2)
    assert 'vitals-card__value">42.0%' in html


def test_publishing_an_edition_shows_on_the_next_render(
    visitor, figures, django_capture_on_commit_callbacks
):
    assert "vitals-card__move" not in render(visitor, METRO, 1)

    with django_capture_on_commit_callbacks(execute=True):
        for title, slug in [("Edition one", "e1"), ("Edition two", "e2")]:
            edition_publish(edition=edition_create(title=title, slug=slug, data_through=2019))

    html = render(visitor, METRO, 2)
    assert "vitals-card__move" in html and "Edition one" in html
    assert "Current edition: Edition two" in html  # the citation


def test_publishing_a_post_about_the_city_shows_on_the_next_render(visitor, home_page, figures):
    assert "Nothing written about Alpha yet." in render(visitor, METRO, 1)

    make_post(make_blog_index(home_page), title="What Alpha learned from its buses")

    html = render(visitor, METRO, 2)
    assert "What Alpha learned from its buses" in html
    assert "Nothing written about Alpha yet." not in html


RANKINGS = "/vitals/"
CELLS = "vitals/includes/rankings_cells.html"


def test_a_reweighted_rankings_page_renders_its_figure_cells_once_until_they_change(
    visitor, figures, django_capture_on_commit_callbacks
):
    first = visitor.get(f"{RANKINGS}?w_transit_use=3&render=1")
    assert CELLS in [t.name for t in first.templates]
    assert '40.0%<span class="vitals-rank">#1</span>' in first.content.decode()

    # Another weighting and order: the same kept cells, joined to its own overall column.
    again = visitor.get(f"{RANKINGS}?w_transit_use=2&sort=metro&render=2")
    assert again["X-Page-Cache"] == "bypass"
    assert CELLS not in [t.name for t in again.templates]
    fresh = visitor.get(f"{RANKINGS}?w_transit_use=2&sort=metro&q=a&render=2")  # filtered: not kept
    assert CELLS in [t.name for t in fresh.templates]
    assert '40.0%<span class="vitals-rank">#1</span>' in again.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        import_files(
            observations_csv=observations("10001,college_attainment,2019,2019,0.42,0.01,acs1")
        )

    html = visitor.get(f"{RANKINGS}?w_transit_use=3&render=3").content.decode()
    assert '42.0%<span class="vitals-rank">#1</span>' in html
    assert "40.0%" not in html


def test_rankings_rows_from_kept_cells_match_rows_rendered_afresh(visitor, figures):
    queries = ["", "w_transit_use=3", "w_college_attainment=0&sort=college_attainment&dir=desc"]
    for n, query in enumerate(queries):
        cache.clear()
        fresh = visitor.get(f"{RANKINGS}?{query}&render={n}")
        assert CELLS in [t.name for t in fresh.templates]
        kept = visitor.get(f"{RANKINGS}?{query}&render={n}")
        assert CELLS not in [t.name for t in kept.templates]
        assert kept.content == fresh.content


def test_what_a_release_before_kept_is_drawn_afresh_and_replaced(visitor, figures):
    """Entries holding a class a release has since renamed or moved (the metro's fragment,
    the navigation's, the cached page) are misses, not a 500, and are written again."""
    assert "40.0%" in visitor.get(METRO).content.decode()
    store = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    kept = [*store.scan_iter("*page-cache:fragment:*"), *store.scan_iter("*page-cache:page:*")]
    assert any(b"page-cache:fragment:vitals-metro:" in key for key in kept)
    assert any(b"page-cache:page:" in key for key in kept)
    moved = pickle_of_a_moved_class()
    for key in kept:
        store.set(key, moved)

    response = visitor.get(METRO)

    assert response.status_code == 200 and response["X-Page-Cache"] == "miss"
    assert 'vitals-card__value">40.0%' in response.content.decode()
    assert all(store.get(key) not in (None, moved) for key in kept)
    assert visitor.get(METRO)["X-Page-Cache"] == "hit"

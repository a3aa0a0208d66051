import datetime

import pytest
from defusedxml import ElementTree
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.models import Page

from blog.blocks import BlogBodyBlock, diverging_bars
from blog.models import BlogIndexPage, BlogPage
from blog.selectors import latest_posts
from civicnet.models import HomePage, StandardPage
from tests.blog.factories import (
    AuthorFactory,
    CategoryFactory,
    make_blog_index,
    make_image,
    make_post,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def blog(home_page):
    return make_blog_index(home_page)


# --- page-model rules --------------------------------------------------------------------
def test_blog_index_lives_only_under_the_home_page_and_holds_only_posts():
    assert BlogIndexPage.can_create_at(HomePage()) is True
    assert BlogIndexPage.can_create_at(StandardPage()) is False
    assert BlogIndexPage.allowed_subpage_models() == [BlogPage]
    assert BlogPage.allowed_parent_page_models() == [BlogIndexPage]
    assert BlogPage.allowed_subpage_models() == []


def test_there_is_only_one_blog_index(blog, home_page):
    assert BlogIndexPage.can_create_at(home_page) is False


# --- blocks -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("block_type", "value", "expected"),
    [
        ("heading", "Why buses matter", "<h2>Why buses matter</h2>"),
        ("paragraph", "<p>Plain <b>words</b>.</p>", "<b>words</b>"),
        ("quote", {"quote": "Cities are teams.", "attribution": "A mayor"}, "A mayor"),
        (
            "call_to_action",
            {"heading": "Join us", "link_url": "/membership/", "link_text": "Join now"},
            'href="/membership/"',
        ),
        (
            "data_figure",
            {
                "title": "Commute minutes",
                "unit": " min",
                "rows": [{"label": "Denver", "value": "25.5"}, {"label": "Austin", "value": "51"}],
                "source": "ACS 2024",
            },
            'style="width: 50%"',
        ),
    ],
)
def test_each_body_block_renders(block_type, value, expected):
    block = BlogBodyBlock()
    stream = block.to_python([{"type": block_type, "value": value}])
    if block_type == "paragraph":
        stream = block.to_python([{"type": block_type, "value": value}])
    html = str(block.render(stream))
    assert expected in html


def test_image_block_renders_a_picture_with_alt_text_and_caption():
    image = make_image("A bus at dusk")
    block = BlogBodyBlock()
    stream = block.to_python(
        [
            {
                "type": "image",
                "value": {
                    "image": {"image": image.pk, "alt_text": "A bus", "decorative": False},
                    "caption": "Route 15",
                },
            }
        ]
    )
    html = str(block.render(stream))
    assert "<picture>" in html
    assert 'alt="A bus"' in html
    assert "Route 15" in html


def test_data_figure_needs_at_least_one_row():
    block = BlogBodyBlock().child_blocks["data_figure"]
    with pytest.raises(ValidationError):
        block.clean(block.to_python({"title": "Empty", "rows": []}))


# --- the post -------------------------------------------------------------------------------
@pytest.mark.usefixtures("site_evening")  # the dates are the site's, not UTC's (a day ahead)
def test_post_shows_byline_reading_time_tags_share_links_and_structured_data(visitor, blog):
    author = AuthorFactory(name="Dana Whitfield", role="Transit analyst")
    category = CategoryFactory(name="Transit")
    post = make_post(
        blog,
        title="The bus network redesign that worked",
        authors=[author],
        categories=[category],
        tags=["buses", "data"],
        hero_image=make_image("Bus shelter"),
        body=[("paragraph", "<p>" + "word " * 700 + "</p>")],
    )

    response = visitor.get(post.url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Dana Whitfield" in html and 'href="/blog/author/dana-whitfield/"' in html
    assert "4 min read" in html
    assert 'href="/blog/tag/buses/"' in html
    assert "linkedin.com/sharing" in html
    assert 'property="og:title" content="The bus network redesign that worked"' in html
    assert 'name="twitter:card" content="summary_large_image"' in html
    assert '"@type": "Article"' in html
    assert '"headline": "The bus network redesign that worked"' in html
    assert f'"dateModified": "{timezone.localdate().isoformat()}"' in html
    assert 'alt="Bus shelter"' in html


def test_post_whose_hero_image_file_is_gone_still_renders(visitor, blog):
    # A restored database without its media files, or a file removed from storage: the page
    # must still render (Wagtail's "not found" rendition), not answer 500.
    image = make_image("Lost photo")
    post = make_post(blog, title="Photo gone", hero_image=image)
    image.file.storage.delete(image.file.name)
    image.renditions.all().delete()

    response = visitor.get(post.url)

    assert response.status_code == 200
    assert '"headline": "Photo gone"' in response.content.decode()


def test_post_links_related_posts_and_its_neighbours(visitor, blog):
    transit = CategoryFactory(name="Transit")
    older = make_post(blog, title="Older", date=datetime.date(2026, 1, 1), categories=[transit])
    post = make_post(blog, title="Middle", date=datetime.date(2026, 2, 1), tags=["buses"])
    newer = make_post(blog, title="Newer", date=datetime.date(2026, 3, 1), tags=["buses"])
    post.categories.set([transit])
    post.save_revision().publish()

    context = visitor.get(post.url).context

    assert context["older_post"].pk == older.pk
    assert context["newer_post"].pk == newer.pk
    assert {p.pk for p in context["related_posts"]} == {older.pk, newer.pk}


def test_draft_posts_are_not_listed_or_served(visitor, blog):
    draft = make_post(blog, title="Not yet", publish=False)

    assert visitor.get("/blog/").status_code == 200
    assert "Not yet" not in visitor.get("/blog/").content.decode()
    assert visitor.get(f"/blog/{draft.slug}/").status_code == 404


# --- the index ------------------------------------------------------------------------------
def test_index_filters_by_category_tag_author_and_year_at_clean_urls(visitor, blog):
    author = AuthorFactory(name="Sam Okafor")
    series = CategoryFactory(name="Changemaker", is_series=True, description="Monthly Q&A.")
    make_post(blog, title="Interview with a mayor", categories=[series], authors=[author])
    make_post(blog, title="Housing data", tags=["housing"], date=datetime.date(2025, 5, 1))

    def titles(url):
        response = visitor.get(url)
        assert response.status_code == 200, url
        return [post.title for post in response.context["posts"]]

    assert titles("/blog/category/changemaker/") == ["Interview with a mayor"]
    series_page = visitor.get("/blog/category/changemaker/").content.decode()
    assert "Monthly Q&amp;A." in series_page
    assert "A monthly series" in series_page
    assert titles("/blog/tag/housing/") == ["Housing data"]
    assert titles("/blog/author/sam-okafor/") == ["Interview with a mayor"]
    assert titles("/blog/year/2025/") == ["Housing data"]
    assert visitor.get("/blog/category/nope/").status_code == 404


def test_index_is_paginated_ten_a_page(visitor, blog):
    for _ in range(12):
        make_post(blog)

    assert len(visitor.get("/blog/").context["posts"]) == 10
    assert len(visitor.get("/blog/?page=2").context["posts"]) == 2
    assert visitor.get("/blog/?page=9").status_code == 404


def _count_queries(django_assert_max_num_queries, visitor, url, limit):
    visitor.get(url)  # warm Wagtail's site cache
    with django_assert_max_num_queries(limit) as captured:
        assert visitor.get(url).status_code == 200
    return len(captured)


def test_index_and_post_query_counts_do_not_grow_with_ten_times_the_posts(
    visitor, blog, django_assert_max_num_queries
):
    author = AuthorFactory()
    category = CategoryFactory()

    def add(n):
        for _ in range(n):
            make_post(
                blog, authors=[author], categories=[category], tags=["data"], hero_image=image
            )

    image = make_image()
    add(3)
    post = BlogPage.objects.live().first()
    few_index = _count_queries(django_assert_max_num_queries, visitor, "/blog/", 30)
    few_post = _count_queries(django_assert_max_num_queries, visitor, post.url, 40)
    add(27)
    many_index = _count_queries(django_assert_max_num_queries, visitor, "/blog/", 30)
    many_post = _count_queries(django_assert_max_num_queries, visitor, post.url, 40)

    assert many_index == few_index
    assert many_post == few_post


# --- home page cards ---------------------------------------------------------------------
def test_latest_posts_gives_the_home_page_cards(blog):
    category = CategoryFactory(name="Data")
    make_post(blog, title="First", date=datetime.date(2026, 1, 1))
    make_post(blog, title="Second", date=datetime.date(2026, 2, 3), categories=[category])

    cards = latest_posts(limit=1)

    assert len(cards) == 1
    card = cards[0]
    assert (card.title, card.category_label, card.date_label) == (
        "Second",
        "Data",
        "3 February 2026",
    )
    assert card.url == "/blog/" + Page.objects.get(title="Second").slug + "/"
    assert card.standfirst


# --- feeds ------------------------------------------------------------------------------
def test_rss_feed_is_valid_rss_with_the_newest_posts(visitor, blog):
    category = CategoryFactory(name="Transit")
    make_post(blog, title="Buses & bikes", categories=[category], authors=[AuthorFactory()])

    response = visitor.get("/blog/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for required in ("title", "link", "description"):
        assert channel.find(required) is not None
    item = channel.find("item")
    assert item.findtext("title") == "Buses & bikes"
    assert item.findtext("link").startswith("http://testserver/blog/")
    assert item.findtext("pubDate")
    assert item.findtext("category") == "Transit"


def test_atom_feed_is_valid_atom(visitor, blog):
    make_post(blog, title="Talent moves")

    response = visitor.get("/blog/feed/atom/")

    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    entry = root.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Talent moves"
    for required in ("id", "updated", "link"):
        assert entry.find(f"{ATOM}{required}") is not None


def test_category_feeds_hold_only_that_category(visitor, blog):
    series = CategoryFactory(name="Changemaker")
    make_post(blog, title="Q&A with a founder", categories=[series])
    make_post(blog, title="Something else")

    for url in ("/blog/category/changemaker/feed/", "/blog/category/changemaker/feed/atom/"):
        body = visitor.get(url).content.decode()
        ElementTree.fromstring(body)
        assert "Q&amp;A with a founder" in body
        assert "Something else" not in body
    assert visitor.get("/blog/category/nope/feed/").status_code == 404


def test_sitemap_lists_blog_posts(visitor, blog):
    post = make_post(blog, title="Mapped")
    assert post.full_url in visitor.get("/sitemap.xml").content.decode() or (
        post.url in visitor.get("/sitemap.xml").content.decode()
    )


# --- data figures with mixed signs -------------------------------------------------------------
def render_figure(rows, **fields):
    block = BlogBodyBlock()
    value = {"title": "Change in boardings", "unit": "%", "rows": rows, **fields}
    return str(block.render(block.to_python([{"type": "data_figure", "value": value}])))


def test_mixed_signs_put_the_zero_line_between_the_largest_drop_and_the_largest_gain():
    figure = diverging_bars([18, 11, -3, -6])

    assert figure["zero"] == 25  # 6 of the 24 points of range lie left of zero
    assert [bar["percent"] for bar in figure["bars"]] == [75, 46, 12, 25]
    assert figure["has_negative"] is True


def test_negative_bars_are_drawn_left_of_zero_and_scaled_by_magnitude():
    rows = [
        {"label": "City A", "value": "18"},
        {"label": "City C", "value": "-3"},
        {"label": "City D", "value": "-6"},
    ]
    html = render_figure(rows)

    assert 'class="data-figure data-figure--diverging" style="--zero: 25%"' in html
    assert 'data-figure__bar" style="width: 75%"' in html
    assert 'data-figure__bar data-figure__bar--negative" style="width: 12%"' in html
    assert 'data-figure__bar data-figure__bar--negative" style="width: 25%"' in html
    assert ">-6%<" in html


def test_all_positive_figures_start_at_the_left_edge_without_a_zero_line():
    html = render_figure([{"label": "A", "value": "5"}, {"label": "B", "value": "10"}])

    assert 'class="data-figure" style="--zero: 0%"' in html
    assert 'style="width: 50%"' in html and 'style="width: 100%"' in html


def test_all_negative_figures_put_zero_at_the_right_edge():
    html = render_figure([{"label": "A", "value": "-5"}, {"label": "B", "value": "-10"}])

    assert 'style="--zero: 100%"' in html
    assert html.count("data-figure__bar--negative") == 2


def test_editors_name_the_column_headings_and_the_unit_is_added():
    rows = [{"label": "Denver", "value": "-2.5"}]
    named = render_figure(rows, label_heading="Metro", value_heading="Change in boardings")
    unnamed = render_figure(rows, unit=" min")

    assert '<th scope="col">Metro</th><th scope="col">Change in boardings (%)</th>' in named
    assert '<th scope="col">Item</th><th scope="col">Value (min)</th>' in unnamed

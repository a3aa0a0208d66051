import datetime

import pytest
from wagtail.models import Page

from civicnet.search import highlight
from tests.blog.factories import CategoryFactory, make_blog_index, make_post
from tests.library.factories import SECRET, make_library, make_resource, topic
from tests.members.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(home_page):
    blog = make_blog_index(home_page)
    library = make_library(home_page)
    make_post(
        blog,
        title="Frequent buses change everything",
        standfirst="Why the ten-minute bus wins riders.",
        categories=[CategoryFactory(name="Transit")],
        body=[("paragraph", "<p>Frequency is freedom for riders in every city.</p>")],
    )
    make_resource(
        library,
        title="Bus network redesign toolkit",
        summary="A guide to redrawing bus routes.",
        topics=[topic("Transit")],
        body=[("paragraph", f"<p>{SECRET}: the confidential bus ridership worksheet.</p>")],
    )
    return blog, library


def results_for(client, query, **params):
    response = client.get("/search/", {"q": query, **params})
    assert response.status_code == 200
    return response


def test_search_finds_posts_and_library_teasers_with_type_labels(visitor, content):
    response = results_for(visitor, "bus")
    html = response.content.decode()
    kinds = {result.kind_label for result in response.context["results"]}

    assert kinds == {"Blog post", "Library resource"}
    assert "Frequent buses change everything" in html
    assert "Bus network redesign toolkit" in html
    assert "Members only" in html


@pytest.mark.parametrize("persona", ["visitor", "registered", "member", "lapsed", "staff"])
def test_members_only_text_never_appears_in_results(persona, request, client, content):
    if persona != "visitor":
        client.login(username=request.getfixturevalue(persona).username, password=PASSWORD)

    assert "confidential" not in results_for(client, "bus").content.decode()
    assert SECRET not in results_for(client, "bus").content.decode()
    # Words found only in a resource's members-only body find nothing.
    assert len(results_for(client, "confidential worksheet").context["results"]) == 0


def test_snippets_highlight_the_matching_words(visitor, content):
    html = results_for(visitor, "freedom").content.decode()

    assert "<mark>freedom</mark>" in html


def test_highlight_escapes_the_text_and_trims_around_the_match():
    text = "word " * 100 + "<b>transit</b> matters " + "more " * 100

    snippet = highlight(text, "transit")

    assert "&lt;b&gt;<mark>transit</mark>&lt;/b&gt;" in snippet
    assert snippet.startswith("… ") and snippet.endswith("…")
    assert len(snippet) < 400


def test_results_can_be_narrowed_to_one_type(visitor, content):
    response = results_for(visitor, "bus", type="resource")

    assert [r.title for r in response.context["results"]] == ["Bus network redesign toolkit"]
    tabs = {tab["label"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs == {"All": 2, "Blog posts": 1, "Library resources": 1}


def test_results_are_paginated(visitor, content):
    blog, _ = content
    for n in range(12):
        make_post(blog, title=f"Zoning story {n}", date=datetime.date(2026, 1, n + 1))

    first = results_for(visitor, "zoning")
    second = results_for(visitor, "zoning", page=2)

    assert len(first.context["results"]) == 10
    assert len(second.context["results"]) == 2
    assert "q=zoning&amp;page=2" in first.content.decode()


def test_a_misspelt_query_is_corrected(visitor, content):
    response = results_for(visitor, "frequnet")

    assert response.context["correction"] == "frequent"
    assert "Frequent buses change everything" in response.content.decode()


def test_no_results_suggests_content(visitor, content):
    html = results_for(visitor, "xylophone").content.decode()

    assert "Nothing matched" in html
    assert "Frequent buses change everything" in html  # suggested from the blog
    assert "Bus network redesign toolkit" in html  # suggested from the library


def test_empty_search_page_suggests_content(visitor, content):
    html = visitor.get("/search/").content.decode()

    assert "Popular right now" in html
    assert "Frequent buses change everything" in html


def test_search_query_count_is_bounded(visitor, content, django_assert_max_num_queries):
    blog, _ = content
    for n in range(15):
        make_post(blog, title=f"Bus story {n}")
    visitor.get("/search/?q=bus")
    with django_assert_max_num_queries(30):
        visitor.get("/search/?q=bus")


def test_published_events_are_found_and_labelled_drafts_are_not(visitor, content):
    from tests.events.factories import EventFactory

    EventFactory(title="Bus rapid transit workshop", slug="brt-workshop")
    EventFactory(title="Bus depot secret planning", slug="brt-draft", is_published=False)

    response = results_for(visitor, "bus")
    events = [r for r in response.context["results"] if r.kind == "event"]

    assert [r.title for r in events] == ["Bus rapid transit workshop"]
    assert events[0].url == "/events/brt-workshop/"
    assert "Event" in {r.kind_label for r in response.context["results"]}


# --- ranking: titles and summaries above passing mentions ----------------------------------
@pytest.fixture
def ranked(home_page):
    from tests.events.factories import EventFactory

    blog = make_blog_index(home_page)
    library = make_library(home_page)
    passing = "<p>On the way we passed a parking garage, a parking lot and more parking.</p>"
    make_post(
        blog,
        title="A walk through downtown",
        standfirst="Notes from a Saturday on foot.",
        body=[("paragraph", passing)],
    )
    make_post(
        blog,
        title="Parking reform, city by city",
        standfirst="What happened when minimums went.",
        body=[("paragraph", "<p>Twelve cities changed their rules.</p>")],
    )
    make_resource(
        library,
        title="Curb management guide",
        summary="How to price parking at the curb.",
        body=[("paragraph", "<p>Members-only detail.</p>")],
    )
    EventFactory(
        title="Street trees webinar",
        slug="street-trees",
        summary="Shade for every block.",
        body="<p>We will also talk about parking, briefly.</p>",
    )
    return home_page


def test_a_title_match_ranks_above_a_summary_match_above_passing_mentions(visitor, ranked):
    response = results_for(visitor, "parking")
    order = [(result.kind, result.title) for result in response.context["results"]]

    assert order[:2] == [
        ("post", "Parking reform, city by city"),
        ("resource", "Curb management guide"),
    ]
    assert set(order[2:]) == {
        ("post", "A walk through downtown"),
        ("event", "Street trees webinar"),
    }


def test_a_standfirst_match_ranks_above_a_body_mention(visitor, ranked):
    make_post(
        Page.objects.get(slug="blog").specific,
        title="The quiet street",
        standfirst="A parking-free block, a year on.",
        body=[("paragraph", "<p>Children play where cars stood.</p>")],
    )

    titles = [result.title for result in results_for(visitor, "parking").context["results"]]

    assert titles.index("The quiet street") < titles.index("A walk through downtown")
    assert titles.index("Parking reform, city by city") < titles.index("The quiet street")


def test_an_event_title_match_ranks_above_a_post_that_only_mentions_it(visitor, ranked):
    titles = [result.title for result in results_for(visitor, "trees").context["results"]]
    make_post(
        Page.objects.get(slug="blog").specific,
        title="Summer in the city",
        body=[("paragraph", "<p>Trees, trees and more trees on every street.</p>")],
    )
    titles = [result.title for result in results_for(visitor, "trees").context["results"]]

    assert titles == ["Street trees webinar", "Summer in the city"]


def test_results_show_their_type(visitor, ranked):
    html = results_for(visitor, "parking").content.decode()

    for label in ("Blog post", "Library resource", "Event"):
        assert f'class="search-result__kind">{label}' in html


def test_an_event_snippet_does_not_repeat_its_summary(visitor, home_page):
    from tests.events.factories import EventFactory

    summary = "Counting how streets are really used."
    EventFactory(
        title="Open data", slug="open-data", summary=summary, body=f"<p>{summary} An hour.</p>"
    )

    (result,) = results_for(visitor, "counting").context["results"]

    assert result.snippet.count("Counting") == 1
    assert "An hour." in result.snippet

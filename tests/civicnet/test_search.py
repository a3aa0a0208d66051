import datetime

import pytest

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

import datetime

import pytest
from defusedxml import ElementTree
from django.utils import timezone

from civicnet.models import HomePage, StandardPage
from library.models import LibraryIndexPage, ResourceDownload, ResourcePage
from library.selectors import library_collection
from tests.library.factories import (
    SECRET,
    city,
    make_document,
    make_library,
    make_resource,
    topic,
)
from tests.members.factories import PASSWORD

pytestmark = pytest.mark.django_db

PERSONAS = ["visitor", "registered", "member", "lapsed", "staff"]
READS_IN_FULL = {"member"}


@pytest.fixture
def library(home_page):
    return make_library(home_page)


@pytest.fixture
def toolkit(library):
    return make_resource(
        library,
        title="Complete streets toolkit",
        summary="How to redesign a street in ninety days.",
        topics=[topic("Transit")],
        cities=[city("Cleveland, OH")],
        documents=[make_document(title="Streets checklist")],
    )


def browser_for(persona, request, client):
    """A test client signed in as the persona (the visitor stays anonymous)."""
    if persona != "visitor":
        user = request.getfixturevalue(persona)
        client.login(username=user.username, password=PASSWORD)
    return client


# --- page-model rules -------------------------------------------------------------------
def test_library_index_lives_under_the_home_page_and_holds_only_resources(library, home_page):
    assert LibraryIndexPage.can_create_at(StandardPage()) is False
    assert LibraryIndexPage.can_create_at(home_page) is False  # there is one already
    assert LibraryIndexPage.allowed_subpage_models() == [ResourcePage]
    assert ResourcePage.allowed_parent_page_models() == [LibraryIndexPage]
    assert HomePage in LibraryIndexPage.allowed_parent_page_models()


# --- the access matrix over a resource page ------------------------------------------------
@pytest.mark.parametrize("persona", PERSONAS)
def test_resource_page_access_matrix(persona, request, client, toolkit):
    browser = browser_for(persona, request, client)

    response = browser.get(toolkit.url)

    html = response.content.decode()
    assert response.status_code == 200
    # The teaser is for everyone.
    assert "Complete streets toolkit" in html
    assert "How to redesign a street in ninety days." in html
    assert "Transit" in html
    if persona in READS_IN_FULL:
        assert SECRET in html
        assert "Streets checklist" in html
        assert "Members read the full resource" not in html
    else:
        assert SECRET not in html
        assert "/documents/" not in html
        assert 'href="/membership/"' in html
    cache_control = response.get("Cache-Control", "")
    if persona == "visitor":
        assert "private" not in cache_control  # the public teaser may be cached
    else:
        assert "private" in cache_control
    assert "Cookie" in response["Vary"]


def test_anonymous_visitor_is_asked_to_join_or_log_in(visitor, toolkit):
    html = visitor.get(toolkit.url).content.decode()

    assert "Become a member" in html
    assert f"/accounts/login/?next={toolkit.url}" in html.replace("%2F", "/")


def test_lapsed_member_is_asked_to_renew(client, lapsed, toolkit):
    client.force_login(lapsed)

    html = client.get(toolkit.url).content.decode()

    assert "Renew your membership" in html
    assert SECRET not in html


def test_editors_preview_shows_the_full_resource_privately(staff, toolkit):
    response = toolkit.make_preview_request(extra_request_attrs={"user": staff})

    assert SECRET in response.content.decode()
    assert "private" in response["Cache-Control"]


# --- documents ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "status"),
    [("visitor", 302), ("registered", 403), ("member", 200), ("lapsed", 403), ("staff", 200)],
)
def test_library_file_direct_url_access_matrix(persona, status, request, client, toolkit):
    document = toolkit.documents.first().document
    browser = browser_for(persona, request, client)

    response = browser.get(f"/documents/{document.pk}/{document.filename}")

    assert response.status_code == status
    assert "private" in response["Cache-Control"]
    if status == 200:
        assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    if persona == "visitor":
        assert response["Location"].startswith("/accounts/login/?next=/documents/")


def test_file_in_the_library_collection_is_members_only_even_unattached(visitor, library):
    document = make_document(title="Loose draft")

    assert visitor.get(document.url).status_code == 302


def test_public_documents_are_served_to_everyone(visitor, library):
    document = make_document(title="Annual report", in_library=False)

    response = visitor.get(document.url)

    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")


def test_files_are_never_served_straight_from_the_media_folder(client, member, toolkit):
    document = toolkit.documents.first().document
    client.force_login(member)

    assert client.get(f"/media/{document.file.name}").status_code == 404


def test_member_downloads_are_counted_per_resource_and_month(client, member, staff, toolkit):
    document = toolkit.documents.first().document
    client.force_login(member)
    for _ in range(2):
        client.get(document.url)
    client.force_login(staff)
    client.get(document.url)  # an editor checking the file is not a member download

    counter = ResourceDownload.objects.get(resource=toolkit)
    assert counter.count == 2
    assert counter.month == timezone.localdate().replace(day=1)


def test_staff_see_download_counts_in_a_report(client, member, staff, toolkit):
    client.force_login(member)
    client.get(toolkit.documents.first().document.url)
    client.force_login(staff)

    response = client.get("/admin/reports/library-downloads/")

    assert response.status_code == 200
    assert "Complete streets toolkit" in response.content.decode()


# --- caches never mix people's pages ------------------------------------------------------
def _with_shared_cache(settings):
    settings.MIDDLEWARE = [
        "django.middleware.cache.UpdateCacheMiddleware",
        *settings.MIDDLEWARE,
        "django.middleware.cache.FetchFromCacheMiddleware",
    ]
    settings.CACHE_MIDDLEWARE_SECONDS = 300


@pytest.mark.parametrize("shared_cache", [False, True], ids=["site", "shared-cache"])
def test_no_cache_serves_a_members_page_to_anyone_else(
    shared_cache, settings, client, member, toolkit
):
    if shared_cache:
        _with_shared_cache(settings)
    client.force_login(member)
    assert SECRET in client.get(toolkit.url).content.decode()
    client.logout()

    from django.test import Client

    anonymous = Client()
    for _ in range(2):
        assert SECRET not in anonymous.get(toolkit.url).content.decode()


@pytest.mark.parametrize("shared_cache", [False, True], ids=["site", "shared-cache"])
def test_no_cache_serves_the_anonymous_teaser_to_a_member(
    shared_cache, settings, client, member, toolkit
):
    if shared_cache:
        _with_shared_cache(settings)
    from django.test import Client

    anonymous = Client()
    for _ in range(2):
        assert SECRET not in anonymous.get(toolkit.url).content.decode()
    client.force_login(member)

    assert SECRET in client.get(toolkit.url).content.decode()


# --- the index: facets, sort, pagination ------------------------------------------------------
def test_index_lists_teasers_with_facet_counts_and_filters(visitor, library):
    transit, housing = topic("Transit"), topic("Housing")
    make_resource(library, title="Bus lanes", topics=[transit], cities=[city("Denver, CO")])
    make_resource(
        library,
        title="Zoning toolkit",
        topics=[housing],
        resource_type=ResourcePage.ResourceType.TOOLKIT,
    )
    make_resource(library, title="Rail report", topics=[transit])

    response = visitor.get("/library/")
    html = response.content.decode()
    facets = response.context["facets"]

    assert SECRET not in html
    assert {o["label"]: o["count"] for o in facets["type"]} == {"Report": 2, "Toolkit": 1}
    assert {o["label"]: o["count"] for o in facets["topic"]} == {"Housing": 1, "Transit": 2}
    assert {o["label"]: o["count"] for o in facets["city"]} == {"Denver, CO": 1}

    filtered = visitor.get("/library/?topic=transit")
    assert [r.title for r in filtered.context["resources"]] == ["Rail report", "Bus lanes"] or [
        r.title for r in filtered.context["resources"]
    ] == ["Bus lanes", "Rail report"]
    assert {o["label"]: o["count"] for o in filtered.context["facets"]["type"]} == {"Report": 2}
    typed = visitor.get("/library/?type=toolkit")
    assert [r.title for r in typed.context["resources"]] == ["Zoning toolkit"]


def test_index_sorts_by_newest_or_most_useful(client, member, library):
    old = make_resource(
        library, title="Old favourite", date=datetime.date(2024, 1, 1), documents=[make_document()]
    )
    make_resource(library, title="Brand new", date=datetime.date(2026, 6, 1))
    client.force_login(member)
    client.get(old.documents.first().document.url)

    newest = [r.title for r in client.get("/library/").context["resources"]]
    useful = [r.title for r in client.get("/library/?sort=useful").context["resources"]]

    assert newest == ["Brand new", "Old favourite"]
    assert useful == ["Old favourite", "Brand new"]


def test_index_shows_this_months_recommendations(visitor, library):
    pick = make_resource(library, title="Read this first")
    library.recommended = [("resource", {"resource": pick, "note": "Short and sharp."})]
    library.save_revision().publish()

    html = visitor.get("/library/").content.decode()

    assert "Recommended this month" in html
    assert "Short and sharp." in html


def test_index_paginates_and_keeps_the_filters(visitor, library):
    transit = topic("Transit")
    for _ in range(14):
        make_resource(library, topics=[transit])

    page_one = visitor.get("/library/?topic=transit")
    assert len(page_one.context["resources"]) == 12
    assert 'href="?topic=transit&amp;page=2"' in page_one.content.decode()
    assert len(visitor.get("/library/?topic=transit&page=2").context["resources"]) == 2
    assert visitor.get("/library/?page=5").status_code == 404


def test_index_query_count_does_not_grow_with_ten_times_the_resources(
    client, member, library, django_assert_max_num_queries
):
    transit, cleveland = topic("Transit"), city("Cleveland, OH")

    def add(n):
        for _ in range(n):
            make_resource(library, topics=[transit], cities=[cleveland])

    def count(url):
        client.get(url)
        with django_assert_max_num_queries(30) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    client.force_login(member)
    add(2)
    few = count("/library/"), count("/library/?sort=useful&topic=transit")
    add(18)
    many = count("/library/"), count("/library/?sort=useful&topic=transit")

    assert many == few


def test_resource_page_query_count_does_not_grow_with_content(
    client, member, library, django_assert_max_num_queries
):
    client.force_login(member)
    resource = make_resource(library, documents=[make_document(), make_document()])

    def count():
        client.get(resource.url)
        with django_assert_max_num_queries(30) as captured:
            client.get(resource.url)
        return len(captured)

    few = count()
    for _ in range(20):
        make_resource(library, documents=[make_document()])
    assert count() == few


# --- feeds and sitemap leak nothing ------------------------------------------------------------
def test_library_feed_carries_teasers_only(visitor, toolkit):
    for url in ("/library/feed/", "/library/feed/atom/"):
        response = visitor.get(url)
        ElementTree.fromstring(response.content)
        body = response.content.decode()
        assert "Complete streets toolkit" in body
        assert "How to redesign a street in ninety days." in body
        assert SECRET not in body
        assert "/documents/" not in body


def test_sitemap_lists_teaser_pages_but_no_files_or_members_only_text(visitor, toolkit):
    body = visitor.get("/sitemap.xml").content.decode()

    assert "/library/complete-streets-toolkit/" in body or toolkit.slug in body
    assert "/documents/" not in body
    assert SECRET not in body


def test_library_collection_is_created_once():
    assert library_collection().pk == library_collection().pk


def test_documents_are_served_by_django_not_by_redirect(settings):
    assert settings.WAGTAILDOCS_SERVE_METHOD == "serve_view"


@pytest.mark.parametrize("persona", PERSONAS)
def test_feeds_and_sitemap_never_carry_members_only_material_for_anyone(
    persona, request, client, toolkit
):
    browser = browser_for(persona, request, client)

    for url in ("/library/feed/", "/library/feed/atom/", "/blog/feed/", "/sitemap.xml"):
        response = browser.get(url)
        assert response.status_code == 200, url
        ElementTree.fromstring(response.content)
        assert SECRET not in response.content.decode()
        assert "/documents/" not in response.content.decode()

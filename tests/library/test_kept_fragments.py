"""The library index's listing (LibraryIndexPage.listing) and a resource's members-only full
copy (ResourcePage.full_copy) are kept between renders and never go stale: publishing,
unpublishing, or editing a topic, a document or an image shows on the next render. The full
copy is kept for members only: nothing of it ever reaches anyone else."""

import pytest
from django.test import Client

from library import models as library_models
from library.models import ResourcePage
from tests.blog.factories import make_image
from tests.civicnet.test_page_cache import redis_commands
from tests.library.factories import SECRET, make_document, make_library, make_resource, topic

pytestmark = pytest.mark.django_db

_renders = iter(range(1, 10_000))


@pytest.fixture
def library(home_page):
    return make_library(home_page)


@pytest.fixture
def toolkit(library):
    return make_resource(
        library,
        title="Complete streets toolkit",
        topics=[topic("Transit")],
        documents=[make_document(title="Streets checklist")],
    )


def render(client, url: str) -> str:
    """The page rendered afresh (a parameter no view reads: never a cached page)."""
    separator = "&" if "?" in url else "?"
    response = client.get(f"{url}{separator}render={next(_renders)}")
    assert response.status_code == 200
    return response.content.decode()


def kept(client, url: str) -> str:
    """Render twice: the second answer comes from the kept fragments."""
    render(client, url)
    return render(client, url)


@pytest.fixture
def fragments_kept(monkeypatch):
    """The names of the fragments the library asks for."""
    names = []
    real = library_models.cached_fragment

    def recording(name, compute):
        names.append(name)
        return real(name, compute)

    monkeypatch.setattr(library_models, "cached_fragment", recording)
    return names


# --- the index's listing ----------------------------------------------------------------------
def test_a_kept_listing_asks_no_query_for_facets_or_teasers(
    visitor, toolkit, django_assert_num_queries
):
    first = render(visitor, "/library/")
    # Routing, view restrictions and the Site; the picks, the facets and the teasers are kept.
    with django_assert_num_queries(4):
        again = render(visitor, "/library/")
    assert again.split('class="library__layout"')[1] == first.split('class="library__layout"')[1]
    assert "Complete streets toolkit" in again and "Transit" in again


def test_a_listing_filtered_by_a_known_topic_is_kept(visitor, toolkit, django_assert_num_queries):
    make_resource(toolkit.get_parent(), title="Zoning basics", topics=[topic("Housing")])
    html = kept(visitor, "/library/?topic=transit")
    assert "Complete streets toolkit" in html and "Zoning basics" not in html
    with django_assert_num_queries(4):
        render(visitor, "/library/?topic=transit")


def test_an_unknown_filter_or_sort_keeps_nothing(visitor, toolkit, fragments_kept):
    render(visitor, "/library/?topic=no-such-topic")
    render(visitor, "/library/?city=nowhere")
    render(visitor, "/library/?sort=useful")
    assert visitor.get("/library/?page=1e0").status_code == 404

    assert not [name for name in fragments_kept if name.startswith("library-listing:")]
    render(visitor, "/library/?topic=transit")
    assert [name for name in fragments_kept if name.startswith("library-listing:")]


def test_publishing_a_resource_shows_in_the_listing(visitor, library, toolkit):
    assert "Rail report" not in kept(visitor, "/library/")

    make_resource(library, title="Rail report", topics=[topic("Transit")])

    html = render(visitor, "/library/")
    assert "Rail report" in html and "2 resources" in html


def test_a_new_revision_of_a_resource_shows_in_the_listing(visitor, toolkit):
    assert "Complete streets toolkit" in kept(visitor, "/library/")

    toolkit.title = "Complete streets handbook"
    toolkit.save_revision().publish()

    html = render(visitor, "/library/")
    assert "Complete streets handbook" in html and "Complete streets toolkit" not in html


def test_unpublishing_a_resource_drops_it_from_the_listing(visitor, toolkit):
    assert "Complete streets toolkit" in kept(visitor, "/library/?topic=transit")

    toolkit.unpublish()

    assert "Complete streets toolkit" not in render(visitor, "/library/?topic=transit")
    assert "Complete streets toolkit" not in render(visitor, "/library/")


def test_renaming_a_topic_shows_in_the_listing(visitor, toolkit):
    assert ">Transit</a>" in kept(visitor, "/library/")

    transit = topic("Transit")
    transit.name = "Public transport"
    transit.save()

    assert ">Public transport</a>" in render(visitor, "/library/")


def test_a_listing_a_member_filled_shows_a_visitor_no_members_only_copy(
    client, member, visitor, toolkit
):
    client.force_login(member)
    kept(client, "/library/")

    html = render(Client(), "/library/")

    assert "Complete streets toolkit" in html
    assert SECRET not in html and "/documents/" not in html


# --- a resource's members-only full copy ----------------------------------------------------------
@pytest.fixture
def reader(client, member):
    client.force_login(member)
    return client


def test_a_kept_full_copy_asks_no_query_for_its_files(reader, toolkit, django_assert_num_queries):
    first = render(reader, toolkit.url)
    with django_assert_num_queries(5):
        again = render(reader, toolkit.url)
    assert SECRET in again and "Streets checklist" in again
    body = again.split('<div class="resource__body">')[1].split("</section>")[0]
    assert body == first.split('<div class="resource__body">')[1].split("</section>")[0]


def test_a_reader_s_kept_tags_and_full_copy_come_in_one_cache_round_trip(reader, toolkit):
    render(reader, toolkit.url)

    with redis_commands() as commands:
        render(reader, toolkit.url)

    [both] = [command for command in commands if "library-full-copy:" in command]
    assert both.startswith("MGET ") and f"library-resource-tags:{toolkit.pk}" in both
    assert not [c for c in commands if "library-resource-tags:" in c and c is not both]


@pytest.mark.parametrize("persona", ["visitor", "registered", "lapsed"])
def test_a_kept_full_copy_never_reaches_anyone_but_members(
    persona, request, reader, toolkit, client
):
    assert SECRET in kept(reader, toolkit.url)
    other = Client()
    if persona != "visitor":
        other.force_login(request.getfixturevalue(persona))

    for _ in range(2):
        html = render(other, toolkit.url)
        assert SECRET not in html and "Streets checklist" not in html
        assert "/documents/" not in html
        response = other.get(toolkit.url)  # the page cache's copy, for the visitor
        assert SECRET not in response.content.decode()


def test_a_new_revision_shows_in_the_full_copy(reader, toolkit):
    assert SECRET in kept(reader, toolkit.url)

    toolkit.body = [("paragraph", "<p>The second edition.</p>")]
    toolkit.save_revision().publish()

    html = render(reader, toolkit.url)
    assert "The second edition." in html and SECRET not in html


def test_a_saved_draft_does_not_show_in_the_full_copy(reader, toolkit):
    kept(reader, toolkit.url)

    toolkit.body = [("paragraph", "<p>Not checked yet.</p>")]
    toolkit.save_revision()

    assert "Not checked yet." not in render(reader, toolkit.url)


def test_unpublishing_a_resource_stops_serving_its_full_copy(reader, toolkit):
    kept(reader, toolkit.url)

    toolkit.unpublish()

    assert reader.get(f"{toolkit.url}?render=0").status_code == 404


def test_editing_or_removing_a_document_shows_in_the_full_copy(reader, toolkit):
    document = toolkit.documents.get().document
    assert "Streets checklist" in kept(reader, toolkit.url)

    document.title = "Streets checklist, second edition"
    document.save()
    assert "Streets checklist, second edition" in render(reader, toolkit.url)

    document.delete()
    html = render(reader, toolkit.url)
    assert "Streets checklist" not in html and "/documents/" not in html


def test_editing_an_image_in_the_body_shows_in_the_full_copy(reader, library):
    image = make_image("Street map")
    resource = make_resource(library, body=[("image", {"image": image, "caption": "The network"})])
    assert 'alt="Street map"' in kept(reader, resource.url)

    image.description = "Map of the new bus network"
    image.save()

    assert 'alt="Map of the new bus network"' in render(reader, resource.url)


def test_a_preview_renders_the_draft_and_keeps_nothing(reader, staff, toolkit):
    assert SECRET in kept(reader, toolkit.url)
    toolkit.body = [("paragraph", "<p>Draft wording.</p>")]
    toolkit.save_revision()
    draft = ResourcePage.objects.get(pk=toolkit.pk).get_latest_revision_as_object()

    preview = draft.make_preview_request(extra_request_attrs={"user": staff})

    assert "Draft wording." in preview.content.decode()
    html = render(reader, toolkit.url)
    assert SECRET in html and "Draft wording." not in html

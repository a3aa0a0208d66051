"""A post's head tags, article and JSON-LD are kept between renders (BlogPage.post_fragments)
and never go stale: a new revision, an unpublish, or an edit to an author, a category, a tag
or an image shows on the next render; a preview always renders the draft."""

import datetime
import re

import pytest

from blog.models import BlogPage
from members.services import account_delete
from tests.blog.factories import (
    AuthorFactory,
    CategoryFactory,
    make_blog_index,
    make_image,
    make_post,
)
from tests.members.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def blog(home_page):
    return make_blog_index(home_page)


@pytest.fixture
def post(blog):
    return make_post(
        blog,
        title="Buses that come on time",
        authors=[AuthorFactory(name="Dana Whitfield", bio="Writes about transit.")],
        categories=[CategoryFactory(name="Transit")],
        tags=["buses"],
        hero_image=make_image("Bus shelter"),
        date=datetime.date(2026, 3, 1),
    )


_renders = iter(range(1, 10_000))


def render(client, url: str) -> str:
    """The post rendered afresh (a parameter no view reads: never a cached page)."""
    response = client.get(f"{url}?render={next(_renders)}")
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "bypass"
    return response.content.decode()


def kept(client, url: str) -> str:
    """Render twice: the second answer comes from the kept fragments."""
    render(client, url)
    return render(client, url)


def test_a_kept_post_asks_no_query_for_its_authors_tags_categories_or_image(
    visitor, post, django_assert_num_queries
):
    first = render(visitor, post.url)
    # Routing, view restrictions and the Site (see tests/blog/test_render_caches.py).
    with django_assert_num_queries(4):
        again = render(visitor, post.url)

    def without_nonces(html):
        html = re.sub(r'nonce="[^"]+"', "", html)
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        return re.sub(r"render=\d+", "", html)

    assert without_nonces(again) == without_nonces(first)
    assert "Dana Whitfield" in again and 'href="/blog/tag/buses/"' in again
    assert 'alt="Bus shelter"' in again and '"@type": "Article"' in again


def test_publishing_a_new_revision_shows_on_the_next_render(visitor, post):
    assert "Buses that come on time" in kept(visitor, post.url)

    post.title = "Buses that come every ten minutes"
    post.body = [("paragraph", "<p>" + "word " * 700 + "</p>")]
    post.save_revision().publish()

    html = render(visitor, post.url)
    assert 'property="og:title" content="Buses that come every ten minutes"' in html
    assert '"headline": "Buses that come every ten minutes"' in html
    assert "4 min read" in html  # the word count of the new text


def test_a_saved_draft_does_not_show_until_it_is_published(visitor, post):
    kept(visitor, post.url)

    post.title = "Not ready yet"
    post.save_revision()

    assert "Not ready yet" not in render(visitor, post.url)


def test_unpublishing_the_post_stops_serving_it(visitor, post):
    kept(visitor, post.url)

    post.unpublish()

    assert visitor.get(f"{post.url}?render=0").status_code == 404


def test_editing_an_author_shows_on_the_next_render(visitor, post):
    author = post.authors.get()
    assert "Writes about transit." in kept(visitor, post.url)

    author.name = "Dana W. Whitfield"
    author.bio = "Writes about buses and trains."
    author.photo = make_image("Dana")
    author.save()

    html = render(visitor, post.url)
    assert "Dana W. Whitfield" in html and "Writes about buses and trains." in html
    assert 'class="author-bio__photo"' in html
    assert '"name": "Dana W. Whitfield"' in html  # the JSON-LD too

    author.delete()
    assert "Dana W. Whitfield" not in render(visitor, post.url)


def test_deleting_the_member_an_author_links_to_drops_the_profile_link(visitor, post):
    author = post.authors.get()
    author.member = make_member(email="dana@example.org")
    author.save()
    assert "Dana Whitfield's member profile" in kept(visitor, post.url)

    account_delete(user=author.member)

    assert "member profile" not in render(visitor, post.url)


def test_editing_a_category_shows_on_the_next_render(visitor, post):
    category = post.categories.get()
    assert ">Transit</a>" in kept(visitor, post.url)

    category.name = "Mobility"
    category.save()
    html = render(visitor, post.url)
    assert ">Mobility</a>" in html and '"articleSection": "Mobility"' in html

    category.delete()
    assert ">Mobility</a>" not in render(visitor, post.url)


def test_editing_a_tag_shows_on_the_next_render(visitor, post):
    tag = post.tags.get()
    assert 'content="buses"' in kept(visitor, post.url)

    tag.name = "Bus rapid transit"
    tag.save()
    html = render(visitor, post.url)
    assert 'property="article:tag" content="Bus rapid transit"' in html
    assert ">Bus rapid transit</a>" in html

    tag.delete()
    assert "Bus rapid transit" not in render(visitor, post.url)


def test_editing_or_removing_the_hero_image_shows_on_the_next_render(visitor, post):
    image = post.hero_image
    assert 'alt="Bus shelter"' in kept(visitor, post.url)

    image.description = "A bus shelter at dusk"
    image.save()
    html = render(visitor, post.url)
    assert 'alt="A bus shelter at dusk"' in html
    assert 'property="og:image:alt" content="A bus shelter at dusk"' in html

    image.renditions.all().delete()  # as Wagtail does when a new file is uploaded
    assert re.search(r'og:image" content="[^"]+fill-1200x630', render(visitor, post.url))

    image.delete()
    html = render(visitor, post.url)
    assert "og:image" not in html and "post__hero" not in html


def test_each_host_gets_its_own_absolute_addresses(visitor, post, settings):
    settings.ALLOWED_HOSTS = ["testserver", "civicnet.example"]
    assert "http://testserver/" in kept(visitor, post.url)

    html = visitor.get(f"{post.url}?render=0", HTTP_HOST="civicnet.example").content.decode()

    assert "http://civicnet.example/" in html and "http://testserver/" not in html


def test_a_preview_renders_the_draft_and_keeps_nothing(visitor, staff, post):
    kept(visitor, post.url)
    post.title = "Draft headline"
    post.save_revision()
    draft = BlogPage.objects.get(pk=post.pk).get_latest_revision_as_object()

    preview = draft.make_preview_request(extra_request_attrs={"user": staff})

    html = preview.content.decode()
    assert 'property="og:title" content="Draft headline"' in html
    assert '"headline": "Draft headline"' in html
    assert "Draft headline" not in render(visitor, post.url)


def test_a_preview_of_a_never_published_post_renders(staff, blog):
    draft = make_post(blog, title="First draft", publish=False)

    html = draft.make_preview_request(extra_request_attrs={"user": staff}).content.decode()

    assert "First draft" in html

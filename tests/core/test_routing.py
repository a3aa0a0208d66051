"""core.routing finds the page Wagtail would, in a fixed number of queries at any depth, and
core.pages.OneQueryViewRestrictionsMixin gives Wagtail's view restrictions in one query."""

import pytest
from django.contrib.auth.models import Group
from django.http import Http404
from django.test import RequestFactory
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, PageViewRestriction, Site

from civicnet.models import StandardPage
from core.routing import route_for_request
from tests.blog.factories import CategoryFactory, make_blog_index, make_post
from tests.civicnet.factories import make_standard_page, wagtail_root
from tests.library.factories import SECRET, make_library, make_resource


@pytest.fixture
def about(home_page):
    return make_standard_page(home_page)


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 0  # every GET renders: the routing is what is tested


def nested(parent, depth: int) -> list[StandardPage]:
    """depth pages, each the child of the one before, under parent."""
    pages = []
    for level in range(1, depth + 1):
        parent = make_standard_page(parent, title=f"Level {level}", slug=f"level-{level}")
        pages.append(parent)
    return pages


def path_of(page) -> str:
    return page.url.lstrip("/")


def summary(route):
    """What a route says, comparable: the page's class and id, and a routable page's view."""
    if route is None:
        return None
    page, args, kwargs = route
    args = tuple(getattr(arg, "__func__", arg) for arg in args)  # bound views differ by self
    return type(page), page.pk, args, kwargs


def wagtails_route(path: str, host: str = "testserver"):
    request = RequestFactory().get("/" + path, HTTP_HOST=host)
    return summary(Page.route_for_request(request, path))


def our_route(path: str, host: str = "testserver"):
    request = RequestFactory().get("/" + path, HTTP_HOST=host)
    try:
        return summary(route_for_request(request, path))
    except Http404:
        return None


def test_a_page_is_routed_in_three_queries_at_any_depth(about, django_assert_num_queries):
    pages = nested(about, 6)
    our_route(path_of(about))  # (the content types, once a process)
    for page in [about, pages[0], pages[2], pages[5]]:
        # The Site (with its root page), the pages along the path, the page's own row.
        with django_assert_num_queries(3):
            route = our_route(path_of(page))
        assert route == (StandardPage, page.pk, (), {})


def test_a_deep_page_renders_in_as_many_queries_as_a_shallow_one(
    visitor, about, django_assert_num_queries
):
    deepest = nested(about, 6)[-1]
    for page in (about, deepest):
        assert visitor.get(page.url).status_code == 200  # fills the cached fragments
        # Routing (3), the view restrictions (1), the page's feedback form and the rest.
        with django_assert_num_queries(4):
            assert visitor.get(page.url).status_code == 200


def test_the_routes_are_wagtails_own(home_page, about):
    blog = make_blog_index(home_page)
    post = make_post(blog)
    draft = make_post(blog, publish=False)
    library = make_library(home_page)
    resource = make_resource(library)
    deep = nested(about, 3)
    paths = [
        "",
        "about/",
        path_of(deep[-1]),
        "blog/",
        path_of(post),
        f"blog/{draft.slug}/",
        "blog/category/transit/",  # a routable subpage (its view answers 404 when there is none)
        "blog/tag/transit/",
        "blog/year/2026/",
        "blog/no-such-post/",
        f"blog/{post.slug}/more/",
        "library/",
        path_of(resource),
        "no-such-page/",
        "about/no-such-page/",
        "about/level-1/no/level-3/",
    ]
    for path in paths:
        assert our_route(path) == wagtails_route(path), path


def test_a_routable_page_serves_its_subpages_and_its_children(visitor, home_page):
    blog = make_blog_index(home_page)
    category = CategoryFactory(name="Transit")
    post = make_post(blog, title="Buses", categories=[category])

    assert "Buses" in visitor.get("/blog/").content.decode()
    assert "Buses" in visitor.get(f"/blog/category/{category.slug}/").content.decode()
    assert visitor.get("/blog/category/no-such-category/").status_code == 404
    assert visitor.get("/blog/year/2026/").status_code == 200
    response = visitor.get(post.url)
    assert response.status_code == 200
    assert response.context["page"] == post


def test_a_draft_page_is_not_found(visitor, about):
    about.unpublish()

    assert visitor.get("/about/").status_code == 404
    assert our_route("about/") is None
    assert wagtails_route("about/") is None


def test_a_live_child_of_an_unpublished_parent_is_served_as_wagtail_serves_it(visitor, about):
    # Wagtail's Page.route asks only the page served whether it is live: unpublishing a page
    # alone (not its subpages, an editor's choice in the admin) leaves its live children served.
    child = make_standard_page(about, title="Still live", slug="still-live")
    about.unpublish()
    child.refresh_from_db()
    assert child.live

    assert wagtails_route("about/still-live/") == (StandardPage, child.pk, (), {})
    assert our_route("about/still-live/") == wagtails_route("about/still-live/")
    assert visitor.get("/about/still-live/").status_code == 200
    assert visitor.get("/about/").status_code == 404


def test_unknown_paths_are_the_styled_404(visitor, about):
    for path in ("/no-such-page/", "/about/no-such-page/", "/about/level-1/"):
        response = visitor.get(path)
        assert response.status_code == 404, path
        assert "We can’t find that page" in response.content.decode()


def test_a_path_without_its_trailing_slash_is_redirected(visitor, about):
    response = visitor.get("/about")

    assert response.status_code == 301
    assert response["Location"] == "/about/"


def test_an_editors_redirect_still_answers_a_path_with_no_page(visitor, about):
    Redirect.objects.create(old_path=Redirect.normalise_path("/who-we-are/"), redirect_page=about)

    response = visitor.get("/who-we-are/")

    assert response.status_code == 301
    assert response["Location"] == "/about/"


def test_another_host_is_served_from_its_own_sites_pages(client, settings, about):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    other_home = wagtail_root().add_child(
        instance=StandardPage(title="Other home", slug="other-home", live=True)
    )
    welcome = make_standard_page(other_home, title="Welcome elsewhere", slug="welcome")
    Site.objects.create(hostname="other.example", port=80, root_page=other_home)

    response = client.get("/welcome/", HTTP_HOST="other.example")
    assert response.status_code == 200
    assert response.context["page"] == welcome
    assert client.get("/about/", HTTP_HOST="other.example").status_code == 404
    assert client.get("/welcome/").status_code == 404  # not on the default site
    for path in ("", "welcome/", "about/"):
        assert our_route(path, "other.example") == wagtails_route(path, "other.example"), path


def test_the_site_is_wagtails_own_for_every_host_and_port(home_page):
    """core.routing.find_site answers what Wagtail's Site.find_for_request does, with the
    sites that make each of its choices: host and port, host and default, default only,
    several hosts, none."""
    from core.routing import find_site

    other_home = wagtail_root().add_child(
        instance=StandardPage(title="Other home", slug="other-home", live=True)
    )
    Site.objects.create(hostname="other.example", port=80, root_page=other_home)
    Site.objects.create(hostname="other.example", port=8080, root_page=home_page)
    Site.objects.create(hostname="third.example", port=80, root_page=other_home)
    Site.objects.create(hostname="third.example", port=443, root_page=home_page)
    hosts = [
        "testserver",
        "testserver:8080",
        "other.example",
        "other.example:8080",
        "other.example:9000",
        "third.example",
        "third.example:443",
        "third.example:9",
        "unknown.example",
        "unknown.example:8080",
    ]

    def both(host):
        ours = find_site(RequestFactory().get("/", HTTP_HOST=host))
        wagtails = Site.find_for_request(RequestFactory().get("/", HTTP_HOST=host))
        return ours, wagtails

    for host in hosts:
        ours, wagtails = both(host)
        assert ours == wagtails and ours is not None, host
        assert ours.root_page == wagtails.root_page, host
    Site.objects.filter(is_default_site=True).update(is_default_site=False)
    for host in hosts:
        ours, wagtails = both(host)
        assert ours == wagtails, host
    assert both("unknown.example") == (None, None)


def test_routing_compiles_its_queries_once(about, monkeypatch):
    """The Site, the pages along the path and the page's row: compiled by the first request
    of a process, never again (core.prepared), at every depth up to PREPARED_DEPTH."""
    from django.db.models.sql.compiler import SQLCompiler

    pages = nested(about, 3)
    for page in [about, *pages]:
        our_route(path_of(page))  # every depth compiled once
    compiled = []
    real_as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler,
        "as_sql",
        lambda self, *args, **kwargs: (
            compiled.append(self.query.model) or real_as_sql(self, *args, **kwargs)
        ),
    )

    for page in [about, *pages]:
        assert our_route(path_of(page)) == (StandardPage, page.pk, (), {})
    assert compiled == []


def test_a_page_under_a_login_restriction_is_for_signed_in_people(client, member, about):
    child = make_standard_page(about, title="Members' corner", slug="corner")
    PageViewRestriction.objects.create(page=about, restriction_type=PageViewRestriction.LOGIN)

    response = client.get(child.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    client.force_login(member)
    assert "Members&#x27; corner" in client.get(child.url).content.decode()


def test_a_page_under_a_groups_restriction_is_for_those_groups_only(client, member, about):
    editors = Group.objects.create(name="Board readers")
    restriction = PageViewRestriction.objects.create(
        page=about, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([editors])
    child = make_standard_page(about, title="Editors' notes", slug="notes")
    client.force_login(member)

    assert client.get(child.url).status_code == 302

    member.groups.add(editors)
    assert client.get(child.url).status_code == 200


def test_a_page_under_a_password_restriction_asks_for_the_password(visitor, about):
    PageViewRestriction.objects.create(
        page=about, restriction_type=PageViewRestriction.PASSWORD, password="sesame"
    )
    child = make_standard_page(about, title="Board papers", slug="board", intro="Minutes.")

    response = visitor.get(child.url)

    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()
    assert "Minutes." not in response.content.decode()


def test_a_members_resource_shows_its_body_to_members_only(client, member, home_page):
    resource = make_resource(make_library(home_page))

    assert SECRET not in client.get(resource.url).content.decode()
    client.force_login(member)
    assert SECRET in client.get(resource.url).content.decode()


def test_view_restrictions_are_wagtails_in_one_query_at_any_depth(
    about, home_page, django_assert_num_queries
):
    pages = nested(about, 5)
    on_about = PageViewRestriction.objects.create(
        page=about, restriction_type=PageViewRestriction.LOGIN
    )
    on_level_3 = PageViewRestriction.objects.create(
        page=pages[2], restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    elsewhere = make_standard_page(home_page, title="Elsewhere", slug="elsewhere")
    # An alias counts as the page it is an alias of, wherever it sits, and so do its children.
    alias = pages[2].create_alias(parent=elsewhere, update_slug="alias").specific
    under_alias = make_standard_page(alias, title="Under the alias", slug="under")

    expected = {
        about: {on_about},
        pages[1]: {on_about},
        pages[4]: {on_about, on_level_3},
        elsewhere: set(),
        alias: {on_level_3},
        under_alias: {on_level_3},
    }
    for page, restrictions in expected.items():
        page = StandardPage.objects.get(pk=page.pk)
        with django_assert_num_queries(1):
            found = set(page.get_view_restrictions())
        assert found == restrictions, page.title
        assert found == set(Page.get_view_restrictions(page)), page.title  # Wagtail's own

"""The parts of a page kept in the cache for everyone (navigation, breadcrumbs, a resource's
topics and cities, the Wagtail Site of a host) change as soon as what is under them does,
for signed-in people too, who never get a cached page."""

from wagtail.models import Site

from tests.civicnet.factories import make_standard_page
from tests.library.factories import make_library, make_resource, topic


def nav_labels(client) -> str:
    page = client.get("/account/").content.decode()
    return page.split('class="site-nav__list"', 1)[1].split("</ul>", 1)[0]


def test_the_navigation_shows_a_newly_published_menu_page_and_drops_an_unpublished_one(
    client, member, home_page
):
    about = make_standard_page(home_page)
    client.force_login(member)
    assert "About civicnet" in nav_labels(client)
    assert "Programs" not in nav_labels(client)  # kept now

    make_standard_page(home_page, title="Programs", slug="programs")
    assert "Programs" in nav_labels(client)

    about.unpublish()
    assert "About civicnet" not in nav_labels(client)


def test_the_navigation_follows_a_renamed_menu_page(client, member, home_page):
    about = make_standard_page(home_page)
    client.force_login(member)
    assert "About civicnet" in nav_labels(client)

    about.title = "Who we are"
    about.save_revision().publish()

    assert "Who we are" in nav_labels(client)


def test_breadcrumbs_follow_a_renamed_ancestor(client, member, home_page):
    library = make_library(home_page)
    resource = make_resource(library)
    client.force_login(member)
    assert "Resource library" in client.get(resource.url).content.decode()

    library.title = "Toolkits and reports"
    library.save_revision().publish()

    assert "Toolkits and reports" in client.get(resource.url).content.decode()


def test_a_resources_topics_follow_a_renamed_topic_and_a_republished_page(
    client, member, home_page
):
    resource = make_resource(make_library(home_page), topics=[topic("Transit")])
    client.force_login(member)
    assert ">Transit<" in client.get(resource.url).content.decode()

    transit = topic("Transit")
    transit.name = "Public transport"
    transit.save()
    assert ">Public transport<" in client.get(resource.url).content.decode()

    resource.topics.set([topic("Housing")])
    resource.save_revision().publish()
    page = client.get(resource.url).content.decode()
    assert ">Housing<" in page
    assert ">Public transport<" not in page


def test_pointing_the_site_at_another_home_page_shows_it(client, member, home_page):
    client.force_login(member)
    assert "We build and activate cross-sector teams." in client.get("/").content.decode()
    other = home_page.get_parent().add_child(
        instance=type(home_page)(
            title="Other", slug="other", hero_heading="Another home", hero_intro="Elsewhere."
        )
    )

    site = Site.objects.get(is_default_site=True)
    site.root_page = other
    site.save()

    assert "Another home" in client.get("/").content.decode()


def test_only_people_holding_a_permission_get_the_editors_bar(client, member, staff, home_page):
    client.force_login(member)
    assert "wagtail-userbar" not in client.get("/").content.decode()

    client.force_login(staff)
    assert "wagtail-userbar" in client.get("/").content.decode()


def test_several_fragments_are_read_at_once_computed_when_missing_and_cleared_together(db):
    from core.page_cache import cached_fragments, page_cache_clear

    asked = []

    def compute(names):
        asked.append(sorted(names))
        return {name: f"{name} v{len(asked)}" for name in names}

    assert cached_fragments(["a", "b"], compute) == {"a": "a v1", "b": "b v1"}
    assert cached_fragments(["a", "b", "c"], compute) == {"a": "a v1", "b": "b v1", "c": "c v2"}
    assert asked == [["a", "b"], ["c"]]  # only what was not kept

    page_cache_clear(paths=["/events/"])  # any section's clear

    assert cached_fragments(["a", "c"], compute) == {"a": "a v3", "c": "c v3"}

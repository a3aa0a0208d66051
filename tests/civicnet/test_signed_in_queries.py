"""Signed-in pages pay a full render every time (no page cache): each stays within a fixed
number of queries (issue 18: at most 12), the same with ten times the content."""

import pytest

from events.services import registration_create
from tests.events.factories import EventFactory
from tests.library.factories import make_document, make_library, make_resource
from tests.members.factories import make_member

MAX_QUERIES = 12
# Each page's count, pinned (core.auth reads the person, their membership and profile,
# whether their session's row is still there and whether they hold a permission in one query;
# the session itself comes from the cache, cached_db). The directory and an event page add
# their table version (core.table_versions) and draw the rest from fragments kept under it;
# the event page asks for the person's own registration. A library resource
# pays Wagtail's routing (core.routing: the Site, the pages along the path, the resource's
# own row) and the view-restriction check (one query) on top (see bench/PROFILE.md); its
# members-only copy and files are a kept fragment.
PINNED = {"account": 2, "resource": 5, "network": 2, "event": 3}
assert max(PINNED.values()) <= MAX_QUERIES


@pytest.fixture
def site(home_page, member):
    library = make_library(home_page)
    return {"library": library, "resource": make_resource(library, documents=[make_document()])}


def add_content(site, member, n: int) -> None:
    """n more of everything these pages list: resources, events the member registered for,
    members in the directory."""
    start = len(site.setdefault("added", []))
    for i in range(start, start + n):
        make_resource(site["library"], documents=[make_document()])
        registration_create(event=EventFactory(), user=member)
        make_member(email=f"listed{i}@example.org", directory_opt_in=True, organisation="Org")
        site["added"].append(i)


def queries(client, url, django_assert_num_queries, exactly: int) -> int:
    assert client.get(url).status_code == 200  # the first fills what a visit may fill
    with django_assert_num_queries(exactly) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert "My account" in response.content.decode()  # really signed in
    return len(captured)


def test_signed_in_pages_stay_within_twelve_queries_with_ten_times_the_content(
    client, member, site, settings, django_assert_num_queries
):
    settings.STAFF_REQUIRE_2FA = True  # as in production: every request asks who is staff
    event = EventFactory()
    registration_create(event=event, user=member)
    urls = {
        "/account/": PINNED["account"],
        site["resource"].url: PINNED["resource"],
        "/network/": PINNED["network"],
        f"/events/{event.slug}/": PINNED["event"],
    }
    client.force_login(member)

    add_content(site, member, 2)
    few = [queries(client, url, django_assert_num_queries, n) for url, n in urls.items()]
    add_content(site, member, 18)
    many = [queries(client, url, django_assert_num_queries, n) for url, n in urls.items()]

    assert many == few


def test_a_member_without_permissions_is_not_shown_staff_links_and_staff_are(client, member, staff):
    event = EventFactory()
    client.force_login(member)
    assert "Attendees and check-in" not in client.get(f"/events/{event.slug}/").content.decode()

    client.force_login(staff)
    assert "Attendees and check-in" in client.get(f"/events/{event.slug}/").content.decode()

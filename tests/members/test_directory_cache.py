"""The National Network directory's kept fragments (members.views.network): each change under
them shows on the next visit, a lapsing membership within the minute though nothing is
written, and a write not yet committed is never kept under the version that shows it."""

import re
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.table_versions import read_version
from members.models import Membership, Plan
from members.services import membership_set, profile_update, seat_add
from members.views import DIRECTORY_VERSION
from tests.core.test_table_versions import tables_read, tables_watched_by, uncommitted_write
from tests.members.factories import make_member, make_plan
from tests.members.test_network import listed, make_metro

pytestmark = pytest.mark.django_db

TRIGGER = "members_directory_changed"
# The person (with membership and profile) and the directory's version: nothing else.
KEPT_QUERIES = 2


def _directory(client, path="/network/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _kept_keys() -> list[str]:
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    return [key.decode() for key in client.keys("*directory:*")]


def _kept(client, django_assert_num_queries, path="/network/") -> str:
    """The page served from what was kept (it has been drawn once already)."""
    with django_assert_num_queries(KEPT_QUERIES):
        return _directory(client, path)


@pytest.fixture
def viewer(client, member):
    ada = listed("ada@example.org", organisation="Harbor Lab", title="Planner")
    get_user_model().objects.filter(pk=ada.pk).update(first_name="Ada", last_name="Byron")
    client.force_login(member)
    _directory(client)
    return client


def test_a_repeat_visit_is_served_from_what_was_kept(viewer, django_assert_num_queries):
    assert "Harbor Lab" in _kept(viewer, django_assert_num_queries)


def test_a_profile_edit_shows_on_the_next_visit(viewer, django_assert_num_queries):
    ada = get_user_model().objects.get(email="ada@example.org")
    profile_update(user=ada, organisation="Dock Works")

    assert "Dock Works" in _directory(viewer)
    assert "Dock Works" in _kept(viewer, django_assert_num_queries)


def test_a_name_change_shows_on_the_next_visit(viewer):
    get_user_model().objects.filter(email="ada@example.org").update(last_name="Lovelace")

    assert "Ada Lovelace" in _directory(viewer)


def test_a_field_made_private_disappears_on_the_next_visit(viewer):
    ada = get_user_model().objects.get(email="ada@example.org")
    profile_update(user=ada, show_organisation=False)

    page = _directory(viewer)
    assert "Harbor Lab" not in page and "Ada Byron" in page


def test_someone_leaving_the_directory_disappears_on_the_next_visit(viewer):
    ada = get_user_model().objects.get(email="ada@example.org")
    profile_update(user=ada, directory_opt_in=False)

    assert "Harbor Lab" not in _directory(viewer)


def test_a_lapsed_membership_disappears_on_the_next_visit(viewer):
    ada = get_user_model().objects.get(email="ada@example.org")
    membership_set(user=ada, status=Membership.Status.EXPIRED, current_period_end=None)

    assert "Harbor Lab" not in _directory(viewer)


def test_a_membership_running_out_disappears_within_the_minute_with_nothing_written(
    viewer, monkeypatch
):
    ada = get_user_model().objects.get(email="ada@example.org")
    membership_set(
        user=ada,
        status=Membership.Status.CANCELED,
        current_period_end=timezone.now() + timedelta(seconds=30),
    )
    assert "Harbor Lab" in _directory(viewer)

    later = timezone.now() + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert "Harbor Lab" not in _directory(viewer)


def test_a_new_member_and_a_seat_holder_appear_on_the_next_visit(viewer, member):
    listed("grace@example.org", organisation="Grace Works")
    assert "Grace Works" in _directory(viewer)

    colleague = listed("colleague@example.org", organisation="Seat Org")
    membership_set(user=colleague, status=Membership.Status.EXPIRED, current_period_end=None)
    assert "Seat Org" not in _directory(viewer)
    organisation = make_plan(slug="team", kind=Plan.Kind.ORGANISATION, seats=5)
    Membership.objects.filter(user=member).update(plan=organisation)
    seat_add(membership=Membership.objects.get(user=member), email="colleague@example.org")
    assert "Seat Org" in _directory(viewer)


def test_a_metro_renamed_shows_in_the_filter_and_the_cards(viewer):
    metro = make_metro("Dayton, OH")
    listed("dan@example.org", organisation="Dayton Org", home_metro=metro)
    assert "Dayton, OH Metro Area" in _directory(viewer)

    type(metro).objects.filter(pk=metro.pk).update(name="Greater Dayton")

    page = _directory(viewer)
    assert "Greater Dayton" in page and "Dayton, OH Metro Area" not in page


def test_filters_and_pages_are_kept_apart(viewer, django_assert_num_queries):
    listed("grace@example.org", organisation="Grace Works")

    only_ada = _directory(viewer, "/network/?q=Harbor")
    assert "Harbor Lab" in only_ada and "Grace Works" not in only_ada
    assert "Grace Works" in _directory(viewer)
    assert "Grace Works" not in _kept(viewer, django_assert_num_queries, "/network/?q=Harbor")


def test_the_filters_show_what_each_visit_asked_and_a_refused_one_is_never_kept(viewer):
    def search_box(page):
        return re.search(r'<input type="text" name="q"[^>]*>', page).group(0)

    assert 'value="Harbor"' in search_box(_directory(viewer, "/network/?q=Harbor"))
    assert 'value="Grace"' in search_box(_directory(viewer, "/network/?q=Grace"))
    assert "value=" not in search_box(_directory(viewer))
    assert 'value=" Harbor "' in search_box(_directory(viewer, "/network/?q=+Harbor+"))

    refused = _directory(viewer, "/network/?metro=no-such-metro")  # not one of the choices
    assert '<option value="" selected>All metros</option>' not in refused
    assert not [key for key in _kept_keys() if "no-such-metro" in key]


def test_the_viewers_own_part_is_never_shared(client, member, viewer):
    """Whether the viewer is listed is theirs: the next viewer is asked to add themselves."""
    profile_update(user=member, directory_opt_in=True)
    assert "Add yourself" not in _directory(viewer)

    client.force_login(make_member(email="unlisted@example.org"))
    assert "Add yourself" in _directory(client)


def test_people_who_may_not_see_the_directory_are_never_served_it(client, viewer, lapsed):
    """What was kept is only ever served to people let in: members and staff."""
    client.force_login(lapsed)
    response = client.get("/network/")
    assert response.status_code == 403
    assert "Harbor Lab" not in response.content.decode()

    client.logout()
    assert "Harbor Lab" not in client.get("/network/").content.decode()


def test_every_table_the_directory_reads_moves_its_version(client, member):
    listed("ada@example.org", organisation="Harbor Lab", home_metro=make_metro("Akron, OH"))
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        _directory(client, "/network/?q=Harbor")  # drawn afresh: these filters are new
    # The directory's own: not the person's (with their session), nor the navigation's.
    read = tables_read(
        queries, of=lambda sql: '"members_profile"' in sql and "django_session" not in sql
    )
    watched = tables_watched_by(TRIGGER)

    assert {"members_profile", "auth_user", "members_membership"} <= read
    assert read <= watched, read - watched


@pytest.mark.django_db(transaction=True)
def test_a_write_not_yet_committed_is_never_kept_under_its_version():
    """The stale window: another session's write has moved the version but is not visible
    yet. Reading the version then answers None (do not keep), until that write commits."""
    before = read_version(DIRECTORY_VERSION)
    assert before is not None
    with uncommitted_write(lambda: make_member(email="writer@example.org")):
        assert read_version(DIRECTORY_VERSION) is None
    after = read_version(DIRECTORY_VERSION)
    assert after is not None and after > before

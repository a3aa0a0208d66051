"""core.auth: the signed-in person, their session's row and "holds a permission?" in one query,
and nothing a person or staff change goes unseen on the next request."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.core.cache import cache

pytestmark = pytest.mark.django_db


def _signed_in(client) -> bool:
    return "My account" in client.get("/account/").content.decode()


def test_a_person_is_read_with_their_session_and_permissions_in_one_query(
    client, member, django_assert_num_queries
):
    from django.test import RequestFactory

    from core.auth import get_user
    from core.staff import needs_second_factor

    client.force_login(member)
    request = RequestFactory().get("/")
    request.session = client.session
    assert request.session.get("_auth_user_id")  # loaded: the session's own read not counted

    with django_assert_num_queries(1):
        user = get_user(request)
        assert user == member and needs_second_factor(user) is False
        assert not user.has_perm("events.view_attendees")  # nothing more to ask
        assert user.membership.is_active()  # read with the person (AUTH_USER_SELECT_RELATED)


def test_a_session_whose_row_is_gone_is_refused_even_if_the_cache_still_has_it(
    client, member, settings
):
    """A sign-out made while the cache was unreachable deletes the row but not the cached
    copy: once the cache is back, that copy must not sign anyone in."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    client.force_login(member)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert _signed_in(client)
    assert cache.get("django.contrib.sessions.cached_db" + key) is not None

    Session.objects.filter(session_key=key).delete()  # the cache's delete "failed"

    assert not _signed_in(client)
    assert cache.get("django.contrib.sessions.cached_db" + key) is None  # flushed


def test_permissions_granted_after_sign_in_count_on_the_next_request(client, member, settings):
    settings.STAFF_REQUIRE_2FA = True
    client.force_login(member)
    assert client.get("/account/").status_code == 200

    member.user_permissions.add(Permission.objects.get(codename="view_attendees"))

    response = client.get("/account/")
    assert response.status_code == 302  # staff-capable now: the second factor first
    assert response["Location"].startswith("/accounts/2fa/")


def test_deactivation_and_a_password_change_elsewhere_end_the_session(client, member):
    client.force_login(member)
    assert _signed_in(client)
    member.set_password("a-new-password-for-this-member")
    member.save()
    assert not _signed_in(client)

    client.post(
        "/accounts/login/", {"login": member.email, "password": "a-new-password-for-this-member"}
    )
    assert _signed_in(client)
    type(member).objects.filter(pk=member.pk).update(is_active=False)  # no signal either
    assert not _signed_in(client)


def test_a_session_naming_a_person_who_is_not_there_is_anonymous(client, member):
    client.force_login(member)
    session = client.session
    session["_auth_user_id"] = "999999999"  # an account deleted since
    session.save()

    response = client.get("/account/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_membership_changed_after_sign_in_counts_on_the_next_request(client, member):
    client.force_login(member)
    assert client.get("/network/").status_code == 200

    from members.models import Membership

    Membership.objects.filter(user=member).update(status="expired")  # no signal either
    assert client.get("/network/").status_code == 403  # the join page

    Membership.objects.filter(user=member).delete()
    assert client.get("/network/").status_code == 403
    assert _signed_in(client)  # still signed in, only not a member


def test_holding_a_permission_is_told_apart_for_own_and_group_permissions(member):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import OuterRef

    from core.staff import holds_a_permission

    def holds(person) -> tuple[bool, bool]:
        people = get_user_model().objects.filter(pk=person.pk)
        alone = people.filter(holds_a_permission(person.pk)).exists()
        annotated = people.annotate(holds=holds_a_permission(OuterRef("pk"))).get().holds
        return alone, annotated

    assert holds(member) == (False, False)
    empty_group = Group.objects.create(name="No permissions")
    member.groups.add(empty_group)
    assert holds(member) == (False, False)
    empty_group.permissions.add(Permission.objects.get(codename="view_attendees"))
    assert holds(member) == (True, True)
    member.groups.clear()
    member.user_permissions.add(Permission.objects.get(codename="view_attendees"))
    assert holds(member) == (True, True)

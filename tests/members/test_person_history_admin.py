"""The person's membership history and payments on their page in the Wagtail admin."""

import pytest
from django.contrib.auth.models import Permission

from members.models import Membership
from members.services import membership_grant_complimentary, membership_revoke_complimentary
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def _person_with_history(staff):
    person = UserFactory(email="pat@example.org")
    membership_grant_complimentary(user=person, actor=staff, reason="Keynote speaker")
    membership_revoke_complimentary(user=person, actor=staff, reason="Talk cancelled")
    return person


def test_staff_see_the_persons_membership_changes_on_their_user_page(client, staff):
    person = _person_with_history(staff)
    client.force_login(staff)

    page = client.get(f"/admin/users/edit/{person.pk}/").content.decode()

    assert "Membership and payments" in page
    assert "Complimentary membership granted: Keynote speaker" in page
    assert "Complimentary membership revoked: Talk cancelled" in page
    assert Membership.Status.EXPIRED.label in page


def test_the_history_is_left_out_for_those_who_may_edit_users_but_not_read_the_report(
    client, staff
):
    person = _person_with_history(staff)
    editor = UserFactory(email="accounts@example.org")
    editor.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="change_user", content_type__app_label="auth"),
    )
    client.force_login(editor)

    response = client.get(f"/admin/users/edit/{person.pk}/")

    assert response.status_code == 200
    assert "Membership and payments" not in response.content.decode()

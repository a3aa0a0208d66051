"""A person downloads their data and deletes their account; staff deletion does the same."""

import json
import os
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from civicnet.models import PageFeedback
from civicnet.services import feedback_record
from events import services as event_services
from events.models import Event, JudgeAssignment, Registration, Submission
from events.selectors import national_meeting_attendee_count
from members.models import Membership, MembershipEvent, Profile
from members.selectors import directory_profiles
from members.services import (
    AccountDeletionError,
    cluster_join,
    membership_set,
)
from newsletter.models import Subscriber
from newsletter.services import subscription_set_for_user
from tests.events.factories import EventFactory, make_challenge
from tests.members.factories import PASSWORD, UserFactory, make_cluster, make_member
from tests.members.test_account_pages import image_upload

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def person(home_page):
    """A member with something in every app: the account export and deletion touch all."""
    user = make_member(
        email="dana@example.org",
        organisation="Lakefront Transit",
        directory_opt_in=True,
        photo=image_upload(),
    )
    user.first_name, user.last_name = "Dana", "Okafor"
    user.save()
    cluster_join(cluster=make_cluster(), user=user)
    # A National Meeting attended (in the past) and a webinar to come.
    meeting = EventFactory(slug="meeting", kind=Event.Kind.NATIONAL_MEETING)
    attended = event_services.registration_create(event=meeting, user=user)
    event_services.registration_check_in(registration=attended)
    Event.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(days=30), ends_at=timezone.now() - timedelta(days=29)
    )
    event_services.registration_create(event=EventFactory(slug="webinar"), user=user)
    # A submitted (and judged) entry, a draft, and a place on a colleague's team.
    teammate = make_member(email="teammate@example.org")
    entry = entry_with_team(
        challenge=make_challenge(slug="heat"),
        leader=user,
        fields={"title": "Cool roofs", "city": "Akron", "summary": "Paint them white."},
        team=[teammate],
    )
    judge = UserFactory(email="judge@example.org")
    event_services.judge_assign(submission=entry, judge=judge)
    event_services.submission_save(
        challenge=make_challenge(slug="flood"),
        user=user,
        fields={"title": "Rain gardens", "city": "Akron", "summary": "Draft."},
        submit=False,
    )
    entry_with_team(
        challenge=make_challenge(slug="transit"),
        leader=teammate,
        fields={"title": "Bus lanes", "city": "Akron", "summary": "Paint them red."},
        team=[user],
    )
    subscription_set_for_user(user=user, topics=["research"])
    feedback_record(page=home_page, visitor_key=f"user:{user.pk}", helpful=True, user=user)
    return user


def entry_with_team(*, challenge, leader, fields, team):
    """A submitted entry whose team accepted the leader's invitations."""
    entry = event_services.submission_save(
        challenge=challenge, user=leader, fields=fields, submit=False
    )
    invited = {person.email: person for person in team}
    for invitation in event_services.team_invite(
        submission=entry, user=leader, emails=list(invited)
    ):
        event_services.team_invitation_accept(invitation=invitation, user=invited[invitation.email])
    return event_services.submission_save(
        challenge=challenge, user=leader, fields=fields, submit=True
    )


def export(client, user) -> dict:
    client.force_login(user)
    response = client.get("/account/export.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    return json.loads(response.content)


def test_export_holds_every_kind_of_record_a_person_has(client, person):
    data = export(client, person)

    assert data["account"]["email"] == "dana@example.org"
    assert data["profile"]["organisation"] == "Lakefront Transit"
    assert data["profile"]["photo"].startswith("/media/profiles/")
    assert data["membership"]["status"] == "Active"
    assert data["membership"]["history"][0]["to"] == Membership.Status.ACTIVE
    assert data["clusters"][0]["cluster"] == "Greater Cleveland"
    assert {r["status"] for r in data["event_registrations"]} == {"Confirmed"}
    assert len(data["event_registrations"]) == 2
    assert sorted(s["title"] for s in data["challenge_submissions"]) == [
        "Cool roofs",
        "Rain gardens",
    ]
    assert [t["entry"] for t in data["challenge_teams"]] == ["Bus lanes"]
    assert data["newsletter_subscriptions"][0]["email"] == "dana@example.org"
    assert data["newsletter_subscriptions"][0]["topics"] == ["Research"]
    assert data["page_feedback"][0]["helpful"] is True


def test_export_needs_a_login_and_holds_only_the_persons_own_data(client, person, member):
    assert client.get("/account/export.json").status_code == 302

    data = export(client, member)

    assert data["account"]["email"] == "member@example.org"
    assert data["event_registrations"] == []
    assert "Dana" not in json.dumps(data)


def test_deleting_needs_the_password_and_the_tick(client, person):
    client.force_login(person)
    assert "Delete your account" in client.get("/account/delete/").content.decode()

    wrong = client.post("/account/delete/", {"password": "nope", "confirm": "on"})
    unticked = client.post("/account/delete/", {"password": PASSWORD})

    assert wrong.status_code == unticked.status_code == 400
    assert "That is not your password." in wrong.content.decode()
    assert User.objects.filter(pk=person.pk).exists()


def assert_account_gone(person, *, photo_path: str, attendees_before: int):
    """Everything personal is gone; what the network keeps no longer names the person."""
    assert not User.objects.filter(pk=person.pk).exists()
    assert not User.objects.filter(email__iexact="dana@example.org").exists()
    assert not os.path.exists(photo_path)
    assert not Profile.objects.filter(organisation="Lakefront Transit").exists()
    assert not directory_profiles(query="Okafor").exists()
    assert not Subscriber.objects.filter(email="dana@example.org").exists()
    # Kept, anonymised: the membership and its history, attendance, the submitted entry.
    membership = Membership.objects.get(user__username__startswith="deleted-")
    placeholder = membership.user
    assert (placeholder.email, placeholder.first_name, placeholder.last_name) == ("", "", "")
    assert not placeholder.is_active and not placeholder.has_usable_password()
    assert not membership.is_active()
    assert membership.history.count() >= 2
    assert MembershipEvent.objects.filter(membership=membership, to_status="expired").exists()
    assert national_meeting_attendee_count() == attendees_before == 1
    assert Registration.objects.filter(user=placeholder).count() == 2
    webinar = Registration.objects.get(user=placeholder, event__slug="webinar")
    assert webinar.status == Registration.Status.CANCELLED  # the place is freed
    kept = Submission.objects.get(title="Cool roofs")
    assert kept.owner == placeholder
    assert JudgeAssignment.objects.filter(submission=kept).exists()
    assert not Submission.objects.filter(title="Rain gardens").exists()  # a draft goes
    assert not Submission.objects.get(title="Bus lanes").team.filter(pk=person.pk).exists()
    feedback = PageFeedback.objects.get()
    assert feedback.user is None and "user:" not in feedback.visitor_key


def test_a_person_deletes_their_account(client, person, django_capture_on_commit_callbacks):
    photo_path = person.profile.photo.path
    attendees = national_meeting_attendee_count()
    assert os.path.exists(photo_path)
    client.force_login(person)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/delete/", {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 302
    assert_account_gone(person, photo_path=photo_path, attendees_before=attendees)
    assert client.get("/account/").status_code == 302  # signed out


def test_staff_deleting_a_user_in_the_wagtail_admin_does_the_same(
    client, staff, person, django_capture_on_commit_callbacks
):
    photo_path = person.profile.photo.path
    attendees = national_meeting_attendee_count()
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("wagtailusers_users:delete", args=[person.pk]))

    assert response.status_code == 302
    assert_account_gone(person, photo_path=photo_path, attendees_before=attendees)
    note = MembershipEvent.objects.filter(note="Account deleted by staff").get()
    assert note.actor == staff


def test_staff_deleting_a_user_in_the_django_admin_does_the_same(
    client, staff, person, django_capture_on_commit_callbacks
):
    photo_path = person.profile.photo.path
    attendees = national_meeting_attendee_count()
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/django-admin/auth/user/{person.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert_account_gone(person, photo_path=photo_path, attendees_before=attendees)


def test_a_plain_delete_of_a_user_is_refused_so_kept_records_survive(member):
    with pytest.raises(AccountDeletionError), transaction.atomic():
        member.delete()

    assert Membership.objects.filter(user=member).exists()


def test_deletion_cancels_a_running_stripe_subscription_first(client, fake_stripe, registered):
    fake_stripe.set_subscription("sub_running", customer="cus_1")
    membership_set(user=registered, status=Membership.Status.ACTIVE, current_period_end=None)
    Membership.objects.filter(user=registered).update(
        stripe_customer_id="cus_1", stripe_subscription_id="sub_running"
    )
    client.force_login(registered)
    assert "cancelled at once" in client.get("/account/delete/").content.decode()

    client.post("/account/delete/", {"password": PASSWORD, "confirm": "on"})

    assert ("DELETE", "/v1/subscriptions/sub_running", {}) in fake_stripe.requests
    assert fake_stripe.subscriptions["sub_running"]["status"] == "canceled"
    assert not User.objects.filter(pk=registered.pk).exists()


def test_when_stripe_cannot_cancel_nothing_is_deleted(client, fake_stripe, registered):
    membership_set(user=registered, status=Membership.Status.ACTIVE, current_period_end=None)
    Membership.objects.filter(user=registered).update(
        stripe_customer_id="cus_1", stripe_subscription_id="sub_unknown_to_stripe"
    )
    client.force_login(registered)

    response = client.post("/account/delete/", {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 400
    assert "nothing was deleted" in response.content.decode()
    assert User.objects.filter(pk=registered.pk).exists()
    assert Membership.objects.get(user=registered).is_active()


def test_staff_bulk_deleting_users_in_the_wagtail_admin_does_the_same(
    client, staff, person, django_capture_on_commit_callbacks
):
    photo_path = person.profile.photo.path
    attendees = national_meeting_attendee_count()
    client.force_login(staff)
    url = reverse("wagtail_bulk_action", args=["auth", "user", "delete"]) + f"?id={person.pk}"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    assert_account_gone(person, photo_path=photo_path, attendees_before=attendees)

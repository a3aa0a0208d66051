"""Prize Challenge teams: an invitation the invitee accepts, and nothing revealed about anyone."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from events import services
from events.models import Submission, TeamInvitation
from tests.events.factories import make_challenge
from tests.members.factories import make_member

pytestmark = pytest.mark.django_db

ENTRY = {
    "title": "Slow zones near schools",
    "city": "Dayton, OH",
    "summary": "20 mph zones around twelve schools.",
    "plan": "Signs, paint, and enforcement in term time.",
    "budget": "120000",
}
SUBMIT = "/challenges/safer-streets/submit/"


@pytest.fixture
def send_now(eager_tasks, django_capture_on_commit_callbacks):
    """Run what a request enqueues once it commits, as the worker would."""

    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


def _invite(client, send_now, leader, *emails):
    client.force_login(leader)
    response = send_now(client, SUBMIT, {**ENTRY, "team_emails": "\n".join(emails), "draft": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Submission.objects.get(owner=leader)


def _invitation_path(email: str) -> str:
    (message,) = [m for m in mail.outbox if m.to == [email]]
    return re.search(r"/challenges/safer-streets/invitations/\S+/", message.body).group(0)


def test_naming_a_member_does_not_take_over_their_entry_it_only_invites_them(
    client, member, send_now
):
    challenge = make_challenge()
    victim = make_member(email="victim@example.org")
    services.submission_save(
        challenge=challenge,
        user=victim,
        fields={
            "title": "Victim's own entry",
            "city": "Erie, PA",
            "summary": "Protected bike lanes on State Street.",
            "plan": "Planters first, concrete later.",
        },
        submit=False,
    )

    attack = _invite(client, send_now, member, "victim@example.org")

    assert list(attack.team.all()) == []
    assert TeamInvitation.objects.get().email == "victim@example.org"
    client.force_login(victim)
    page = client.get(SUBMIT).content.decode()
    assert "Victim&#x27;s own entry" in page or "Victim's own entry" in page
    assert attack.title not in page and attack.plan not in page
    mine = services.submission_for(challenge=attack.challenge, user=victim)
    assert mine.owner == victim and mine.title == "Victim's own entry"
    # Even when they open the invitation, accepting is refused and their entry stays theirs.
    path = _invitation_path("victim@example.org")
    assert "Accept and join the team" in client.get(path).content.decode()
    client.post(path, {"accept": "1"})
    assert not attack.team.exists()
    assert services.submission_for(challenge=attack.challenge, user=victim).pk == mine.pk


def test_invitee_who_accepts_joins_the_team_and_shares_the_entry(client, member, send_now):
    teammate = make_member(email="mate@example.org")
    make_challenge()
    submission = _invite(client, send_now, member, "Mate@Example.org")

    client.force_login(teammate)
    before = client.get(SUBMIT).content.decode()
    assert ENTRY["plan"] not in before and "invited you to join their team" in before
    path = _invitation_path("mate@example.org")
    response = client.post(path, {"accept": "1"})
    assert response.status_code == 302 and response["Location"] == SUBMIT

    client.post(SUBMIT, {**ENTRY, "city": "Akron, OH", "draft": "1"})
    submission.refresh_from_db()
    assert submission.city == "Akron, OH" and list(submission.team.all()) == [teammate]
    attachment = services.submission_attach(
        submission=submission,
        user=teammate,
        upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n"),
    )
    client.force_login(member)
    assert client.get(f"/challenges/attachments/{attachment.pk}/").status_code == 200
    assert TeamInvitation.objects.get().status == TeamInvitation.Status.ACCEPTED


def test_team_field_says_the_same_whatever_the_address_belongs_to(
    client, member, registered, lapsed, send_now
):
    make_challenge()
    client.force_login(member)
    addresses = ["nobody@example.org", registered.email, lapsed.email, "other@example.org"]
    make_member(email="other@example.org")

    response = send_now(
        client, SUBMIT, {**ENTRY, "team_emails": "\n".join(addresses), "draft": "1"}
    )

    assert response.status_code == 302  # no error that tells one address from another
    assert sorted(TeamInvitation.objects.values_list("email", flat=True)) == sorted(addresses)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(addresses)
    errors = {
        client.post(SUBMIT, {**ENTRY, "team_emails": f"{bad}\nnot-an-address", "draft": "1"})
        .context["form"]
        .errors["team_emails"][0]
        for bad in ("nobody2@example.org", registered.email, "other@example.org")
    }
    assert len(errors) == 1 and "account" not in errors.pop().lower()


def test_an_invitation_link_opens_only_for_the_invited_address(client, member, send_now):
    make_challenge()
    other = make_member(email="other@example.org")
    _invite(client, send_now, member, "mate@example.org")
    path = _invitation_path("mate@example.org")

    client.logout()
    assert client.get(path).status_code == 302  # sign in first
    client.force_login(other)
    not_yours = client.get(path)
    forged = client.get("/challenges/safer-streets/invitations/not-a-real-key/")
    assert not_yours.status_code == 404 and forged.status_code == 404
    assert client.post(path, {"accept": "1"}).status_code == 404
    assert not Submission.objects.get(owner=member).team.exists()


def test_declined_withdrawn_and_expired_invitations_cannot_be_accepted(client, member, send_now):
    make_challenge()
    people = {
        name: make_member(email=f"{name}@example.org")
        for name in ("declines", "withdrawn", "expires")
    }
    submission = _invite(client, send_now, member, *(p.email for p in people.values()))
    paths = {name: _invitation_path(f"{name}@example.org") for name in people}

    client.force_login(people["declines"])
    client.post(paths["declines"], {"decline": "1"})
    client.force_login(member)
    withdrawn = TeamInvitation.objects.get(email="withdrawn@example.org")
    client.post(f"/challenges/safer-streets/submit/invitations/{withdrawn.pk}/withdraw/")
    TeamInvitation.objects.filter(email="expires@example.org").update(
        expires_at=timezone.now() - timedelta(minutes=1),
        sent_at=timezone.now() - timedelta(days=7),  # as if a week had passed
    )

    for name, person in people.items():
        client.force_login(person)
        page = client.get(paths[name]).content.decode()
        assert "Accept and join the team" not in page, name
        client.post(paths[name], {"accept": "1"})
    assert not submission.team.exists()
    states = {i.email.split("@")[0]: i.state() for i in TeamInvitation.objects.all()}
    assert states == {"declines": "declined", "withdrawn": "withdrawn", "expires": "expired"}
    # The leader sees none of them as waiting any more; inviting a decliner again sends nothing.
    mail.outbox.clear()
    _invite(client, send_now, member, "declines@example.org", "expires@example.org")
    assert [m.to for m in mail.outbox] == [["expires@example.org"]]


def test_only_the_leader_withdraws_and_withdrawing_then_inviting_again_emails_once_a_day(
    client, member, send_now
):
    make_challenge()
    mate = make_member(email="mate@example.org")
    _invite(client, send_now, member, "target@example.org")
    invitation = TeamInvitation.objects.get()
    client.force_login(mate)
    url = f"/challenges/safer-streets/submit/invitations/{invitation.pk}/withdraw/"
    assert client.post(url).status_code == 404

    for _ in range(3):
        client.force_login(member)
        client.post(url)
        _invite(client, send_now, member, "target@example.org")
        invitation = TeamInvitation.objects.get(status="pending")
        url = f"/challenges/safer-streets/submit/invitations/{invitation.pk}/withdraw/"

    assert len([m for m in mail.outbox if m.to == ["target@example.org"]]) == 1


def test_lapsed_members_and_the_entrys_judges_cannot_join(client, member, lapsed, send_now):
    make_challenge()
    judge = make_member(email="judge@example.org")
    submission = _invite(client, send_now, member, lapsed.email, judge.email)
    submission.status = Submission.Status.SUBMITTED
    submission.save()
    services.judge_assign(submission=submission, judge=judge)
    for person in (lapsed, judge):
        client.force_login(person)
        client.post(_invitation_path(person.email), {"accept": "1"})
    assert not submission.team.exists()


def test_no_team_changes_after_the_deadline(client, member, send_now):
    challenge = make_challenge()
    mate = make_member(email="mate@example.org")
    submission = _invite(client, send_now, member, "mate@example.org", "late@example.org")
    services.team_invitation_accept(
        invitation=TeamInvitation.objects.get(email="mate@example.org"), user=mate
    )
    challenge.closes_at = timezone.now() - timedelta(minutes=1)
    challenge.save()

    late = make_member(email="late@example.org")
    client.force_login(late)
    client.post(_invitation_path("late@example.org"), {"accept": "1"})
    client.force_login(mate)
    client.post(f"/challenges/safer-streets/submit/team/{mate.pk}/remove/")
    client.force_login(member)
    assert client.post(SUBMIT, {**ENTRY, "team_emails": "x@example.org"}).status_code == 403

    assert list(submission.team.all()) == [mate]


def test_a_teammate_can_leave_and_the_leader_can_remove(client, member, send_now):
    make_challenge()
    one, two = make_member(email="one@example.org"), make_member(email="two@example.org")
    submission = _invite(client, send_now, member, one.email, two.email)
    for person in (one, two):
        services.team_invitation_accept(
            invitation=TeamInvitation.objects.get(email=person.email), user=person
        )
    client.force_login(one)
    removing_another = client.post(f"/challenges/safer-streets/submit/team/{two.pk}/remove/")
    assert removing_another.status_code == 403
    assert set(submission.team.all()) == {one, two}  # a teammate cannot remove another
    client.post(f"/challenges/safer-streets/submit/team/{one.pk}/remove/")
    client.force_login(member)
    client.post(f"/challenges/safer-streets/submit/team/{two.pk}/remove/")
    assert not submission.team.exists()


def test_bad_invitation_links_and_team_input_get_a_clear_4xx(client, member):
    make_challenge()
    client.force_login(member)
    for key in ("x" * 500, "%C3%A9t%C3%A9"):
        assert client.get(f"/challenges/safer-streets/invitations/{key}/").status_code == 404
    for key in ("%00", "a%00b"):  # control characters are refused before any lookup
        assert client.get(f"/challenges/safer-streets/invitations/{key}/").status_code == 400
    response = client.post(SUBMIT, {**ENTRY, "team_emails": "a\x00b@example.org", "draft": "1"})
    assert response.status_code in (200, 400)
    assert not TeamInvitation.objects.exists()
    for bad in ("0", "99999999999999999999999"):
        url = f"/challenges/safer-streets/submit/invitations/{bad}/withdraw/"
        assert client.post(url).status_code == 404

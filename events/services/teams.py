"""Challenge teams: the leader invites by email, the invitee accepts (or declines)."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from members.selectors import membership_is_active

from ..models import Challenge, Submission, TeamInvitation
from ..signals import team_invitation_owed
from .submissions import assert_challenge_open, submission_for


class TeamError(ValidationError):
    """A team change the rules do not allow; the message is shown to the person asking and
    never says anything about anyone else's account."""


TEAM_MAX_OTHERS = 10  # people besides the leader: members plus open invitations
TEAM_INVITATION_DAYS = 7
# The same address is emailed about the same entry at most once a day (withdrawing and
# inviting again must not become a way to flood someone's inbox).
TEAM_INVITATION_EMAIL_GAP = timedelta(hours=24)


def _is_leader(submission: Submission, user) -> bool:
    return submission.owner_id == user.pk


@transaction.atomic
def team_invite(*, submission: Submission, user, emails, now=None) -> list[TeamInvitation]:
    """The leader invites these addresses to the team: one email each, with a link.

    Whether an address has an account, or a membership, is not looked at here (and so never
    shown to the leader): that is checked when the invitee accepts. Addresses already on
    the team, already invited, or that declined this entry are passed over quietly.
    """
    now = now or timezone.now()
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not _is_leader(submission, user):
        raise PermissionDenied("Only the entry's leader invites teammates.")
    assert_challenge_open(submission.challenge, now)
    wanted = {email.strip().lower() for email in emails if email.strip()}
    wanted.discard((user.email or "").lower())
    wanted -= {email.lower() for email in submission.team.values_list("email", flat=True)}
    invitations = list(submission.invitations.filter(email__in=wanted))
    pending = [invitation for invitation in invitations if invitation.is_open(now)]
    wanted -= {invitation.email for invitation in pending}
    wanted -= {i.email for i in invitations if i.status == TeamInvitation.Status.DECLINED}
    if not wanted:
        return []
    # Pending invitations past their time are closed, so the address can be asked again.
    submission.invitations.filter(status=TeamInvitation.Status.PENDING, expires_at__lte=now).update(
        status=TeamInvitation.Status.EXPIRED
    )
    open_count = (
        submission.team.count()
        + submission.invitations.filter(status=TeamInvitation.Status.PENDING).count()
    )
    if open_count + len(wanted) > TEAM_MAX_OTHERS:
        raise TeamError(
            f"A team has at most {TEAM_MAX_OTHERS} people besides its leader, counting open "
            "invitations."
        )
    recently_emailed = set(
        submission.invitations.filter(
            email__in=wanted, sent_at__gte=now - TEAM_INVITATION_EMAIL_GAP
        ).values_list("email", flat=True)
    )
    expires_at = min(now + timedelta(days=TEAM_INVITATION_DAYS), submission.challenge.closes_at)
    created = [
        TeamInvitation.objects.create(
            submission=submission,
            email=email,
            invited_by=user,
            key=secrets.token_urlsafe(32),
            expires_at=expires_at,
            skip_email=email in recently_emailed,
        )
        for email in sorted(wanted)
    ]
    for invitation in created:
        if not invitation.skip_email:
            transaction.on_commit(
                lambda pk=invitation.pk: team_invitation_owed.send(
                    sender=TeamInvitation, invitation_id=pk
                )
            )
    return created


def team_invitation_send(*, invitation_id: int, now=None) -> bool:
    """Email one invitation if it is still open and not sent yet. Safe to run twice."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            TeamInvitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("submission__challenge", "invited_by")
            .filter(pk=invitation_id, sent_at=None, skip_email=False)
            .first()
        )
        if invitation is None or not invitation.is_open(now):
            return False
        challenge = invitation.submission.challenge
        leader = invitation.invited_by
        context = {
            "invitation": invitation,
            "challenge": challenge,
            "leader_name": leader.get_full_name() or leader.email,
            "url": settings.SITE_URL + invitation_url(invitation),
        }
        EmailMessage(
            subject=f"An invitation to join a team for {challenge.title}",
            body=render_to_string("events/email/team_invitation.txt", context),
            to=[invitation.email],
        ).send()
        invitation.sent_at = now
        invitation.save(update_fields=["sent_at"])
        return True


def invitation_url(invitation: TeamInvitation) -> str:
    return reverse(
        "events:team_invitation",
        kwargs={"slug": invitation.submission.challenge.slug, "key": invitation.key},
    )


def team_invitation_for(*, challenge: Challenge, key: str, user) -> TeamInvitation | None:
    """The invitation behind this link, if it was sent to the signed-in person's address."""
    if not user.is_authenticated or not user.email or len(key) > 64:
        return None
    return (
        TeamInvitation.objects.select_related("submission", "invited_by")
        .filter(submission__challenge=challenge, key=key, email__iexact=user.email)
        .first()
    )


def team_invitations_waiting(*, challenge: Challenge, user, now=None) -> list[TeamInvitation]:
    """Open invitations to this person's address for this challenge."""
    if not user.is_authenticated or not user.email:
        return []
    now = now or timezone.now()
    return list(
        TeamInvitation.objects.select_related("invited_by").filter(
            submission__challenge=challenge,
            email__iexact=user.email,
            status=TeamInvitation.Status.PENDING,
            expires_at__gt=now,
        )
    )


def _locked_open_invitation(invitation: TeamInvitation, user, now) -> TeamInvitation:
    invitation = TeamInvitation.objects.select_for_update().get(pk=invitation.pk)
    if (invitation.email or "").lower() != (user.email or "").lower():
        raise PermissionDenied
    if not invitation.is_open(now):
        raise TeamError(
            f"This invitation is {invitation.state(now)}: it can no longer be answered."
        )
    return invitation


@transaction.atomic
def team_invitation_accept(*, invitation: TeamInvitation, user, now=None) -> Submission:
    """The invitee joins the team. Only an active member, only while entries are open, and
    only someone not already on another entry of this challenge (theirs stays theirs)."""
    now = now or timezone.now()
    # One acceptance at a time per person: two at once could put them on two entries.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    submission = Submission.objects.select_for_update().get(pk=invitation.submission_id)
    invitation = _locked_open_invitation(invitation, user, now)
    assert_challenge_open(submission.challenge, now)
    if not membership_is_active(user):
        raise TeamError("Only active members can join a team. Renew your membership to accept.")
    current = submission_for(challenge=submission.challenge, user=user)
    if current is not None and current.pk != submission.pk:
        raise TeamError(
            "You are already on an entry in this challenge, and a person can be on one entry "
            "only. Your entry is unchanged."
        )
    if submission.assignments.filter(judge=user).exists():
        raise TeamError("You are a judge of this entry, so you cannot join its team.")
    submission.team.add(user)
    invitation.status = TeamInvitation.Status.ACCEPTED
    invitation.responded_at = now
    invitation.save(update_fields=["status", "responded_at"])
    return submission


@transaction.atomic
def team_invitation_decline(*, invitation: TeamInvitation, user, now=None) -> TeamInvitation:
    now = now or timezone.now()
    invitation = _locked_open_invitation(invitation, user, now)
    invitation.status = TeamInvitation.Status.DECLINED
    invitation.responded_at = now
    invitation.save(update_fields=["status", "responded_at"])
    return invitation


@transaction.atomic
def team_invitation_withdraw(*, invitation: TeamInvitation, user, now=None) -> TeamInvitation:
    """The leader takes back an invitation not yet answered."""
    now = now or timezone.now()
    invitation = TeamInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not _is_leader(invitation.submission, user):
        raise PermissionDenied
    if invitation.status == TeamInvitation.Status.PENDING:
        invitation.status = TeamInvitation.Status.WITHDRAWN
        invitation.responded_at = now
        invitation.save(update_fields=["status", "responded_at"])
    return invitation


@transaction.atomic
def team_member_remove(*, submission: Submission, user, member, now=None) -> None:
    """The leader takes someone off the team, or a teammate leaves it (until the deadline)."""
    now = now or timezone.now()
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not (_is_leader(submission, user) or member.pk == user.pk):
        raise PermissionDenied
    assert_challenge_open(submission.challenge, now)
    submission.team.remove(member)

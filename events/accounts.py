"""The events part of a person's data export and account deletion (see members.signals)."""

from django.db import transaction
from django.utils import timezone

from .models import (
    CalendarFeed,
    Certificate,
    JudgeAssignment,
    RecordingView,
    Registration,
    RegistrationEmail,
    Submission,
)
from .services.registrations import registration_cancel


def account_export(*, user, **kwargs) -> dict:
    registrations = (
        Registration.objects.filter(user=user)
        .select_related("event", "ticket_type")
        .prefetch_related("event__questions")
    )
    owned = Submission.objects.filter(owner=user).select_related("challenge")
    return {
        "event_registrations": [
            {
                "event": r.event.title,
                "starts_at": r.event.starts_at,
                "status": r.get_status_display(),
                "amount_paid": r.amount_paid,
                "registered_at": r.created_at,
                "cancelled_at": r.cancelled_at,
                "checked_in_at": r.checked_in_at,
                "joined_online_at": r.joined_at,
                "ticket": r.ticket_label,
                "amount_due": r.amount_due,
                "guests": r.guests,
                "guest_names": r.guest_names,
                "answers": {
                    q.label: r.answer_to(q) for q in r.event.questions.all() if r.answer_to(q)
                },
            }
            for r in registrations
        ],
        "certificates": [
            {
                "kind": c.get_kind_display(),
                "title": c.title,
                "hours": c.hours,
                "issued_at": c.issued_at,
                "revoked_at": c.revoked_at,
                "verification_url": c.verification_url,
            }
            for c in Certificate.objects.filter(user=user)
        ],
        "recordings_watched": [
            {"event": v.event.title, "watched_at": v.watched_at}
            for v in RecordingView.objects.filter(user=user).select_related("event")
        ],
        "challenge_submissions": [
            {
                "challenge": s.challenge.title,
                "title": s.title,
                "city": s.city,
                "summary": s.summary,
                "plan": s.plan,
                "budget": s.budget,
                "status": s.get_status_display(),
                "submitted_at": s.submitted_at,
                "award": s.get_award_display() if s.award else "",
                "attachments": [a.name for a in s.attachments.all()],
            }
            for s in owned.prefetch_related("attachments")
        ],
        "challenge_teams": [
            {"challenge": s.challenge.title, "entry": s.title}
            for s in user.team_submissions.select_related("challenge")
        ],
        "judging": [
            {
                "challenge": a.submission.challenge.title,
                "entry": a.submission.title,
                "completed_at": a.completed_at,
                "conflict_of_interest": a.conflict_of_interest,
            }
            for a in JudgeAssignment.objects.filter(judge=user).select_related(
                "submission__challenge"
            )
        ],
    }


def account_delete(*, user, placeholder, **kwargs) -> None:
    """Places at coming events are freed; attendance, submitted entries and judges' scores
    stay for the record under the placeholder; drafts and their files go."""
    now = timezone.now()
    for registration in Registration.objects.filter(user=user, event__starts_at__gt=now).exclude(
        status=Registration.Status.CANCELLED
    ):
        registration_cancel(registration=registration, now=now, notify=False)
    # Emails not sent yet would go to an address that no longer exists.
    RegistrationEmail.objects.filter(registration__user=user, sent_at=None).update(
        sent_at=now, skipped=True
    )
    Registration.objects.filter(user=user).update(user=placeholder)
    # A closed account's certificates stop vouching for anyone, and lose the name.
    Certificate.objects.filter(user=user, revoked_at=None).update(
        revoked_at=now, revocation_reason="The holder closed their account."
    )
    Certificate.objects.filter(user=user).update(user=placeholder, holder_name="", entries=[])
    CalendarFeed.objects.filter(user=user).delete()
    RecordingView.objects.filter(user=user).delete()

    drafts = Submission.objects.filter(owner=user, status=Submission.Status.DRAFT)
    for submission in drafts.prefetch_related("attachments"):
        for attachment in submission.attachments.all():
            storage, name = attachment.file.storage, attachment.file.name
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
    drafts.delete()
    Submission.objects.filter(owner=user).update(owner=placeholder)
    user.team_submissions.clear()
    JudgeAssignment.objects.filter(judge=user).update(judge=placeholder)

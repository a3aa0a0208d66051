"""Prize Challenge entries and their attachments: only active members, only while open."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from members.selectors import membership_is_active

from ..models import ATTACHMENT_MAX_BYTES, Challenge, Submission, SubmissionAttachment


class SubmissionLocked(PermissionDenied):
    pass


def assert_challenge_open(challenge: Challenge, now) -> None:
    if not challenge.is_open(now):
        raise SubmissionLocked("The deadline has passed: submissions are locked.")


def submission_can_edit(*, submission: Submission, user) -> bool:
    return submission.owner_id == user.pk or submission.team.filter(pk=user.pk).exists()


@transaction.atomic
def submission_save(
    *, challenge: Challenge, user, fields: dict, submit: bool, now=None
) -> Submission:
    """Create or update the user's entry. Only active members, only while the challenge is
    open; after the deadline nothing changes (checked here, on the server)."""
    now = now or timezone.now()
    challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
    if not membership_is_active(user):
        raise PermissionDenied("Only active members can enter Prize Challenges.")
    assert_challenge_open(challenge, now)
    existing = submission_for(challenge=challenge, user=user)
    submission = Submission.objects.select_for_update().get(pk=existing.pk) if existing else None
    if submission is None:
        submission = Submission(challenge=challenge, owner=user)
    elif not submission_can_edit(submission=submission, user=user):
        raise PermissionDenied
    for name, value in fields.items():
        setattr(submission, name, value)
    if submit and submission.status != Submission.Status.SUBMITTED:
        submission.status = Submission.Status.SUBMITTED
        submission.submitted_at = now
    submission.full_clean(exclude=["owner", "challenge"])
    submission.save()
    return submission


def submission_for(*, challenge: Challenge, user) -> Submission | None:
    """The entry this user owns or is on the team of, if any."""
    return (
        Submission.objects.filter(challenge=challenge)
        .filter(Q(owner=user) | Q(team=user))
        .distinct()
        .first()
    )


@transaction.atomic
def submission_attach(*, submission: Submission, user, upload, now=None) -> SubmissionAttachment:
    now = now or timezone.now()
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not submission_can_edit(submission=submission, user=user):
        raise PermissionDenied
    assert_challenge_open(submission.challenge, now)
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError("Attachments must be 10 MB or smaller.")
    attachment = SubmissionAttachment(
        submission=submission, file=upload, name=upload.name[:200], size=upload.size
    )
    attachment.full_clean()
    _validate_attachment_content(upload)
    attachment.save()
    return attachment


# File signatures of the allowed types: the extension alone is easy to fake.
_MAGIC = {
    "pdf": [b"%PDF"],
    "png": [b"\x89PNG"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "pptx": [b"PK\x03\x04"],
}


def _validate_attachment_content(upload) -> None:
    extension = upload.name.rsplit(".", 1)[-1].lower()
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if extension == "csv":
        if b"\x00" in head:
            raise ValidationError("That CSV file is not plain text.")
        return
    if not any(head.startswith(magic) for magic in _MAGIC.get(extension, [])):
        raise ValidationError(f"That file's contents do not match a .{extension} file.")


@transaction.atomic
def submission_attachment_delete(*, attachment: SubmissionAttachment, user, now=None) -> None:
    now = now or timezone.now()
    submission = attachment.submission
    if not submission_can_edit(submission=submission, user=user):
        raise PermissionDenied
    assert_challenge_open(submission.challenge, now)
    attachment.file.delete(save=False)
    attachment.delete()

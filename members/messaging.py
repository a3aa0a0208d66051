"""Members writing to each other through the directory, and reporting abuse.

The message goes by email to the recipient with the sender's address as Reply-To, so the
sender never learns the recipient's address unless the recipient answers. Each message is
logged (MemberMessage); the email carries a signed link with which the recipient reports it
to staff without signing in.
"""

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.emails import send_site_email
from core.tasks import enqueue_on_commit

from .models import MemberMessage, MessageReport, Profile

SEND_MEMBER_MESSAGE = "members.send_member_message"  # the task (core.tasks.enqueue)
# Per sender, in the shared cache: enough to reach a handful of people, too few to spam.
MESSAGES_PER_DAY = 10
REPORT_SALT = "members.message-report"
REPORT_LINK_DAYS = 90


class MessageRefused(Exception):
    """The recipient does not take messages (or the sender is writing to themselves)."""


def member_accepts_messages(profile: Profile, *, sender) -> bool:
    return profile.accepts_messages and profile.user_id != sender.pk


@transaction.atomic
def member_message_send(*, sender, recipient_profile: Profile, subject: str, body: str):
    """Log the message; the email goes out once it is committed."""
    if not member_accepts_messages(recipient_profile, sender=sender):
        raise MessageRefused
    message = MemberMessage.objects.create(
        sender=sender,
        recipient=recipient_profile.user,
        subject=subject.strip(),
        body=body.strip(),
    )
    enqueue_on_commit(SEND_MEMBER_MESSAGE, message.pk)
    return message


def member_message_deliver(*, message_id: int) -> bool:
    """Email the message to its recipient; False when already sent or nobody to send to."""
    with transaction.atomic():
        message = (
            MemberMessage.objects.select_for_update(of=("self",))
            .select_related("sender", "recipient")
            .filter(pk=message_id, emailed_at__isnull=True)
            .first()
        )
        if message is None or message.sender is None or message.recipient is None:
            return False
        sender, recipient = message.sender, message.recipient
        if not recipient.email or not sender.email:
            return False
        sender_name = sender.get_full_name() or "A civicnet member"
        send_site_email(
            to=[recipient.email],
            reply_to=[sender.email],
            subject=f"civicnet: {sender_name} wrote to you: {message.subject}",
            template="members/email/member_message",
            context={
                "message": message,
                "sender_name": sender_name,
                "recipient_name": recipient.get_full_name(),
                "report_path": reverse("members:message_report", args=[report_token(message)]),
                "profile_path": reverse("members:profile_edit"),
            },
        )
        message.emailed_at = timezone.now()
        message.save(update_fields=["emailed_at"])
    return True


def report_token(message: MemberMessage) -> str:
    return signing.dumps(message.pk, salt=REPORT_SALT)


def message_from_report_token(token: str) -> MemberMessage | None:
    """The message a report link names, or None when the link is forged or too old."""
    try:
        message_id = signing.loads(token, salt=REPORT_SALT, max_age=REPORT_LINK_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(message_id, int):
        return None
    return MemberMessage.objects.select_related("sender").filter(pk=message_id).first()


@transaction.atomic
def message_report(*, message: MemberMessage, reason: str = "") -> MessageReport:
    """Record the recipient's report for staff; reporting again adds to the same report."""
    report, created = MessageReport.objects.select_for_update().get_or_create(
        message=message, defaults={"reason": reason.strip()}
    )
    if not created and reason.strip():
        report.reason = f"{report.reason}\n\n{reason.strip()}".strip()
        report.save(update_fields=["reason"])
    return report

import logging

from celery import shared_task

from . import joining, messaging, services

logger = logging.getLogger(__name__)


@shared_task(name="members.send_renewal_reminders", soft_time_limit=240, time_limit=300)
def send_renewal_reminders() -> int:
    """Daily: remind yearly members whose renewal is near. Sends each reminder once; one that
    fails stays due for the next run and never holds up the others."""
    sent = 0
    for membership_id in services.renewal_reminder_due_ids():
        try:
            sent += services.membership_send_renewal_reminder(membership_id=membership_id)
        except Exception:
            logger.exception("Renewal reminder for membership %s not sent", membership_id)
    return sent


@shared_task(name="members.send_retention_emails", soft_time_limit=240, time_limit=300)
def send_retention_emails() -> int:
    """Daily: the retention ladder (reminders, lapse, win-back), each email once per period;
    one that fails stays due for the next run and never holds up the others."""
    sent = 0
    for membership_id, kind in services.retention_due():
        try:
            sent += services.retention_send(membership_id=membership_id, kind=kind)
        except Exception:
            logger.exception("Retention email %s for membership %s not sent", kind, membership_id)
    return sent


@shared_task(name=services.SEND_RETENTION_EMAIL, soft_time_limit=50, time_limit=60)
def send_retention_email(membership_id: int, kind: str) -> bool:
    """One retention email now (the payment-failed note); the daily run sends it if this
    one fails. Sent once per period however often it runs."""
    return services.retention_send(membership_id=membership_id, kind=kind)


@shared_task(name="members.expire_memberships", soft_time_limit=240, time_limit=300)
def expire_memberships() -> int:
    """Daily: memberships whose period (or grace period) is over become expired."""
    return services.memberships_expire()


@shared_task(name=joining.SEND_JOIN_REQUEST_EMAILS, soft_time_limit=50, time_limit=60)
def send_join_request_emails(join_request_id: int) -> bool:
    """Tell staff about a new join request and answer the person (once, however often run)."""
    return joining.join_request_send_emails(join_request_id=join_request_id)


@shared_task(name=messaging.SEND_MEMBER_MESSAGE, soft_time_limit=50, time_limit=60)
def send_member_message(message_id: int) -> bool:
    """Email one member's message to another (once, however often run)."""
    return messaging.member_message_deliver(message_id=message_id)


@shared_task(name="members.send_cluster_invitation", soft_time_limit=50, time_limit=60)
def send_cluster_invitation(invitation_id: int) -> bool:
    """Email a cluster lead's invitation (once, however often run)."""
    return services.cluster_invitation_send(invitation_id=invitation_id)

from celery import shared_task

from . import services


@shared_task(name="members.send_renewal_reminders", soft_time_limit=240, time_limit=300)
def send_renewal_reminders() -> int:
    """Daily: remind yearly members whose renewal is near. Sends each reminder once."""
    return sum(
        services.membership_send_renewal_reminder(membership_id=membership_id)
        for membership_id in services.renewal_reminder_due_ids()
    )


@shared_task(name="members.expire_memberships", soft_time_limit=240, time_limit=300)
def expire_memberships() -> int:
    """Daily: memberships whose period (or grace period) is over become expired."""
    return services.memberships_expire()

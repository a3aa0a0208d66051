"""Thin Celery tasks: take ids, call a service, safe to run twice."""

from smtplib import SMTPException

from celery import shared_task

from . import services


@shared_task(
    name="events.send_registration_email",
    autoretry_for=(SMTPException, ConnectionError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def send_registration_email(email_id: int) -> bool:
    return services.registration_email_send(email_id=email_id)


@shared_task(name="events.send_due_reminders", soft_time_limit=240, time_limit=280)
def send_due_reminders() -> int:
    """Run by Celery beat every minute: record the reminders now due and send every email
    not yet sent. Each send is recorded, so running twice (or after a crash) sends none twice."""
    sent = 0
    for email_id in services.reminders_queue_due():
        sent += services.registration_email_send(email_id=email_id)
    return sent


@shared_task(name="events.reconcile_ticket_payments", soft_time_limit=240, time_limit=280)
def reconcile_ticket_payments() -> int:
    """Run by Celery beat: settle tickets whose buyer never came back from Stripe Checkout
    (paid: confirm; expired or abandoned: release the place)."""
    from .models import Registration

    settled = 0
    for registration in Registration.objects.filter(pk__in=services.pending_payment_ids()):
        if (
            services.registration_sync_payment(registration=registration).status
            != "pending_payment"
        ):
            settled += 1
    return settled


@shared_task(
    name="events.send_team_invitation",
    autoretry_for=(SMTPException, ConnectionError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def send_team_invitation(invitation_id: int) -> bool:
    return services.team_invitation_send(invitation_id=invitation_id)

"""Thin Celery tasks: take ids, call a service, safe to run twice.

Tasks import services, never the reverse: a service that records an email sends a signal of
events.signals after commit, and events.apps connects it to the queue_* functions below.
"""

import logging
from smtplib import SMTPException

from celery import shared_task

from .models import Event, Registration
from .services import emails, payments, registrations, teams

logger = logging.getLogger(__name__)


@shared_task(name="events.send_registration_email", soft_time_limit=50, time_limit=60)
def send_registration_email(email_id: int) -> bool:
    # A failed send is recorded on its row with a retry time; send_due_reminders retries it.
    return emails.registration_email_send(email_id=email_id)


@shared_task(name="events.send_due_reminders", soft_time_limit=240, time_limit=280)
def send_due_reminders() -> int:
    """Run by Celery beat every minute: record the reminders now due and send every email
    due. Each send is recorded, so running twice (or after a crash) sends none twice; each
    email is its own unit, so one that fails never holds up the rest."""
    sent = 0
    for email_id in emails.reminders_queue_due():
        try:
            sent += emails.registration_email_send(email_id=email_id)
        except Exception:
            logger.exception("Event email %s could not be sent", email_id)
    return sent


@shared_task(name="events.offer_waitlist_places", soft_time_limit=240, time_limit=280)
def offer_waitlist_places() -> int:
    """Run by Celery beat every minute: withdraw waitlist offers that lapsed and offer each
    free place to the next person waiting. Each offer is a state change under the event's
    lock and its email is recorded once, so running twice (or late) offers nothing twice."""
    offered = 0
    for event in Event.objects.filter(pk__in=registrations.waitlist_offers_due()):
        try:
            offered += len(registrations.waitlist_offer_places(event=event))
        except Exception:
            logger.exception("Waitlist of event %s not settled", event.pk)
    return offered


@shared_task(name="events.reconcile_ticket_payments", soft_time_limit=240, time_limit=280)
def reconcile_ticket_payments() -> int:
    """Run by Celery beat: settle tickets whose buyer never came back from Stripe Checkout
    (paid: confirm; expired or abandoned: release the place)."""
    settled = 0
    for registration in Registration.objects.filter(pk__in=payments.pending_payment_ids()):
        try:
            synced = payments.registration_sync_payment(registration=registration)
        except Exception:
            # One session Stripe cannot answer for must not stop the others; next run retries.
            logger.exception("Ticket payment of registration %s not reconciled", registration.pk)
            continue
        settled += synced.status != "pending_payment"
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
    return teams.team_invitation_send(invitation_id=invitation_id)


def queue_registration_email(*, email_id: int, **kwargs) -> None:
    send_registration_email.delay(email_id)


def queue_team_invitation(*, invitation_id: int, **kwargs) -> None:
    send_team_invitation.delay(invitation_id)

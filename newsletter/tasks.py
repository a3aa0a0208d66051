"""Thin Celery tasks: take ids, call a service, safe to run twice.

The services start these by name (`services.background`), so this module imports the
services and nothing imports it back but NewsletterConfig.ready() and Celery.
"""

from celery import shared_task

from . import services
from .services import background


@shared_task(name=background.SEND_CONFIRMATION_EMAIL, soft_time_limit=60, time_limit=90)
def send_confirmation_email(subscriber_id: int) -> bool:
    return services.subscriber_send_confirmation(subscriber_id=subscriber_id)


@shared_task(name=background.PREPARE_EDITION, soft_time_limit=1700, time_limit=1800)
def prepare_edition(edition_id: int) -> int:
    """Create an edition's deliveries in chunks and enqueue a batch task per chunk."""
    return services.deliveries_prepare(edition_id=edition_id)


@shared_task(name=background.SEND_BATCH, bind=True, soft_time_limit=840, time_limit=900)
def send_batch(self, edition_id: int, low: int, high: int) -> dict:
    """Send one batch of an edition; rows waiting out a transient error come back later."""
    result = services.deliveries_send_batch(edition_id=edition_id, low=low, high=high)
    if result["retry_in"] is not None and not self.app.conf.task_always_eager:
        # Exponential backoff lives on each row (next_attempt_at); the task just returns then.
        send_batch.apply_async((edition_id, low, high), countdown=result["retry_in"])
    return result


@shared_task(name="newsletter.send_due_editions", soft_time_limit=50, time_limit=60)
def send_due_editions() -> list[int]:
    return services.editions_send_due()


@shared_task(name="newsletter.resume_stalled_sends", soft_time_limit=100, time_limit=120)
def resume_stalled_sends() -> list[int]:
    return services.editions_resume_stalled()

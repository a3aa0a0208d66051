from celery import shared_task

from . import contact, services


@shared_task(time_limit=60, soft_time_limit=50)
def refresh_home_counters() -> dict[str, int]:
    """Recompute the home page counters (safe to run any number of times)."""
    return services.home_counters_refresh()


@shared_task(name=contact.SEND_CONTACT_MESSAGE, soft_time_limit=50, time_limit=60)
def send_contact_message(contact_message_id: int) -> bool:
    """Email a contact message to staff (once, however often it runs)."""
    return contact.contact_message_send(contact_message_id=contact_message_id)

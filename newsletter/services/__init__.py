"""Newsletter writes, one module per concern; import them from here.

- `subscriptions`: double opt-in sign-up and its limits, confirm, unsubscribe, preferences
- `suppressions`: addresses never to mail again, and what the mail provider reports
- `engagement`: an edition's links, opens and clicks per delivery
- `editions`: test sends, scheduling, starting, pausing and resuming a send
- `deliveries`: an edition's Delivery rows, batches, finishing, resuming after a dead worker
- `sending`: one batch, sent a message and a commit at a time
- `background`: the Celery tasks the services start, by name (the tasks import the services)
"""

from .deliveries import deliveries_prepare, edition_enqueue_pending, editions_resume_stalled
from .editions import (
    EditionStateError,
    edition_pause,
    edition_resume,
    edition_schedule,
    edition_send,
    edition_send_test,
    edition_unschedule,
    editions_send_due,
)
from .engagement import delivery_record_click, delivery_record_open, edition_links_ensure
from .sending import deliveries_send_batch
from .subscriptions import (
    subscriber_confirm,
    subscriber_request,
    subscriber_send_confirmation,
    subscriber_unsubscribe,
    subscription_set_for_user,
)
from .suppressions import normalise_email, provider_event_record, suppression_record

__all__ = [
    "EditionStateError",
    "deliveries_prepare",
    "deliveries_send_batch",
    "delivery_record_click",
    "delivery_record_open",
    "edition_enqueue_pending",
    "edition_links_ensure",
    "edition_pause",
    "edition_resume",
    "edition_schedule",
    "edition_send",
    "edition_send_test",
    "edition_unschedule",
    "editions_resume_stalled",
    "editions_send_due",
    "normalise_email",
    "provider_event_record",
    "subscriber_confirm",
    "subscriber_request",
    "subscriber_send_confirmation",
    "subscriber_unsubscribe",
    "subscription_set_for_user",
    "suppression_record",
]

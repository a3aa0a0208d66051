"""The names of the Celery tasks the services start with core.tasks.enqueue (the names the
queue routes in settings use too); `newsletter.tasks` registers them."""

SEND_CONFIRMATION_EMAIL = "newsletter.send_confirmation_email"
PREPARE_EDITION = "newsletter.prepare_edition"
SEND_BATCH = "newsletter.send_batch"

"""The Celery tasks the services start, by name.

`newsletter.tasks` imports the services (each task takes ids and calls one), so the services
do not import the tasks back: they start a task by its registered name, the name the queue
routes in settings use too. NewsletterConfig.ready() imports `newsletter.tasks`, so the tasks
are registered in every process (web, worker, shell, in-process without a broker); a name
that is not registered raises KeyError rather than going to the broker unchecked.
"""

from celery import current_app

SEND_CONFIRMATION_EMAIL = "newsletter.send_confirmation_email"
PREPARE_EDITION = "newsletter.prepare_edition"
SEND_BATCH = "newsletter.send_batch"


def enqueue(task_name: str, *args) -> None:
    current_app.tasks[task_name].delay(*args)

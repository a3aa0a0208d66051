"""Tasks are never lost to a broker outage, and the session table is kept tidy.

Every task of the project uses `HoldingTask` (civicnet/celery.py sets it as the app's task
class): when the broker cannot take a task, it is written to the database as a `HeldTask`
instead of raising into the page that queued it, and `release_held_tasks` (every minute,
from beat) queues the held ones again once the broker answers. After one failure the
process holds tasks without trying the broker for BROKER_RETRY_SECONDS, so an outage costs
no connect attempt per request.
"""

import logging
import threading
import time
import uuid

from celery import Task, current_app, shared_task
from celery.result import AsyncResult
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

_broker_paused_until = 0.0
_lock = threading.Lock()
# Options of apply_async worth keeping (JSON-safe ones; an `eta` is turned into a countdown).
_KEPT_OPTIONS = {"countdown", "queue", "priority", "expires"}


def enqueue(task_name: str, *args) -> None:
    """Start a registered task by its name.

    An app's tasks module imports its services (a task takes ids and calls one), so services
    start tasks by name rather than import the tasks back. Each app's AppConfig.ready() imports
    its tasks module, so the names are registered in every process; an unknown name raises
    KeyError instead of going to the broker unchecked.
    """
    current_app.tasks[task_name].delay(*args)


def enqueue_on_commit(task_name: str, *args) -> None:
    """enqueue() once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task_name, *args))


class HoldingTask(Task):
    def apply_async(
        self,
        args=None,
        kwargs=None,
        task_id=None,
        producer=None,
        link=None,
        link_error=None,
        shadow=None,
        **options,
    ):
        global _broker_paused_until
        if self.app.conf.task_always_eager or time.monotonic() >= _broker_paused_until:
            try:
                return super().apply_async(
                    args, kwargs, task_id, producer, link, link_error, shadow, **options
                )
            except (BrokerError, OSError) as error:
                with _lock:
                    _broker_paused_until = time.monotonic() + settings.BROKER_RETRY_SECONDS
                logger.warning("Broker unreachable (%s): holding tasks in the database", error)
        held = hold_task(self.name, args, kwargs, options)
        return AsyncResult(task_id or f"held-{held.pk}-{uuid.uuid4().hex[:8]}", app=self.app)


def hold_task(name, args, kwargs, options):
    from .models import HeldTask

    kept = {key: value for key, value in options.items() if key in _KEPT_OPTIONS}
    return HeldTask.objects.create(
        name=name, args=list(args or ()), kwargs=dict(kwargs or {}), options=kept
    )


def held_tasks_release(*, limit: int = 500) -> int:
    """Queue held tasks again, oldest first; stop at the first broker failure. Returns how many."""
    from celery import current_app

    from .models import HeldTask

    global _broker_paused_until
    released = 0
    with transaction.atomic():
        held = list(HeldTask.objects.select_for_update(skip_locked=True)[:limit])
        for task in held:
            try:
                current_app.send_task(task.name, args=task.args, kwargs=task.kwargs, **task.options)
            except (BrokerError, OSError) as error:
                logger.warning(
                    "Broker still unreachable (%s): %s tasks stay held", error, len(held) - released
                )
                break
            task.delete()
            released += 1
    if released:
        _broker_paused_until = 0.0
        logger.warning("Released %s held tasks to the broker", released)
    return released


@shared_task(name="core.release_held_tasks", time_limit=120, soft_time_limit=100)
def release_held_tasks() -> int:
    """Queue tasks held during a broker outage (safe to run twice: rows are locked)."""
    return held_tasks_release()


@shared_task(name="core.clear_expired_sessions", time_limit=300, soft_time_limit=280)
def clear_expired_sessions() -> None:
    """Delete expired sessions (they live in the database only)."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    Session.objects.filter(expire_date__lt=timezone.now()).delete()

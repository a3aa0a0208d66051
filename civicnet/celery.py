import os

from celery import Celery, signals

from core import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicnet.settings")

# Every task is held in the database rather than lost when the broker is unreachable.
app = Celery("civicnet", task_cls="core.tasks:HoldingTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A task logs under the id of the request (or task) that enqueued it (core.request_id).
@signals.before_task_publish.connect
def _send_request_id(headers=None, **kwargs):
    if headers is not None and request_id.current():
        headers.setdefault("request_id", request_id.current())


@signals.task_prerun.connect
def _adopt_request_id(task=None, task_id=None, **kwargs):
    # Run in-process (no broker), a task keeps the id of the request that called it.
    task.request.request_id_token = request_id.activate(
        getattr(task.request, "request_id", None) or request_id.current() or task_id
    )


@signals.task_postrun.connect
def _drop_request_id(task=None, **kwargs):
    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        request_id.deactivate(token)

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicnet.settings")

# Every task is held in the database rather than lost when the broker is unreachable.
app = Celery("civicnet", task_cls="core.tasks:HoldingTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from django.db import models


class HeldTask(models.Model):
    """A Celery task that could not be queued because the broker was unreachable.

    Written instead of losing the task; `core.release_held_tasks` queues it again once the
    broker answers (tasks are safe to run twice, so a doubtful send is harmless).
    """

    name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    options = models.JSONField(default=dict, help_text="countdown, queue and the like")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.name} held since {self.created_at:%Y-%m-%d %H:%M:%S}"

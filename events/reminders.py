"""The reminders an event can send, shared by the event model and its admin form."""

from django.db import models


class ReminderOffset(models.TextChoices):
    """How long before the start a reminder goes; the value is also its email's kind."""

    WEEK = "7d", "7 days before"
    THREE_DAYS = "3d", "3 days before"
    DAY = "24h", "1 day before"
    TWO_HOURS = "2h", "2 hours before"
    HOUR = "1h", "1 hour before"

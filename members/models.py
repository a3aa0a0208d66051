from django.conf import settings
from django.db import models
from django.utils import timezone


class Profile(models.Model):
    """What a person tells the network about themselves."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    home_city = models.CharField(
        max_length=120, blank=True, help_text="The city the person works for, e.g. 'Cleveland, OH'."
    )

    def __str__(self):
        return f"Profile of {self.user}"


class Membership(models.Model):
    """A person's paid (or complimentary) membership and its current state."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due (grace period)"
        CANCELED = "canceled", "Canceled (active until period end)"
        EXPIRED = "expired", "Expired"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.EXPIRED)
    current_period_end = models.DateTimeField(null=True, blank=True)
    is_complimentary = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["status", "current_period_end"])]

    def __str__(self):
        return f"{self.user} ({self.get_status_display()})"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        if self.status == self.Status.EXPIRED:
            return False
        return self.current_period_end is None or self.current_period_end > now

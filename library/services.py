"""Writes of the library."""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import ResourceDownload, ResourcePage


@transaction.atomic
def download_record(*, resource: ResourcePage, when: datetime.date | None = None) -> None:
    """Count one member download of a resource's file in its month."""
    month = (when or timezone.localdate()).replace(day=1)
    counter, _ = ResourceDownload.objects.get_or_create(resource=resource, month=month)
    ResourceDownload.objects.filter(pk=counter.pk).update(count=F("count") + 1)

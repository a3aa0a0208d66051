"""Writes of the library."""

import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import ReadingDone, ResourceDownload, ResourcePage, readings_cache_key


@transaction.atomic
def download_record(*, resource: ResourcePage, when: datetime.date | None = None) -> None:
    """Count one member download of a resource's file in its month."""
    month = (when or timezone.localdate()).replace(day=1)
    counter, _ = ResourceDownload.objects.get_or_create(resource=resource, month=month)
    ResourceDownload.objects.filter(pk=counter.pk).update(count=F("count") + 1)


def reading_mark_done(*, user, resource: ResourcePage, now=None) -> ReadingDone:
    """The member has read the resource: it counts on their learning record from now (marking
    it again keeps the first date)."""
    reading, _ = ReadingDone.objects.get_or_create(
        user=user, resource=resource, defaults={"done_at": now or timezone.now()}
    )
    readings_changed(user_id=user.pk)
    return reading


def reading_mark_undone(*, user, resource: ResourcePage) -> None:
    ReadingDone.objects.filter(user=user, resource=resource).delete()
    readings_changed(user_id=user.pk)


def readings_changed(*, user_id: int) -> None:
    """Forget the person's cached readings, now and again once the change is committed."""
    key = readings_cache_key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))

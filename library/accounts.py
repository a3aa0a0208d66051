"""The library's part of a person's data export and account deletion (members.signals)."""

from .models import ReadingDone
from .selectors import resource_path
from .services import readings_changed


def account_export(*, user, **kwargs) -> dict:
    return {
        "readings_done": [
            {
                "resource": r.resource.title,
                "url": resource_path(r.resource),
                "hours": r.resource.reading_hours,
                "done_at": r.done_at,
            }
            for r in ReadingDone.objects.filter(user=user).select_related("resource")
        ]
    }


def account_delete(*, user, **kwargs) -> None:
    """What a person read is theirs alone: it goes with the account."""
    ReadingDone.objects.filter(user=user).delete()
    readings_changed(user_id=user.pk)

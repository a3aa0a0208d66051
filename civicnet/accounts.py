"""Page feedback's part of a person's data export and account deletion (members.signals)."""

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from .models import PageFeedback


def account_export(*, user, **kwargs) -> dict:
    return {
        "page_feedback": [
            {"page": f.page.title, "helpful": f.helpful, "at": f.updated_at}
            for f in PageFeedback.objects.filter(user=user).select_related("page")
        ]
    }


def account_delete(*, user, **kwargs) -> None:
    """Votes still count towards 'was this helpful', but no longer say whose they were."""
    PageFeedback.objects.filter(user=user).update(
        user=None,
        visitor_key=Concat(Value("deleted:"), Cast("pk", CharField()), output_field=CharField()),
    )

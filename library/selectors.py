"""Reads of the library's files: its collection, and who may have them."""

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Collection
from wagtail.permissions import policy_registry

from members.selectors import membership_is_active

from .models import (
    ReadingDone,
    ResourceDocument,
    ResourceDownload,
    ResourcePage,
)

LIBRARY_COLLECTION = "Members' library"


def library_collection() -> Collection:
    """The collection members-only files are uploaded to, created on first use."""
    existing = Collection.objects.filter(name=LIBRARY_COLLECTION, depth=2).first()
    if existing:
        return existing
    root = Collection.get_first_root_node() or Collection.add_root(name="Root")
    return root.add_child(name=LIBRARY_COLLECTION)


def is_library_document(document) -> bool:
    """Members-only: attached to a resource, or filed in the Members' library collection."""
    if ResourceDocument.objects.filter(document=document).exists():
        return True
    return (
        document.collection.get_ancestors(inclusive=True).filter(name=LIBRARY_COLLECTION).exists()
    )


def can_download(user, document) -> bool:
    """Active members may download library files; so may the editors who manage them."""
    if membership_is_active(user):
        return True
    if not user.is_authenticated:
        return False
    policy = policy_registry.get_by_type(get_document_model())
    return policy.user_has_permission_for_instance(user, "change", document)


def resource_for_document(document) -> ResourcePage | None:
    link = ResourceDocument.objects.filter(document=document).select_related("page").first()
    return link.page if link else None


def resource_path(resource: ResourcePage) -> str:
    """A resource's address without asking for the Site: its url_path less the home page's
    segment (the library hangs under the one site's home page)."""
    return "/" + resource.url_path.strip("/").split("/", 1)[-1] + "/"


def readings_done(user) -> list[ReadingDone]:
    """The resources a person marked done, newest first, with the pages: one query."""
    return list(
        ReadingDone.objects.filter(user=user)
        .select_related("resource")
        .only("done_at", "resource__title", "resource__url_path", "resource__reading_hours")
    )


# --- Network dashboard ---------------------------------------------------------------------
def resource_usage(*, previous_start, start, end, limit: int = 25) -> dict:
    """Downloads per resource in the period (counted by month: a month belongs to the period
    its first day is in) and its "was this helpful" answers; totals for the period and the
    one before. Two queries."""
    months = {
        "current": Q(month__gte=_month_of(start), month__lt=timezone.localtime(end).date()),
        "previous": Q(month__gte=_month_of(previous_start), month__lt=_month_of(start)),
    }

    def downloads(period):
        return Coalesce(
            Subquery(
                ResourceDownload.objects.filter(months[period], resource=OuterRef("pk"))
                .values("resource")
                .annotate(total=Sum("count"))
                .values("total")
            ),
            0,
        )

    resources = list(
        ResourcePage.objects.live()
        .annotate(
            downloads_in_period=downloads("current"),
            downloads_before=downloads("previous"),
            helpful_yes=Count("feedback", filter=Q(feedback__helpful=True)),
            helpful_no=Count("feedback", filter=Q(feedback__helpful=False)),
        )
        .order_by("-downloads_in_period", "-helpful_yes", "title")[:limit]
    )
    for resource in resources:
        votes = resource.helpful_yes + resource.helpful_no
        resource.helpful_score = resource.helpful_yes / votes if votes else None
    totals = ResourceDownload.objects.aggregate(
        current=Coalesce(Sum("count", filter=months["current"]), 0),
        previous=Coalesce(Sum("count", filter=months["previous"]), 0),
    )
    return {"resources": resources, "current": totals["current"], "previous": totals["previous"]}


def _month_of(moment):
    return timezone.localtime(moment).date().replace(day=1)

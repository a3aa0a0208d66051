"""Reads of the library: facets, listings and who may have its files."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail.models import Collection

from members.selectors import membership_is_active

from .models import (
    ResourceCity,
    ResourceDocument,
    ResourceDownload,
    ResourcePage,
    ResourceTopic,
    annotate_usefulness,
)

LIBRARY_COLLECTION = "Members' library"
SORTS = {"newest": "Newest first", "useful": "Most useful"}


@dataclass(frozen=True)
class LibraryFilters:
    resource_type: str = ""
    topic: str = ""
    city: str = ""
    sort: str = "newest"

    @classmethod
    def from_querydict(cls, query) -> "LibraryFilters":
        resource_type = query.get("type", "")
        sort = query.get("sort", "newest")
        return cls(
            resource_type=resource_type
            if resource_type in ResourcePage.ResourceType.values
            else "",
            topic=query.get("topic", "")[:80],
            city=query.get("city", "")[:80],
            sort=sort if sort in SORTS else "newest",
        )

    def querystring(self, **changes) -> str:
        """The filters as a query string ending in '&' (or empty), for links and pagination."""
        values = {
            "type": self.resource_type,
            "topic": self.topic,
            "city": self.city,
            "sort": "" if self.sort == "newest" else self.sort,
            **changes,
        }
        pairs = [(key, value) for key, value in values.items() if value]
        return urlencode(pairs) + "&" if pairs else ""

    def sort_links(self) -> list[dict]:
        return [
            {
                "label": label,
                "selected": value == self.sort,
                "query": self.querystring(sort="" if value == "newest" else value),
            }
            for value, label in SORTS.items()
        ]

    def clear_query(self) -> str:
        return self.querystring(type="", topic="", city="")

    @property
    def active(self) -> bool:
        return bool(self.resource_type or self.topic or self.city)


def _apply(resources: QuerySet, filters: LibraryFilters, *, skip: str = "") -> QuerySet:
    if filters.resource_type and skip != "type":
        resources = resources.filter(resource_type=filters.resource_type)
    if filters.topic and skip != "topic":
        resources = resources.filter(topics__slug=filters.topic)
    if filters.city and skip != "city":
        resources = resources.filter(cities__slug=filters.city)
    return resources


def filtered_resources(resources: QuerySet, filters: LibraryFilters) -> QuerySet:
    """The teasers to list: filtered, sorted, with topics and cities fetched in bulk."""
    resources = _apply(resources, filters).prefetch_related("topics", "cities")
    if filters.sort == "useful":
        return annotate_usefulness(resources).order_by(
            "-helpful_votes", "-download_total", "-date", "-pk"
        )
    return resources.order_by("-date", "-pk")


def facet_counts(resources: QuerySet, filters: LibraryFilters) -> dict:
    """For each facet, its values with how many resources each would show, given the other
    facets' current choices (so a count is never a dead end)."""
    by_type = dict(
        _apply(resources, filters, skip="type")
        .order_by()
        .values_list("resource_type")
        .annotate(n=Count("pk"))
    )
    types = [
        {
            "value": value,
            "label": label,
            "count": by_type.get(value, 0),
            "selected": value == filters.resource_type,
            "query": filters.querystring(type="" if value == filters.resource_type else value),
        }
        for value, label in ResourcePage.ResourceType.choices
        if by_type.get(value) or value == filters.resource_type
    ]

    def related(model, relation, key, selected):
        pks = _apply(resources, filters, skip=key).values("pk")
        rows = (
            model.objects.filter(**{f"{relation}__in": pks})
            .annotate(n=Count(relation, distinct=True))
            .order_by("name")
        )
        return [
            {
                "value": row.slug,
                "label": row.name,
                "count": row.n,
                "selected": row.slug == selected,
                "query": filters.querystring(**{key: "" if row.slug == selected else row.slug}),
            }
            for row in rows
        ]

    return {
        "type": types,
        "topic": related(ResourceTopic, "resources", "topic", filters.topic),
        "city": related(ResourceCity, "resources", "city", filters.city),
    }


def recommendations(index) -> list[dict]:
    """This month's picks on the library front page, fetched in one query."""
    picks = []
    for block in index.recommended.raw_data:
        value = block.get("value") or {}
        if block.get("type") == "resource" and value.get("resource"):
            picks.append((value["resource"], value.get("note", "")))
    ids = [pk for pk, _ in picks]
    pages = ResourcePage.objects.live().public().filter(pk__in=ids).prefetch_related("topics")
    by_id = {page.pk: page for page in pages}
    return [{"resource": by_id[pk], "note": note} for pk, note in picks if pk in by_id]


# --- documents ----------------------------------------------------------------------------
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
    from wagtail.documents import get_document_model
    from wagtail.permissions import policy_registry

    policy = policy_registry.get_by_type(get_document_model())
    return policy.user_has_permission_for_instance(user, "change", document)


def resource_for_document(document) -> ResourcePage | None:
    link = ResourceDocument.objects.filter(document=document).select_related("page").first()
    return link.page if link else None


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

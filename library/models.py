import hashlib
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.dateformat import format as date_format
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from core.page_cache import cached_fragment, cached_fragments
from core.pages import (
    LABEL_BOOST,
    SUMMARY_BOOST,
    OneQueryViewRestrictionsMixin,
    page_search_fields,
)
from members.selectors import membership_is_active
from vitals.models import Dividend

from .blocks import RecommendationBlock, ResourceBodyBlock

RESOURCES_PER_PAGE = 12
SORTS = {"newest": "Newest first", "useful": "Most useful"}


class ResourceTopic(models.Model):
    """A subject readers browse the library by, e.g. 'Transit' or 'Talent'."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ResourceCity(models.Model):
    """A city a resource is about, for the library's city filter."""

    name = models.CharField(max_length=80, help_text="e.g. 'Cleveland, OH'.")
    slug = models.SlugField(max_length=80, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "resource cities"

    def __str__(self):
        return self.name


register_snippet(ResourceTopic)
register_snippet(ResourceCity)


@dataclass(frozen=True)
class LibraryFilters:
    """The library front page's facets and sort order, as its query string gives them."""

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

    @property
    def active_count(self) -> int:
        return sum(1 for value in (self.resource_type, self.topic, self.city) if value)

    def apply(self, resources: QuerySet, *, skip: str = "") -> QuerySet:
        """The resources these filters let through; `skip` names a facet to leave out."""
        if self.resource_type and skip != "type":
            resources = resources.filter(resource_type=self.resource_type)
        if self.topic and skip != "topic":
            resources = resources.filter(topics__slug=self.topic)
        if self.city and skip != "city":
            resources = resources.filter(cities__slug=self.city)
        return resources


class LibraryIndexPage(OneQueryViewRestrictionsMixin, Page):
    """The resource library's front page at /library/: every resource as a public teaser,
    with facets (type, topic, city), sorting, and this month's recommendations."""

    intro = models.TextField(blank=True, help_text="One or two sentences under the heading.")
    recommended_heading = models.CharField(
        max_length=120,
        default="Recommended this month",
        help_text="The heading over this month's picks (Continuing Education).",
    )
    recommended = StreamField(
        [("resource", RecommendationBlock())],
        blank=True,
        help_text="Up to four resources to read this month, with a line on why.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        MultiFieldPanel(
            [FieldPanel("recommended_heading"), FieldPanel("recommended")], "This month"
        ),
    ]
    parent_page_types = ["civicnet.HomePage"]
    subpage_types = ["library.ResourcePage"]
    max_count = 1

    def resources(self):
        return self._public_resources

    @cached_property
    def _public_resources(self):
        # public() asks for the view restrictions each time it is called: once a render.
        return ResourcePage.objects.child_of(self).live().public()

    def filtered_resources(self, filters: LibraryFilters) -> QuerySet:
        """The teasers to list: filtered, sorted, with topics and cities fetched in bulk."""
        resources = filters.apply(self.resources()).prefetch_related("topics", "cities")
        if filters.sort == "useful":
            return annotate_usefulness(resources).order_by(
                "-helpful_votes", "-download_total", "-date", "-pk"
            )
        return resources.order_by("-date", "-pk")

    def facet_counts(self, filters: LibraryFilters) -> dict:
        """For each facet, its values with how many resources each would show, given the
        other facets' current choices (so a count is never a dead end)."""
        resources = self.resources()
        by_type = dict(
            filters.apply(resources, skip="type")
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
            pks = filters.apply(resources, skip=key).values("pk")
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

    def recommendations(self) -> list[dict]:
        """This month's picks. The same for every visitor until a page is published (the
        picks are this page's, the resources its children), which clears the page cache and
        the fragments kept with it (core.page_cache.cached_fragment)."""
        return cached_fragment(f"library-picks:{self.pk}", self._recommendations)

    def _recommendations(self) -> list[dict]:
        picks = []
        for block in self.recommended.raw_data:
            value = block.get("value") or {}
            if block.get("type") == "resource" and value.get("resource"):
                picks.append((value["resource"], value.get("note", "")))
        ids = [pk for pk, _ in picks]
        pages = self.resources().filter(pk__in=ids).prefetch_related("topics")
        by_id = {page.pk: page for page in pages}
        return [{"resource": by_id[pk], "note": note} for pk, note in picks if pk in by_id]

    def listing(self, request, filters: LibraryFilters) -> dict:
        """The facets and one page of teasers as HTML ("html"), and the page's number.

        The same for every visitor (teasers are public), so a newest-first listing is kept
        until the next page_cache_clear() (core.page_cache.cached_fragment): publishing,
        unpublishing or moving a page, editing a topic, a city, a document or an image
        (LibraryConfig.ready). Only filters that name a known topic and city are kept, so
        made-up values cannot fill the cache; a preview renders the draft's own.
        """
        page = request.GET.get("page", "1")
        if (
            getattr(request, "is_preview", False)
            or filters.sort != "newest"
            or not (page.isdecimal() and len(page) <= 6)  # "01" is kept as 1; "1e3" never
            or not self._known_filters(filters)
        ):
            return self._render_listing(request, filters, page)
        key = "|".join(
            (
                f"{request.scheme}://{request.get_host()}",
                filters.resource_type,
                filters.topic,
                filters.city,
                str(int(page)),
            )
        )
        digest = hashlib.sha256(key.encode()).hexdigest()
        return cached_fragment(
            f"library-listing:{self.pk}:{digest}",
            lambda: self._render_listing(request, filters, page),
        )

    def _known_filters(self, filters: LibraryFilters) -> bool:
        if not (filters.topic or filters.city):
            return True  # the type is one of ResourceType's, or none (LibraryFilters)
        topics, cities = cached_fragment(
            "library-filter-slugs",
            lambda: (
                set(ResourceTopic.objects.values_list("slug", flat=True)),
                set(ResourceCity.objects.values_list("slug", flat=True)),
            ),
        )
        return (not filters.topic or filters.topic in topics) and (
            not filters.city or filters.city in cities
        )

    def _render_listing(self, request, filters: LibraryFilters, page) -> dict:
        paginator = Paginator(self.filtered_resources(filters), RESOURCES_PER_PAGE)
        try:
            page_obj = paginator.page(page)
        except (PageNotAnInteger, EmptyPage):
            raise Http404("No such page of resources.") from None
        context = {
            "request": request,
            "resources": page_obj,
            "filters": filters,
            "facets": self.facet_counts(filters),
            "query_prefix": filters.querystring(),
        }
        html = render_to_string("library/includes/listing.html", context)
        return {"html": html, "number": page_obj.number}

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        filters = LibraryFilters.from_querydict(request.GET)
        context.update(
            listing=self.listing(request, filters),
            filters=filters,
            recommendations=self._recommendations()
            if getattr(request, "is_preview", False)
            else self.recommendations(),
        )
        return context


class ResourcePage(OneQueryViewRestrictionsMixin, Page):
    """One library resource. Everyone sees the teaser (title, summary, type, topics, cities);
    only active members see the body and can download its files."""

    class ResourceType(models.TextChoices):
        REPORT = "report", "Report"
        TOOLKIT = "toolkit", "Toolkit"
        CASE_STUDY = "case_study", "Case study"
        RECORDING = "recording", "Webinar recording"
        READING_LIST = "reading_list", "Reading list"
        DATASET = "dataset", "Dataset"
        FRAMEWORK = "framework", "Framework"

    resource_type = models.CharField(
        "type", max_length=20, choices=ResourceType.choices, default=ResourceType.REPORT
    )
    summary = models.TextField(
        max_length=600,
        help_text="The public teaser: what a reader will get. Everyone sees this, members or not.",
    )
    body = StreamField(
        ResourceBodyBlock(),
        blank=True,
        help_text="Members only. Reading lists and City Dividends framework areas go here too.",
    )
    recording_url = models.URLField(
        blank=True,
        help_text="Members only: a YouTube or Vimeo address for a webinar recording (unlisted).",
    )
    date = models.DateField(
        "publication date", default=timezone.localdate, help_text="Shown on the resource."
    )
    topics = ParentalManyToManyField(ResourceTopic, blank=True, related_name="resources")
    cities = ParentalManyToManyField(ResourceCity, blank=True, related_name="resources")
    reading_hours = models.DecimalField(
        "continuing education hours",
        max_digits=4,
        decimal_places=1,
        default=Decimal("0.5"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Hours a member earns on their learning record when they mark this resource "
        "done.",
    )
    dividend = models.CharField(
        max_length=16,
        choices=Dividend.choices,
        blank=True,
        help_text="The City Dividend this resource helps a city earn: its teaser is then listed "
        "on that dividend's pages under “Who is working on this”.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("resource_type"),
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("date"),
                FieldPanel("topics"),
                FieldPanel("cities"),
                FieldPanel("dividend"),
            ],
            "Filing",
        ),
        FieldPanel("body"),
        InlinePanel(
            "documents",
            label="Files (members only)",
            help_text="Upload files to the “Members' library” collection. Never upload "
            "members-only material as an image: images are always public.",
        ),
        FieldPanel("recording_url"),
        FieldPanel("reading_hours"),
    ]
    # Only the teaser is indexed, so members-only text can never surface in search results.
    search_fields = page_search_fields(
        index.SearchField("summary", boost=SUMMARY_BOOST),
        index.AutocompleteField("summary"),
        index.RelatedFields("topics", [index.SearchField("name", boost=LABEL_BOOST)]),
        index.RelatedFields("cities", [index.SearchField("name", boost=LABEL_BOOST)]),
        index.FilterField("resource_type"),
        index.FilterField("date"),
    )
    parent_page_types = ["library.LibraryIndexPage"]
    subpage_types: list = []

    class Meta:
        indexes = [models.Index(fields=["resource_type", "date"])]

    @property
    def type_label(self) -> str:
        return self.get_resource_type_display()

    @property
    def date_label(self) -> str:
        return date_format(self.date, "j F Y")

    @cached_property
    def topic_list(self) -> list:
        return list(self.topics.all())

    @cached_property
    def city_list(self) -> list:
        return list(self.cities.all())

    def can_read(self, request) -> bool:
        """Members read the whole resource; editors see it all in the admin preview."""
        return membership_is_active(request.user) or getattr(request, "is_preview", False)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        full_access = self.can_read(request)
        context["full_access"] = full_access
        # A page's address is its parent's plus its slug: no query for the parent.
        url = self.get_url(request) or ""
        if url.endswith(f"/{self.slug}/"):
            context["library_url"] = url[: -len(self.slug) - 1]
        else:
            context["library_url"] = self.get_parent().get_url(request)
        # Its topics and cities, and for a reader the members-only copy: kept, read in one
        # cache round trip (_kept_parts). A preview shows the draft's own.
        if self.pk and not getattr(request, "is_preview", False):
            kept = self._kept_parts(request, full_access)
            self.topic_list, self.city_list = kept["tags"]
            if full_access:
                context["full_copy"] = kept["full_copy"]
        elif full_access:
            context["full_copy"] = self._render_full_copy(request)
        context["lapsed"] = (
            request.user.is_authenticated
            and not full_access
            and getattr(request.user, "membership", None) is not None
        )
        context["can_mark_done"] = membership_is_active(request.user)
        if context["can_mark_done"]:
            context["reading_done_at"] = reading_done_at(request.user, self)
        return context

    def _kept_parts(self, request, full_access: bool) -> dict:
        """{"tags": (topics, cities)}, and "full_copy" for a reader with full access (get_context
        asks can_read first; the kept copy lives in the server's cache, never in a page an
        anonymous visitor is served), both kept (core.page_cache.cached_fragments).

        The topics and cities change when the resource is published or a topic or city is
        edited; the full copy (the members-only body, recording and file list as HTML) is the
        same for every member, kept per revision, publication time and host. Each lasts until
        the next page_cache_clear(), which publishing, and editing a topic, a city, a document
        or an image, make (LibraryConfig.ready).
        """
        names = {"tags": f"library-resource-tags:{self.pk}"}
        if full_access:
            published = self.last_published_at.isoformat() if self.last_published_at else ""
            key = "|".join(
                (
                    str(self.latest_revision_id),
                    published,
                    f"{request.scheme}://{request.get_host()}",
                )
            )
            digest = hashlib.sha256(key.encode()).hexdigest()
            names["full_copy"] = f"library-full-copy:{self.pk}:{digest}"
        compute = {
            "tags": lambda: (list(self.topics.all()), list(self.cities.all())),
            "full_copy": lambda: self._render_full_copy(request),
        }
        part_of = {name: part for part, name in names.items()}
        kept = cached_fragments(
            list(names.values()),
            lambda missing: {name: compute[part_of[name]]() for name in missing},
        )
        return {part: kept[name] for part, name in names.items()}

    def _render_full_copy(self, request) -> str:
        context = {
            "page": self,
            "request": request,
            "files": list(self.documents.select_related("document")),
        }
        return render_to_string("library/includes/resource_full_copy.html", context)

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        # The page differs by who asks: a signed-in person's copy is theirs alone, and shared
        # caches must key on the session cookie.
        patch_vary_headers(response, ["Cookie"])
        if request.user.is_authenticated:
            patch_cache_control(response, private=True)
        return response


class ResourceDocument(Orderable):
    """A file attached to a resource. Served only to active members."""

    page = ParentalKey(ResourcePage, on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey(
        "wagtaildocs.Document", on_delete=models.CASCADE, related_name="library_resources"
    )
    title = models.CharField(
        max_length=160, blank=True, help_text="Link text; the document's own title if empty."
    )

    panels = [FieldPanel("document"), FieldPanel("title")]

    @property
    def label(self) -> str:
        return self.title or self.document.title


class ReadingDone(models.Model):
    """A member marked a resource done: a reading on their learning record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="readings_done"
    )
    resource = models.ForeignKey(
        ResourcePage, on_delete=models.CASCADE, related_name="readings_done"
    )
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "resource"], name="one_reading_per_resource")
        ]
        ordering = ["-done_at", "-pk"]

    def __str__(self):
        return f"{self.user_id} read {self.resource_id}"


READINGS_CACHE_SECONDS = 60 * 60


def readings_cache_key(user_id: int) -> str:
    return f"library-readings-done:{user_id}"


def reading_done_at(user, resource):
    """When the person marked the resource done, or None. Their {resource: date} is kept in
    the cache (the services forget it on every change), so a resource page asks no query
    for it: a lost cache costs one query, never a wrong answer."""
    if not user.is_authenticated:
        return None
    done = cache.get(readings_cache_key(user.pk))
    if done is None:
        done = dict(ReadingDone.objects.filter(user=user).values_list("resource_id", "done_at"))
        cache.set(readings_cache_key(user.pk), done, READINGS_CACHE_SECONDS)
    return done.get(resource.pk)


class ResourceDownload(models.Model):
    """How many times members downloaded a resource's files in a month."""

    resource = models.ForeignKey(ResourcePage, on_delete=models.CASCADE, related_name="downloads")
    month = models.DateField(help_text="The first day of the month.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "month"], name="one_count_per_month")
        ]
        ordering = ["-month"]
        permissions = [("view_download_report", "Can see the library downloads report")]

    def __str__(self):
        return f"{self.resource_id} {self.month:%Y-%m}: {self.count}"


def annotate_usefulness(queryset):
    """Add `helpful_votes` and `download_total`: what 'most useful' sorts by."""
    downloads = (
        ResourceDownload.objects.filter(resource=OuterRef("pk"))
        .values("resource")
        .annotate(total=Sum("count"))
        .values("total")
    )
    return queryset.annotate(
        helpful_votes=Count("feedback", filter=Q(feedback__helpful=True), distinct=True),
        download_total=Coalesce(Subquery(downloads), 0),
    )

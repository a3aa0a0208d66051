import hashlib
import json
import math

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.images.shortcuts import get_rendition_or_not_found
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from core.page_cache import cached_fragment
from core.pages import (
    LABEL_BOOST,
    SUMMARY_BOOST,
    OneQueryViewRestrictionsMixin,
    page_search_fields,
)

from .blocks import BlogBodyBlock

POSTS_PER_PAGE = 10
WORDS_PER_MINUTE = 230
# json.dumps leaves these alone; inside a <script> element they could end it early.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


class Author(index.Indexed, models.Model):
    """A person who writes for the blog. Editors add them once and pick them on each post."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=120, unique=True, help_text="Used in the author's listing address."
    )
    role = models.CharField(max_length=120, blank=True, help_text="e.g. 'Research director'.")
    organisation = models.CharField(max_length=160, blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A square head-and-shoulders photo works best.",
    )
    bio = models.TextField(blank=True, help_text="Two or three sentences.")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Link the byline to this member's National Network profile (optional).",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("role"),
        FieldPanel("organisation"),
        FieldPanel("photo"),
        FieldPanel("bio"),
        FieldPanel("member"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def profile_url(self) -> str:
        return f"/network/{self.member.username}/" if self.member_id else ""


class BlogCategory(models.Model):
    """A section of the blog. Mark a category as a series (e.g. the monthly Changemaker
    interviews) to give it its own introduction on its listing."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(
        blank=True, help_text="Shown at the top of the category's listing and in its feed."
    )
    is_series = models.BooleanField(
        default=False, help_text="A recurring series, such as the monthly Changemaker Q&A."
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("is_series"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "blog categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return f"/blog/category/{self.slug}/"


register_snippet(Author)
register_snippet(BlogCategory)


class BlogPageTag(TaggedItemBase):
    content_object = ParentalKey(
        "blog.BlogPage", related_name="tagged_items", on_delete=models.CASCADE
    )


class BlogIndexPage(OneQueryViewRestrictionsMixin, RoutablePageMixin, Page):
    """The blog's front page at /blog/: every post, newest first, with filters by category,
    tag, author and year (each at its own address) and feeds."""

    intro = models.TextField(blank=True, help_text="One or two sentences under the heading.")

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["civicnet.HomePage"]
    subpage_types = ["blog.BlogPage"]
    max_count = 1

    def posts(self):
        """Live posts under this index, newest first, with what a listing card shows."""
        return (
            BlogPage.objects.child_of(self)
            .live()
            .public()
            .select_related("hero_image")
            .prefetch_related("categories", "authors")
            .order_by("-date", "-pk")
        )

    def render_listing(self, request, posts, *, heading="", description="", feed_url="", **extra):
        paginator = Paginator(posts, POSTS_PER_PAGE)
        try:
            page_obj = paginator.page(request.GET.get("page", 1))
        except (PageNotAnInteger, EmptyPage):
            raise Http404("No such page of posts.") from None
        context = {
            "posts": page_obj,
            "filter_heading": heading,
            "filter_description": description,
            "feed_url": feed_url or "/blog/feed/",
            "categories": BlogCategory.objects.all(),
            "years": BlogPage.objects.child_of(self).live().public().dates("date", "year", "DESC"),
            **extra,
        }
        return self.render(request, context_overrides=context)

    @path("")
    def all_posts(self, request):
        return self.render_listing(request, self.posts())

    @path("category/<slug:slug>/")
    def by_category(self, request, slug):
        try:
            category = BlogCategory.objects.get(slug=slug)
        except BlogCategory.DoesNotExist:
            raise Http404("No such category.") from None
        return self.render_listing(
            request,
            self.posts().filter(categories=category),
            heading=category.name,
            description=category.description,
            feed_url=f"/blog/category/{category.slug}/feed/",
            active_category=category,
        )

    @path("tag/<slug:slug>/")
    def by_tag(self, request, slug):
        tag = Tag.objects.filter(slug=slug).first()
        if tag is None:
            raise Http404("No such tag.")
        return self.render_listing(
            request, self.posts().filter(tags=tag), heading=f"Tagged “{tag.name}”"
        )

    @path("author/<slug:slug>/")
    def by_author(self, request, slug):
        author = Author.objects.filter(slug=slug).first()
        if author is None:
            raise Http404("No such author.")
        return self.render_listing(
            request,
            self.posts().filter(authors=author),
            heading=f"Posts by {author.name}",
            description=author.bio,
            active_author=author,
        )

    @path("year/<int:year>/")
    def by_year(self, request, year):
        return self.render_listing(
            request,
            self.posts().filter(date__year=year),
            heading=f"Posts from {year}",
            active_year=year,
        )


class BlogPage(OneQueryViewRestrictionsMixin, Page):
    """A blog post: ideas, data stories and the monthly Changemaker interview."""

    standfirst = models.TextField(
        max_length=400, help_text="The one- or two-sentence summary under the title, and on cards."
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Wide picture at the top. Set its focal point when you upload it so crops keep "
        "the subject. Images are public: never use one for members-only material.",
    )
    hero_alt = models.CharField(
        max_length=250,
        blank=True,
        help_text="What the picture shows, for people who can't see it. Leave empty to use the "
        "image's own description.",
    )
    body = StreamField(BlogBodyBlock(), help_text="The post itself.")
    date = models.DateField(
        "publication date", default=timezone.localdate, help_text="Shown on the post and in feeds."
    )
    authors = ParentalManyToManyField(Author, blank=True, related_name="posts")
    categories = ParentalManyToManyField(BlogCategory, blank=True, related_name="posts")
    tags = ClusterTaggableManager(through=BlogPageTag, blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("standfirst"),
        MultiFieldPanel([FieldPanel("hero_image"), FieldPanel("hero_alt")], "Hero image"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("date"),
                FieldPanel("authors"),
                FieldPanel("categories"),
                FieldPanel("tags"),
            ],
            "Byline and filing",
        ),
    ]
    search_fields = page_search_fields(
        index.SearchField("standfirst", boost=SUMMARY_BOOST),
        index.SearchField("body"),
        index.RelatedFields("tags", [index.SearchField("name", boost=LABEL_BOOST)]),
        index.RelatedFields("categories", [index.SearchField("name", boost=LABEL_BOOST)]),
        index.FilterField("date"),
    )
    parent_page_types = ["blog.BlogIndexPage"]
    subpage_types: list = []

    class Meta:
        indexes = [models.Index(fields=["date"])]

    # --- what cards, feeds and the post template show -----------------------------------
    @cached_property
    def category_list(self) -> list:
        return list(self.categories.all())

    @cached_property
    def author_list(self) -> list:
        return list(self.authors.all())

    @cached_property
    def tag_list(self) -> list:
        return list(self.tags.all())

    @property
    def category_label(self) -> str:
        return self.category_list[0].name if self.category_list else "Blog"

    @property
    def date_label(self) -> str:
        return date_format(self.date, "j F Y")

    @property
    def byline(self) -> str:
        return ", ".join(author.name for author in self.author_list)

    @property
    def hero_alt_text(self) -> str:
        if self.hero_alt:
            return self.hero_alt
        return self.hero_image.default_alt_text if self.hero_image else ""

    @cached_property
    def word_count(self) -> int:
        """Words in the standfirst and the rendered body. Rendering every block is the dear
        part, so the count is kept under a hash of the text it is counted from: an edit gives
        a new key, and a draft's preview counts its own words."""
        text = json.dumps(
            [self.standfirst, [(block["type"], block["value"]) for block in self.body.raw_data]],
            cls=DjangoJSONEncoder,
            sort_keys=True,
        )
        digest = hashlib.sha256(text.encode()).hexdigest()
        return cached_fragment(f"blog-word-count:{digest}", self._count_words)

    def _count_words(self) -> int:
        text = " ".join(
            str(block.render_as_block()) if block.block_type != "image" else ""
            for block in self.body
        )
        return len(strip_tags(text).split()) + len(self.standfirst.split())

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))

    def related_posts(self, limit: int = 3):
        """Other posts sharing a tag or a category, the most overlap first, then the newest."""
        tag_ids = [tag.pk for tag in self.tag_list]  # a draft's tags in a preview, too
        category_ids = [category.pk for category in self.category_list]
        return (
            BlogPage.objects.live()
            .public()
            .exclude(pk=self.pk)
            .filter(models.Q(tags__in=tag_ids) | models.Q(categories__in=category_ids))
            .annotate(overlap=models.Count("pk"))
            .order_by("-overlap", "-date")
            .only("title", "url_path", "date", "standfirst", "path", "depth")[:limit]
        )

    def _sibling(self, *, newer: bool):
        siblings = BlogPage.objects.sibling_of(self, inclusive=False).live().public()
        if newer:
            return (
                siblings.filter(
                    models.Q(date__gt=self.date) | models.Q(date=self.date, pk__gt=self.pk)
                )
                .order_by("date", "pk")
                .only("title", "url_path", "path", "depth")
                .first()
            )
        return (
            siblings.filter(models.Q(date__lt=self.date) | models.Q(date=self.date, pk__lt=self.pk))
            .order_by("-date", "-pk")
            .only("title", "url_path", "path", "depth")
            .first()
        )

    def _links(self, request) -> dict:
        """The related, newer and older posts. They change only when a post is published,
        unpublished or moved, each of which clears the page cache and the fragments kept with
        it (core.page_cache.cached_fragment); a preview shows the draft's own."""

        def links():
            return {
                "related_posts": list(self.related_posts()),
                "newer_post": self._sibling(newer=True),
                "older_post": self._sibling(newer=False),
            }

        if getattr(request, "is_preview", False) or self.pk is None:
            return links()
        return cached_fragment(f"blog-post-links:{self.pk}", links)

    def structured_data(self, request=None) -> str:
        """schema.org Article as JSON-LD, safe to put inside a <script> element."""
        data = {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": self.title[:110],
            "description": self.standfirst,
            "datePublished": self.date.isoformat(),
            "dateModified": timezone.localdate(self.last_published_at).isoformat(),
            "author": [
                {"@type": "Person", "name": author.name, "jobTitle": author.role or None}
                for author in self.author_list
            ],
            "publisher": {"@type": "Organization", "name": "civicnet"},
            "mainEntityOfPage": self.get_full_url(request),
            "keywords": [tag.name for tag in self.tag_list],
            "articleSection": self.category_label,
        }
        if self.hero_image:
            # get_rendition_or_not_found: a missing source file must not take the page down.
            url = get_rendition_or_not_found(self.hero_image, "fill-1200x630").url
            data["image"] = request.build_absolute_uri(url) if request else url
        return mark_safe(json.dumps(data).translate(_JSON_SCRIPT_ESCAPES))  # noqa: S308

    def post_fragments(self, request) -> dict:
        """The post's head tags, its article (header, hero, body, tags, share links, author
        bios) and its JSON-LD: the same for every visitor of a host, so kept in the cache.

        The key names the revision and the publication time (a publish gives a new key) and
        the scheme and host (the absolute addresses in them); editing an author, a category,
        a tag or an image clears the kept copies (BlogConfig.ready), and so does any publish,
        unpublish or move (core.page_cache.cached_fragment). A preview renders the draft.
        """
        if getattr(request, "is_preview", False) or self.pk is None:
            return self._render_fragments(request)
        published = self.last_published_at.isoformat() if self.last_published_at else ""
        version = f"{self.pk}:{self.latest_revision_id}:{published}"
        origin = f"{request.scheme}://{request.get_host()}"
        digest = hashlib.sha256(f"{version}:{origin}".encode()).hexdigest()
        return cached_fragment(
            f"blog-post:{self.pk}:{digest}", lambda: self._render_fragments(request)
        )

    def _render_fragments(self, request) -> dict:
        context = {"page": self, "request": request}
        return {
            "head": render_to_string("blog/includes/post_head.html", context),
            "article": render_to_string("blog/includes/post_article.html", context),
            "structured_data": self.structured_data(request),
        }

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(self._links(request))
        context["post_html"] = self.post_fragments(request)
        return context

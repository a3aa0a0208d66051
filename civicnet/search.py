"""Site search: blog posts, library teasers, events, City Vitals metros and general pages.

Wagtail's search backend (PostgreSQL full-text search in production) ranks the pages and
events; metros are matched by name. A resource page indexes only its public teaser (title,
summary, topics, cities), so members-only text can never appear in a result. When nothing
matches, a misspelt word is corrected against the site's own vocabulary and the search is
run again; with no query or no result at all, the page suggests what to read.

What a render asks the database: the pages matching the query (with who may see them checked
in that same query, every time) and the events matching it. Everything the same for every
visitor and changed only by content (the metros, each shown page's URL and text, the words for
"did you mean", the suggestions) is kept with core.page_cache's fragments, which any change to
content clears. Only the ten results shown are described and highlighted.
"""

import difflib
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Exists, F, OuterRef
from django.db.models.lookups import StartsWith
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe
from taggit.models import Tag
from wagtail.models import Page, PageViewRestriction
from wagtail.search.backends import get_search_backend

from blog.models import BlogCategory, BlogPage
from blog.selectors import latest_posts
from core.page_cache import cached_fragment, cached_fragments
from events.selectors import published_events, upcoming_events
from library.models import ResourceCity, ResourcePage, ResourceTopic
from vitals.models import Metro

RESULTS_PER_PAGE = 10
MAX_PER_SOURCE = 100
SNIPPET_CHARS = 220
SUGGESTED = 3  # of each kind
# Upcoming events kept for the suggestions: those that have ended are dropped at each render.
UPCOMING_KEPT = 20

KINDS = {
    "post": "Blog post",
    "resource": "Library resource",
    "event": "Event",
    "metro": "Metro",
    "page": "Page",
}


@dataclass
class Result:
    kind: str
    title: str
    url: str
    score: float
    members_only: bool = False
    # The page, event or metro found: describe() reads it, for the results shown only.
    source: object = field(default=None, repr=False)
    text: str = ""
    meta: str = ""
    snippet: str = field(default="")

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


# --- sources ----------------------------------------------------------------------------------
def _stream_text(stream) -> str:
    """The plain words of a StreamField's text blocks, without rendering it."""
    words = []

    def walk(value):
        if isinstance(value, str):
            words.append(strip_tags(value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for block in getattr(stream, "raw_data", []) or []:
        if block.get("type") in {"paragraph", "heading", "quote", "data_figure"}:
            walk(block.get("value"))
    return " ".join(words)


def _lead_and_body(lead: str, body: str) -> str:
    """A standfirst followed by the body's words, without saying the standfirst twice when the
    body opens with it."""
    lead, body = " ".join(lead.split()), " ".join(body.split())
    if lead and body.startswith(lead):
        body = body[len(lead) :].lstrip()
    return f"{lead} {body}".strip()


def _public_pages():
    """Live pages outside every private section (a page with a view restriction and the pages
    below it), the same as Wagtail's .public() for everyone, members included. Who may see a
    page is checked in the search's own query, on every search, never read from a cache."""
    restricting = PageViewRestriction.objects.filter(StartsWith(OuterRef("path"), F("page__path")))
    private = Page.objects.filter(Exists(restricting)).values("pk")
    return Page.objects.live().exclude(depth__lte=1).exclude(pk__in=private)


def _kind_of(page: Page) -> str:
    model = page.specific_class or Page
    if issubclass(model, BlogPage):
        return "post"
    if issubclass(model, ResourcePage):
        return "resource"
    return "page"


def _page_results(query: str) -> list[Result]:
    # The common page row only: what is shown of a page is read for the results shown.
    pages = (
        _public_pages()
        .only("title", "content_type")
        .search(query, operator="and")
        .annotate_score("_score")
    )
    results = []
    for page in list(pages[:MAX_PER_SOURCE]):
        kind = _kind_of(page)
        results.append(
            Result(
                kind=kind,
                title=page.title,
                url="",  # with the text, in describe()
                score=getattr(page, "_score", 0) or 0,
                members_only=kind == "resource",
                source=page,
            )
        )
    return results


def _page_description(page) -> tuple[str, str, str]:
    """A specific page's URL, the words a snippet is cut from and the line above its title."""
    if isinstance(page, BlogPage):
        return page.url, _lead_and_body(page.standfirst, _stream_text(page.body)), page.date_label
    if isinstance(page, ResourcePage):
        # The teaser only: the body is for members and is never shown here.
        return page.url, page.summary, page.type_label
    text = " ".join(
        filter(
            None,
            [
                page.search_description,
                getattr(page, "intro", ""),
                _stream_text(getattr(page, "body", None)),
            ],
        )
    )
    return page.url, text, ""


def _describe_pages(pages: list[Page]) -> dict[int, tuple[str, str, str]]:
    """_page_description() of each page, kept until content changes (one query a page type
    for those not kept)."""

    def describe(names):
        wanted = {int(name.rsplit(":", 1)[1]) for name in names}
        by_model = {}
        for page in pages:
            if page.pk in wanted:
                by_model.setdefault(page.specific_class or Page, []).append(page.pk)
        return {
            f"search:page:{page.pk}": _page_description(page)
            for model, ids in by_model.items()
            for page in model.objects.filter(pk__in=ids)
        }

    kept = cached_fragments([f"search:page:{page.pk}" for page in pages], describe)
    return {int(name.rsplit(":", 1)[1]): value for name, value in kept.items()}


def _event_description(event) -> tuple[str, str]:
    return (
        _lead_and_body(event.summary, strip_tags(event.body or "")),
        f"{event.get_kind_display()} · {event.local_starts_at:%-d %B %Y}",
    )


def describe(results: list[Result]) -> None:
    """Fill in what is shown of each result: its text (for the snippet), its meta line and a
    page's URL."""
    pages = [result.source for result in results if isinstance(result.source, Page)]
    pages_described = _describe_pages(pages) if pages else {}
    for result in results:
        if isinstance(result.source, Page):
            # (A page deleted since the search has no description: its URL, nothing more.)
            described = pages_described.get(result.source.pk) or (result.source.url, "", "")
            result.url, result.text, result.meta = described
        elif result.kind == "event":
            result.text, result.meta = _event_description(result.source)
        elif result.kind == "metro":
            _, name, _, population, year, region, _ = result.source
            result.text = (
                f"{name}: population {population:,} ({year}), {region} region. "
                "See how it ranks on City Vitals."
            )


def _event_results(query: str) -> list[Result]:
    events = (
        get_search_backend()
        .search(query, published_events(), operator="and")
        .annotate_score("_score")
    )
    results = []
    for event in list(events[:MAX_PER_SOURCE]):
        try:
            url = event.get_absolute_url()
        except NoReverseMatch:
            return []
        results.append(
            Result(
                kind="event",
                title=event.title,
                url=url,
                score=getattr(event, "_score", 0) or 0,
                source=event,
            )
        )
    return results


def _metros() -> list[tuple]:
    """Every metro, largest first, as (its name and principal city in lower case, name, URL,
    population, population year, region, states): plain tuples, the quickest to read back.
    Kept until content changes (an import or an edit in the admin clears it, as it does the
    metro pages); [] while metro pages are not served."""

    def rows():
        try:
            return [
                (
                    f"{metro.name}\n{metro.principal_city}".lower(),
                    metro.name,
                    metro.get_absolute_url(),
                    metro.population,
                    metro.population_year,
                    metro.region,
                    metro.states,
                )
                for metro in Metro.objects.order_by("-population", "name")
            ]
        except NoReverseMatch:
            return []

    return cached_fragment("search:metros", rows)


def _metro_results(query: str) -> list[Result]:
    """Metros whose name or principal city contains every word of the query."""
    terms = _terms(query)
    if not terms:
        return []
    found = _metros()
    for term in terms:  # (a word never holds the newline between name and city)
        found = [metro for metro in found if term in metro[0]]
    results = []
    for metro in found[:MAX_PER_SOURCE]:
        _, name, url, *_, states = metro
        results.append(
            Result(
                kind="metro",
                title=name,
                url=url,
                # A metro named in the query is almost certainly what the reader wants.
                score=10.0,
                meta=states,
                source=metro,
            )
        )
    return results


def run_search(query: str) -> list[Result]:
    results = _metro_results(query) + _page_results(query) + _event_results(query)
    results.sort(key=lambda result: result.score, reverse=True)
    return results


# --- highlighting, spelling, suggestions ------------------------------------------------------
def _terms(query: str) -> list[str]:
    return [term for term in re.findall(r"\w+", query.lower()) if len(term) > 1][:10]


def highlight(text: str, query: str, *, length: int = SNIPPET_CHARS) -> str:
    """A short, HTML-safe excerpt of text around the first match, matches in <mark>."""
    text = " ".join(text.split())
    terms = _terms(query)
    if not text:
        return ""
    pattern = (
        re.compile(r"\b(" + "|".join(map(re.escape, terms)) + r")\w*", re.I) if terms else None
    )
    match = pattern.search(text) if pattern else None
    start = 0
    if match and match.start() > length // 3:
        start = text.rfind(" ", 0, match.start() - length // 3) + 1
    excerpt = text[start : start + length]
    if start + length < len(text):
        excerpt = excerpt[: excerpt.rfind(" ")] + " …" if " " in excerpt else excerpt + "…"
    if start:
        excerpt = "… " + excerpt
    html = escape(excerpt)
    if pattern:
        html = pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", html)
    return mark_safe(html)  # noqa: S308 - built from escaped text


def vocabulary() -> list[str]:
    """Words a reader might search for, from titles, tags, topics and metro names, kept until
    content changes. Only what anyone may see: public pages' titles and tags."""

    def build():
        public_pages = Page.objects.live().public()
        public_posts = BlogPage.objects.live().public()
        texts = list(public_pages.values_list("title", flat=True))
        texts += BlogCategory.objects.values_list("name", flat=True)
        texts += ResourceTopic.objects.values_list("name", flat=True)
        texts += ResourceCity.objects.values_list("name", flat=True)
        texts += (
            Tag.objects.filter(blog_blogpagetag_items__content_object__in=public_posts)
            .distinct()
            .values_list("name", flat=True)
        )
        texts += Metro.objects.values_list("principal_city", flat=True)
        texts += published_events().values_list("title", flat=True)
        return sorted({word for text in texts for word in re.findall(r"[a-z]{3,}", text.lower())})

    return cached_fragment("search:vocabulary", build)


def corrected(query: str) -> str:
    """The query with misspelt words replaced by the closest word the site uses, or ''."""
    words = vocabulary()
    known = set(words)
    changed = False
    fixed = []
    for term in re.findall(r"\w+", query.lower()):
        if term in known or len(term) < 3:
            fixed.append(term)
            continue
        match = difflib.get_close_matches(term, words, n=1, cutoff=0.75)
        if match:
            fixed.append(match[0])
            changed = True
        else:
            fixed.append(term)
    return " ".join(fixed) if changed else ""


def _upcoming(now, limit: int) -> list[dict]:
    return [
        {"title": event.title, "url": event.get_absolute_url(), "ends_at": event.ends_at}
        for event in upcoming_events(now=now)[:limit]
    ]


def suggestions(request) -> dict:
    """What to offer when there is nothing to show: new posts, resources and events, kept
    until content changes (public pages only, the same for everyone). Kept as plain dicts: a
    class renamed in a later release could not be read back."""

    def build():
        resources = (
            ResourcePage.objects.live()
            .public()
            .order_by("-date", "-pk")
            .only("title", "url_path", "path", "depth")[:SUGGESTED]
        )
        return {
            "posts": [
                {"title": post.title, "url": post.url} for post in latest_posts(limit=SUGGESTED)
            ],
            "resources": [
                {"title": page.title, "url": page.get_url(request)} for page in resources
            ],
            # An event is no longer suggested once it is over (see below).
            "events": _upcoming(timezone.now(), UPCOMING_KEPT),
        }

    kept = cached_fragment(f"search:suggestions:{request.get_host()}", build)
    now = timezone.now()
    events = [event for event in kept["events"] if event["ends_at"] >= now]
    if len(events) < SUGGESTED and len(kept["events"]) == UPCOMING_KEPT:
        events = _upcoming(now, SUGGESTED)  # all those kept are over: ask again
    return {**kept, "events": events[:SUGGESTED]}


# --- the view ---------------------------------------------------------------------------------
def search(request):
    """Search results for ?q=, filtered by ?type=, ten to a page."""
    query = " ".join(request.GET.get("q", "").split())[:200]
    kind = request.GET.get("type", "")
    kind = kind if kind in KINDS else ""
    results: list[Result] = []
    correction = ""
    if query:
        results = run_search(query)
        if not results:
            correction = corrected(query)
            if correction:
                results = run_search(correction)
    counts = dict.fromkeys(KINDS, 0)
    for result in results:
        counts[result.kind] += 1
    shown = [result for result in results if not kind or result.kind == kind]
    paginator = Paginator(shown, RESULTS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except (PageNotAnInteger, EmptyPage):
        page = paginator.page(1)
    describe(page.object_list)
    for result in page:
        result.snippet = highlight(result.text, correction or query)

    base = {"q": query}
    tabs = [{"label": "All", "count": len(results), "query": urlencode(base), "selected": not kind}]
    tabs += [
        {
            "label": KINDS[key] + "s",
            "count": count,
            "query": urlencode({**base, "type": key}),
            "selected": key == kind,
        }
        for key, count in counts.items()
        if count or key == kind
    ]
    context = {
        "query": query,
        "kind": kind,
        "results": page,
        "correction": correction,
        "tabs": tabs if results else [],
        "query_prefix": urlencode({**base, **({"type": kind} if kind else {})}) + "&",
        "suggestions": suggestions(request) if not shown else None,
    }
    return render(request, "civicnet/search.html", context)

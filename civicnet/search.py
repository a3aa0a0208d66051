"""Site search: blog posts, library teasers, events, City Vitals metros and general pages.

Wagtail's search backend (PostgreSQL full-text search in production) ranks the pages and
events; metros are matched by name. A resource page indexes only its public teaser (title,
summary, topics, cities), so members-only text can never appear in a result. When nothing
matches, a misspelt word is corrected against the site's own vocabulary and the search is
run again; with no query or no result at all, the page suggests what to read.
"""

import difflib
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Q
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe
from taggit.models import Tag
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from blog.models import BlogCategory, BlogPage
from blog.selectors import latest_posts
from events.selectors import published_events, upcoming_events
from library.models import ResourceCity, ResourcePage, ResourceTopic
from vitals.models import Metro

RESULTS_PER_PAGE = 10
MAX_PER_SOURCE = 100
SNIPPET_CHARS = 220
VOCABULARY_CACHE_KEY = "search:vocabulary"
VOCABULARY_SECONDS = 10 * 60

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
    text: str
    score: float
    meta: str = ""
    members_only: bool = False
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


def _page_results(query: str) -> list[Result]:

    pages = (
        Page.objects.live()
        .public()
        .exclude(depth__lte=1)
        .specific()
        .search(query, operator="and")
        .annotate_score("_score")
    )
    results = []
    for page in list(pages[:MAX_PER_SOURCE]):
        score = getattr(page, "_score", 0) or 0
        specific = page
        if isinstance(specific, BlogPage):
            kind, text = "post", _lead_and_body(specific.standfirst, _stream_text(specific.body))
            meta = specific.date_label
        elif isinstance(specific, ResourcePage):
            # The teaser only: the body is for members and is never shown here.
            kind, text, meta = "resource", specific.summary, specific.type_label
        else:
            kind, meta = "page", ""
            text = " ".join(
                filter(
                    None,
                    [
                        page.search_description,
                        getattr(specific, "intro", ""),
                        _stream_text(getattr(specific, "body", None)),
                    ],
                )
            )
        results.append(
            Result(
                kind=kind,
                title=page.title,
                url=page.url,
                text=text,
                score=score,
                meta=meta,
                members_only=kind == "resource",
            )
        )
    return results


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
                text=_lead_and_body(event.summary, strip_tags(event.body or "")),
                score=getattr(event, "_score", 0) or 0,
                meta=f"{event.get_kind_display()} · {event.local_starts_at:%-d %B %Y}",
            )
        )
    return results


def _metro_results(query: str) -> list[Result]:
    terms = _terms(query)
    if not terms:
        return []
    condition = Q()
    for term in terms:
        condition &= Q(name__icontains=term) | Q(principal_city__icontains=term)
    results = []
    for metro in Metro.objects.filter(condition).order_by("-population")[:MAX_PER_SOURCE]:
        try:
            url = metro.get_absolute_url()
        except NoReverseMatch:  # metro pages are not served yet
            return []
        results.append(
            Result(
                kind="metro",
                title=metro.name,
                url=url,
                text=f"{metro.name}: population {metro.population:,} ({metro.population_year}), "
                f"{metro.region} region. See how it ranks on City Vitals.",
                # A metro named in the query is almost certainly what the reader wants.
                score=10.0,
                meta=metro.states,
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
    """Words a reader might search for, from titles, tags, topics and metro names."""

    def build():

        texts = list(Page.objects.live().public().values_list("title", flat=True))
        texts += BlogCategory.objects.values_list("name", flat=True)
        texts += ResourceTopic.objects.values_list("name", flat=True)
        texts += ResourceCity.objects.values_list("name", flat=True)

        texts += Tag.objects.values_list("name", flat=True)
        texts += Metro.objects.values_list("principal_city", flat=True)
        texts += published_events().values_list("title", flat=True)
        return sorted({word for text in texts for word in re.findall(r"[a-z]{3,}", text.lower())})

    return cache.get_or_set(VOCABULARY_CACHE_KEY, build, VOCABULARY_SECONDS)


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


def suggestions() -> dict:
    """What to offer when there is nothing to show: new posts, resources and events."""

    resources = list(
        ResourcePage.objects.live()
        .public()
        .order_by("-date", "-pk")
        .only("title", "url_path", "summary", "resource_type", "path", "depth")[:3]
    )
    events = list(upcoming_events()[:3])
    return {"posts": latest_posts(limit=3), "resources": resources, "events": events}


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
        "suggestions": suggestions() if not shown else None,
    }
    return render(request, "civicnet/search.html", context)

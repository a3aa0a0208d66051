from django import template
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from wagtail.models import Page, Site

from blog.models import BlogPage
from core.page_cache import cached_fragment
from core.staff import needs_second_factor
from events.selectors import published_challenges
from library.models import ResourcePage
from vitals.models import Dividend

register = template.Library()


@register.simple_tag(takes_context=True)
def canonical_url(context) -> str:
    """The served Wagtail page's full URL, or "" (a view's `page` may be a paginator's).
    With the request, Wagtail reads its site root paths once a request, not once a call."""
    page = context.get("page")
    if not isinstance(page, Page):
        return ""
    return page.get_full_url(request=context.get("request")) or ""


# The site's sections that are Django views. A section appears in the header once its app
# provides the named URL, so the navigation never links to a page that does not exist.
APP_SECTIONS = [
    ("City Vitals", "vitals:rankings"),
    ("Events", "events:index"),
    ("Challenges", "events:challenges"),
    ("Network", "members:network"),
    ("Clusters", "members:clusters"),
]


@register.inclusion_tag("components/main_navigation.html", takes_context=True)
def main_navigation(context):
    request = context["request"]

    def entries():
        found = []
        for label, url_name in APP_SECTIONS:
            try:
                found.append({"label": label, "url": reverse(url_name)})
            except NoReverseMatch:
                continue
        site = Site.find_for_request(request)
        if site:
            menu_pages = site.root_page.get_children().live().in_menu().only("title", "url_path")
            found += [{"label": page.title, "url": page.get_url(request)} for page in menu_pages]
        return found

    # The same for every visitor of this host until content changes (see cached_fragment).
    items = [dict(item) for item in cached_fragment(f"nav:{request.get_host()}", entries)]
    path = request.path
    for item in items:
        # "page" on the section's own address, "true" anywhere below it (screen readers say
        # "current page" and "current" respectively).
        if item["url"] == path:
            item["current"] = "page"
        elif item["url"] != "/" and path.startswith(item["url"]):
            item["current"] = "true"
        else:
            item["current"] = ""
    return {"items": items, "request": request}


@register.filter
def may_edit(user) -> bool:
    """Whether the editor's bar could show for this person: anyone holding a permission.

    Spares the bar's two permission queries for everyone else (members, visitors)."""
    return getattr(user, "is_authenticated", False) and needs_second_factor(user)


def _has_tag(message, tag: str) -> bool:
    return tag in (message.extra_tags or "").split()


@register.filter
def with_tag(messages, tag: str) -> list:
    """The messages carrying this extra tag (feedback's answer, shown beside the form)."""
    return [message for message in messages or () if _has_tag(message, tag)]


@register.filter
def without_tag(messages, tag: str) -> list:
    return [message for message in messages or () if not _has_tag(message, tag)]


@register.inclusion_tag("components/breadcrumbs.html", takes_context=True)
def page_breadcrumbs(context, page: Page):
    """Breadcrumbs for a Wagtail page: its ancestors below the tree's root."""
    request = context.get("request")

    def crumbs():
        ancestors = page.get_ancestors().filter(depth__gt=1).live().only("title", "url_path")
        return [{"label": a.title, "url": a.get_url(request)} for a in ancestors]

    # An ancestor's title or address changes only when it is published (see cached_fragment);
    # a preview shows the draft's own.
    if request is None or page.pk is None or getattr(request, "is_preview", False):
        return {"crumbs": crumbs(), "current": page.title}
    key = f"crumbs:{request.get_host()}:{page.pk}"
    return {"crumbs": cached_fragment(key, crumbs), "current": page.title}


@register.inclusion_tag("civicnet/includes/metro_related_items.html", takes_context=True)
def metro_related(context, metro, limit: int = 3):
    """Blog posts and library resources about a metro's principal city, for its vitals page.

    It lives in the project so that vitals never imports blog or library. Only public
    fields are shown: a resource's teaser, never its members-only body.
    """

    city = metro.principal_city
    posts = (
        BlogPage.objects.live()
        .public()
        .filter(Q(tags__name__iexact=city) | Q(title__icontains=city))
        .distinct()
        .order_by("-date", "-pk")
        .only("title", "url_path", "standfirst", "date")[:limit]
    )
    resources = (
        ResourcePage.objects.live()
        .public()
        .filter(Q(cities__name__istartswith=city) | Q(title__icontains=city))
        .distinct()
        .order_by("-first_published_at", "-pk")
        .only("title", "url_path", "summary")[:limit]
    )
    return {
        "metro": metro,
        "posts": posts,
        "resources": resources,
        "request": context.get("request"),
    }


@register.inclusion_tag("civicnet/includes/dividend_practice_items.html", takes_context=True)
def dividend_practice(context, dividend: str = "", limit: int = 6):
    """Prize Challenges and library resources tagged with a City Dividend ("who is working
    on this"), for the vitals dividend pages: all three dividends, or the one named.

    Two queries however many there are; resources show their public teaser only.
    """
    codes = [dividend] if dividend in Dividend.values else list(Dividend.values)
    challenges = list(
        published_challenges()
        .filter(dividend__in=codes)
        .order_by("-opens_at", "pk")
        .only("title", "slug", "summary", "dividend", "closes_at")[:limit]
    )
    resources = list(
        ResourcePage.objects.live()
        .public()
        .filter(dividend__in=codes)
        .order_by("-first_published_at", "-pk")
        .only("title", "url_path", "summary", "dividend")[:limit]
    )
    groups = [
        {
            "code": code,
            "label": Dividend(code).label,
            "challenges": [c for c in challenges if c.dividend == code],
            "resources": [r for r in resources if r.dividend == code],
        }
        for code in codes
    ]
    return {
        "groups": groups,
        "empty": not challenges and not resources,
        "request": context.get("request"),
    }

"""Wagtail's page serving, with the page found in a fixed number of queries at any depth.

Wagtail's own serve view finds the page for /a/b/c/ by asking for the site root's specific
page, then for each child in turn by slug and again for its specific page: two queries a path
segment. This view finds the Site (one query, Wagtail's own: get_site_for_hostname), every
page along the path in one query (their url_paths under the site root) and the served page's
specific row (one more), then hands over to Wagtail's serve, which reads the route we leave
on the request (`request._wagtail_route_for_request`, as Page.route_for_request keeps it).
The three queries are compiled once per process (core.prepared): compiling them cost more
than running them, on every page served.

What Wagtail's Page.route decides is decided the same way here: each page on the way is the
parent of the next whatever its own publication state (a live child of a draft parent is
served), only the page served must be live, and a page whose class routes by itself
(RoutablePageMixin, or any class overriding route) gets its own route() for the rest of the
path, exactly as Wagtail would call it. Everything after routing (view restrictions, the
before_serve_page hooks, serve()) is Wagtail's serve view itself.
"""

from functools import cache
from itertools import accumulate

from django.db.models import Case, IntegerField, Q, When
from django.http import Http404
from django.http.request import split_domain_port
from django.urls import re_path
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import Page, Site
from wagtail.models.sites import (
    MATCH_DEFAULT,
    MATCH_HOSTNAME,
    MATCH_HOSTNAME_DEFAULT,
    MATCH_HOSTNAME_PORT,
)

from .prepared import PreparedQuery


def serve(request, path):
    if not hasattr(request, "_wagtail_route_for_request"):
        try:
            request._wagtail_route_for_request = route_for_request(request, path)
        except Http404:
            request._wagtail_route_for_request = None
    return wagtail_views.serve(request, path)


def route_for_request(request, path):
    """What Page.route_for_request answers (page, args, kwargs or None; route() may raise
    Http404), without walking the tree one query a level."""
    site = find_site(request)
    if site is None:
        return None
    root = site.root_page.localized  # (the page itself, no query, unless i18n is on)
    components = [component for component in path.split("/") if component]
    pages = _pages_along(root, components)
    page = root
    for index, component in enumerate(components):
        route = page.specific_class.route if page.specific_class else Page.route
        if route is RoutablePageMixin.route:
            # Its own route tries its subpage URLs first (only while it is live) and falls
            # back on Page.route; the URL resolver needs no query to tell.
            if page.live and _resolves(page.specific_deferred, components[index:]):
                return _specific(page).route(request, components[index:])
        elif route is not Page.route:
            return _specific(page).route(request, components[index:])
        child = pages.get(page.url_path + component + "/")
        if child is None:
            raise Http404
        child._cached_parent_obj = page  # as Page.route does: get_parent() asks nothing
        page = child
    return _specific(page).route(request, [])


def find_site(request):
    """Site.find_for_request(request), kept on the request where Wagtail's own calls find it."""
    if not hasattr(request, "_wagtail_site"):
        hostname = split_domain_port(request._get_raw_host())[0]
        try:
            port = int(request.get_port())
        except ValueError:
            return Site.find_for_request(request)  # as Wagtail would answer it
        request._wagtail_site = _best_site(_SITES.run(hostname=hostname, port=port))
    return request._wagtail_site


def _sites_for(hostname, port):
    """wagtail.models.sites.get_site_for_hostname's query: the sites that may serve this host,
    best first."""
    return (
        Site.objects.annotate(
            match=Case(
                When(hostname=hostname, port=port, then=MATCH_HOSTNAME_PORT),
                When(hostname=hostname, is_default_site=True, then=MATCH_HOSTNAME_DEFAULT),
                When(is_default_site=True, then=MATCH_DEFAULT),
                default=MATCH_HOSTNAME,
                output_field=IntegerField(),
            )
        )
        .filter(Q(hostname=hostname) | Q(is_default_site=True))
        .order_by("match")
        .select_related("root_page")
    )


_SITES = PreparedQuery(_sites_for, hostname="core.routing.host-marker", port=7_300_011)


def _best_site(sites):
    """What get_site_for_hostname chooses among them (None where it raises DoesNotExist)."""
    if len(sites) == 1 or (
        sites and sites[0].match in (MATCH_HOSTNAME_PORT, MATCH_HOSTNAME_DEFAULT)
    ):
        return sites[0]
    if sites and sites[0].match == MATCH_DEFAULT:
        return sites[len(sites) == 2]
    return None


# Paths this deep or shallower have their query compiled once; a deeper one is compiled
# each time (as Django does), so no visitor can make the process keep more.
PREPARED_DEPTH = 8


def _pages_along(root, components) -> dict:
    """The pages at each prefix of the path under `root`, by url_path, in one query (plain
    Page instances: only the served one needs its specific row)."""
    if not components:
        return {}
    url_paths = list(
        accumulate((component + "/" for component in components), initial=root.url_path)
    )[1:]
    values = {
        **{f"slug{index}": component for index, component in enumerate(components)},
        **{f"url_path{index}": url_path for index, url_path in enumerate(url_paths)},
    }
    if len(components) <= PREPARED_DEPTH:
        found = _pages_at_depth(len(components)).run(**values)
    else:
        found = _pages_query(**values)
    # Under this site's root only: another tree (a locale's) has the same url_paths.
    return {page.url_path: page for page in found if page.path.startswith(root.path)}


def _pages_query(**values):
    # slug__in lets PostgreSQL use the slug index (url_path has none).
    slugs = [value for name, value in values.items() if name.startswith("slug")]
    url_paths = [value for name, value in values.items() if name.startswith("url_path")]
    return Page.objects.filter(slug__in=slugs, url_path__in=url_paths)


@cache
def _pages_at_depth(depth: int) -> PreparedQuery:
    markers = {
        **{f"slug{index}": f"core.routing.slug-marker-{index}" for index in range(depth)},
        **{f"url_path{index}": f"/core.routing.url-path-marker-{index}/" for index in range(depth)},
    }
    return PreparedQuery(_pages_query, **markers)


def _specific(page):
    """page.specific, its row read by a query compiled once per page class (and kept as
    page.specific, as Wagtail's cached property would)."""
    model = page.specific_class
    if model is None or isinstance(page, model) or "specific" in page.__dict__:
        return page.specific
    found = _specific_row(model).run(pk=page.pk)
    if not found:
        return page.specific  # gone meanwhile: as Wagtail would answer it
    specific = found[0]
    for name, value in page.__dict__.items():  # what Page.get_specific copies
        specific.__dict__.setdefault(name, value)
    page.__dict__["specific"] = specific
    return specific


@cache
def _specific_row(model) -> PreparedQuery:
    return PreparedQuery(lambda pk: model._default_manager.filter(id=pk), pk=-7_300_012)


def _resolves(routable_page, components) -> bool:
    subpage_path = "/" + "".join(component + "/" for component in components)
    try:
        routable_page.resolve_subpage(subpage_path)
    except Http404:
        return False
    return True


# Wagtail's own URLs (the password form, the front-end login) with this serve view in place
# of Wagtail's, under the same name and pattern (so trailing slashes behave the same).
urlpatterns = [
    *(pattern for pattern in wagtail_urls.urlpatterns if pattern.name != "wagtail_serve"),
    re_path(wagtail_urls.serve_pattern, serve, name="wagtail_serve"),
]

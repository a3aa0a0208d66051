"""Wagtail's page serving, with the page found in a fixed number of queries at any depth.

Wagtail's own serve view finds the page for /a/b/c/ by asking for the site root's specific
page, then for each child in turn by slug and again for its specific page: two queries a path
segment. This view finds the Site (Wagtail's Site.find_for_request, one query), every page
along the path in one query (their url_paths under the site root) and the served page's
specific row (one more), then hands over to Wagtail's serve, which reads the route we leave
on the request (`request._wagtail_route_for_request`, as Page.route_for_request keeps it).

What Wagtail's Page.route decides is decided the same way here: each page on the way is the
parent of the next whatever its own publication state (a live child of a draft parent is
served), only the page served must be live, and a page whose class routes by itself
(RoutablePageMixin, or any class overriding route) gets its own route() for the rest of the
path, exactly as Wagtail would call it. Everything after routing (view restrictions, the
before_serve_page hooks, serve()) is Wagtail's serve view itself.
"""

from django.http import Http404
from django.urls import re_path
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import Page, Site


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
    site = Site.find_for_request(request)
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
                return page.specific.route(request, components[index:])
        elif route is not Page.route:
            return page.specific.route(request, components[index:])
        child = pages.get(page.url_path + component + "/")
        if child is None:
            raise Http404
        child._cached_parent_obj = page  # as Page.route does: get_parent() asks nothing
        page = child
    return page.specific.route(request, [])


def _pages_along(root, components) -> dict:
    """The pages at each prefix of the path under `root`, by url_path, in one query (plain
    Page instances: only the served one needs its specific row)."""
    if not components:
        return {}
    url_paths = []
    url_path = root.url_path
    for component in components:
        url_path += component + "/"
        url_paths.append(url_path)
    # slug__in lets PostgreSQL use the slug index (url_path has none).
    found = Page.objects.filter(
        path__startswith=root.path, slug__in=set(components), url_path__in=url_paths
    )
    return {page.url_path: page for page in found}


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

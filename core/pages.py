"""Wagtail page helpers every app may use."""

from wagtail.models import Page, Site


def site_home() -> Page | None:
    """The default site's home page, or None while it has none of its own (a new install
    still points at Wagtail's welcome page). Apps add their sections under it."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None or site.root_page.specific_class is Page:
        return None
    return site.root_page.specific

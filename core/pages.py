"""Wagtail page helpers every app may use."""

from wagtail.models import Page, Site
from wagtail.search import index


def site_home() -> Page | None:
    """The default site's home page, or None while it has none of its own (a new install
    still points at Wagtail's welcome page). Apps add their sections under it."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None or site.root_page.specific_class is Page:
        return None
    return site.root_page.specific


# Search weights, highest first: a title match ranks above a summary or standfirst match,
# which ranks above a mention in the body. PostgreSQL has four weights (A to D) and Wagtail
# maps the project's distinct boosts onto them: 10 (also Wagtail's own for image and document
# titles) is A, 4 is B, 2 (Wagtail's default page title) is C, an unboosted body is D. A
# title still wins over a summary when it is up to about twice the average title's length.
TITLE_BOOST = 10
SUMMARY_BOOST = 4
LABEL_BOOST = 2  # tags, topics, categories, cities


def page_search_fields(*fields) -> list:
    """Page.search_fields (Wagtail checks they are all there), then the title again weighted
    as TITLE_BOOST (the later of two same-named fields is the one indexed), then fields."""
    return [*Page.search_fields, index.SearchField("title", boost=TITLE_BOOST), *fields]

"""Wagtail page helpers every app may use."""

from django.db.models.expressions import RawSQL
from wagtail.models import Page, PageViewRestriction, Site
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


class OneQueryViewRestrictionsMixin:
    """Page.get_view_restrictions() in one query: Wagtail's asks for the ancestors (and for
    each alias's source page), then for their restrictions.

    The same answer: the restrictions of the page and of every ancestor, an alias counting as
    the page it is an alias of (its source's restrictions, never its own).
    """

    def get_view_restrictions(self):
        if self.pk is None or not self.path:
            return super().get_view_restrictions()
        ancestor_paths = [
            self.path[:end] for end in range(self.steplen, len(self.path), self.steplen)
        ]
        # The ancestors and the page itself (as this instance says, as Wagtail does), each
        # alias followed to its source; the pages left are those whose restrictions count.
        # (RawSQL: the ORM cannot write a recursive CTE; the values are parameters, and the
        # SQL is plain enough for SQLite too, the demo's database.)
        ancestors = (
            f"path IN ({', '.join(['%s'] * len(ancestor_paths))}) OR " if ancestor_paths else ""
        )
        pages_checked = RawSQL(  # noqa: S611
            f"""
            WITH RECURSIVE checked (id, alias_of_id) AS (
                SELECT id, alias_of_id FROM wagtailcore_page
                WHERE {ancestors}id = %s
                UNION
                SELECT page.id, page.alias_of_id
                FROM wagtailcore_page page JOIN checked ON page.id = checked.alias_of_id
            )
            SELECT id FROM checked WHERE alias_of_id IS NULL
            """,  # noqa: S608 (only placeholders are formatted in)
            (*ancestor_paths, self.alias_of_id or self.pk),
        )
        return PageViewRestriction.objects.filter(page_id__in=pages_checked)

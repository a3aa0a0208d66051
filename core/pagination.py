"""A page of a queryset with its total in one query.

Django's Paginator asks two: a COUNT, then the page's slice. Here the slice carries the
total as `COUNT(*) OVER ()` (counted before LIMIT), so a listing that is rendered on every
request (a signed-in page, never from the page cache) pays one round trip for both.
"""

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window


def page_of(queryset: QuerySet, number, per_page: int) -> Page:
    """What `Paginator(queryset, per_page).get_page(number)` answers.

    One query when the page exists; past the end (or a number that is not a plain page
    number) it falls back to `get_page`, which answers the last page or the first.
    """
    paginator = Paginator(queryset, per_page)
    try:
        number = int(number or 1)
    except (TypeError, ValueError):
        return paginator.get_page(number)
    if number < 1:
        return paginator.get_page(number)
    bottom = (number - 1) * per_page
    rows = list(queryset.annotate(paginator_total=Window(Count("*")))[bottom : bottom + per_page])
    if not rows and number > 1:
        return paginator.get_page(number)
    # Paginator.count is a cached_property: setting it is what counting would have cached.
    paginator.count = rows[0].paginator_total if rows else 0
    return Page(rows, number, paginator)

"""Published City Vitals editions: the list, an edition's frozen rankings, its downloads,
and what moved between two editions. Drafts are not found here, whoever asks."""

from urllib.parse import urlencode

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.csv import csv_response

from ..models import Edition
from ..selectors.editions import (
    EDITION_DOWNLOAD_FIELDS,
    OVERALL,
    REASONS,
    citation_text,
    data_years_note,
    edition_download_records,
    edition_moves,
    edition_peer_group,
    edition_series_ranking,
    edition_table,
    previous_edition,
    published_editions,
    sort_moves,
)
from .common import crumbs

MOVE_SORTS = {
    "biggest": "Biggest movers",
    "gainers": "Biggest gains",
    "fallers": "Biggest falls",
    "metro": "Metro",
    "indicator": "Indicator",
}


def _published(slug: str) -> Edition:
    return get_object_or_404(Edition, slug=slug, published_at__isnull=False)


def _edition_crumbs():
    return [*crumbs(), {"label": "Editions", "url": reverse("vitals:editions")}]


@require_GET
def editions(request):
    items = published_editions()
    return render(
        request,
        "vitals/editions/list.html",
        {
            "editions": items,
            "current": items[0] if items else None,
            "crumbs": crumbs(),
            "citation_frozen": False,
        },
    )


@require_GET
def edition(request, slug):
    edition = _published(slug)
    groups, peer_group = edition_peer_group(edition, request.GET.get("peer", ""))
    if peer_group is None:
        raise Http404("This edition ranked no peer group.")
    table = edition_table(edition=edition, peer_group=peer_group)
    wanted = request.GET.get("indicator", "")
    chosen = next((s for s in table["series"] if s.code == wanted), None)
    if wanted and chosen is None:
        raise Http404("This edition has no such indicator in that peer group.")
    query = urlencode({"peer": peer_group.slug}) if not peer_group.is_default else ""
    context = {
        "edition": edition,
        "peer_groups": groups,
        "peer_group": peer_group,
        **table,
        "chosen": chosen,
        "ranking": edition_series_ranking(chosen) if chosen else [],
        "download_query": query,
        "slope": getattr(peer_group, "talent_slope", None),
        "crumbs": _edition_crumbs(),
        "citation_frozen": True,
    }
    return render(request, "vitals/editions/detail.html", context)


def _download(request, slug):
    edition = _published(slug)
    _, peer_group = edition_peer_group(edition, request.GET.get("peer", ""))
    if peer_group is None:
        raise Http404("This edition ranked no peer group.")
    url = request.build_absolute_uri(edition.get_absolute_url())
    citation = citation_text(
        edition=edition, url=url, title="Frozen figures and ranks", frozen=True
    )
    return edition, peer_group, citation


@require_GET
def edition_csv(request, slug):
    """Every frozen figure of one peer group. The citation is a column of its own, the last,
    on every row: a comment line would break CSV readers that expect the header first."""
    edition, peer_group, citation = _download(request, slug)
    records = edition_download_records(edition=edition, peer_group=peer_group, citation=citation)
    response = csv_response(
        f"civicnet-{edition.slug}-{peer_group.slug}.csv",
        EDITION_DOWNLOAD_FIELDS,
        ([record[name] for name in EDITION_DOWNLOAD_FIELDS] for record in records),
        cache_control="public, max-age=86400",
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def edition_json(request, slug):
    edition, peer_group, citation = _download(request, slug)
    records = list(
        edition_download_records(edition=edition, peer_group=peer_group, citation=citation)
    )
    for record in records:
        del record["citation"]  # said once, at the top
    series = list(peer_group.series.all())
    body = {
        "citation": {
            "text": citation,
            "title": edition.title,
            "publisher": "civicnet",
            "published": timezone.localdate(edition.published_at).isoformat(),
            "url": request.build_absolute_uri(edition.get_absolute_url()),
        },
        "edition": {
            "title": edition.title,
            "slug": edition.slug,
            "data_through": edition.data_through,
            "data_years": data_years_note([s for s in series if s.is_headline]),
            "notes": edition.notes,
        },
        "peer_group": {
            "slug": peer_group.slug,
            "name": peer_group.name,
            "ranked_metros": peer_group.ranked_count,
        },
        "indicators": [
            {
                "code": s.code,
                "name": s.name,
                "headline": s.is_headline,
                "method_version": s.method_version,
                "year": s.year,
                "ranked_of": s.ranked_count,
                "national": (
                    {
                        "year": s.year,  # frozen only when of the series' own year
                        "period": s.national_period,
                        "value": s.national_value,
                        "margin_of_error": s.national_margin_of_error,
                    }
                    if s.national_value is not None
                    else None
                ),
                "source": {
                    "title": s.source_title,
                    "url": s.source_url,
                    "licence": s.source_licence,
                },
            }
            for s in series
        ],
        "rows": records,
    }
    response = JsonResponse(body, json_dumps_params={"indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def edition_moved(request, slug):
    """What moved: rank changes from an earlier edition (`since`, default the one before)."""
    edition = _published(slug)
    since_slug = request.GET.get("since", "")
    if since_slug:
        since = _published(since_slug)
        if since.published_at >= edition.published_at:
            raise Http404("Choose an edition published before this one.")
    else:
        since = previous_edition(edition)
    groups, peer_group = edition_peer_group(edition, request.GET.get("peer", ""))
    result = (
        edition_moves(new=edition, old=since, peer_slug=peer_group.slug)
        if since and peer_group
        else {"moves": [], "series_reasons": {}}
    )
    moves = result["moves"]
    series = list(peer_group.series.all()) if peer_group else []
    indicator = request.GET.get("indicator", "")
    reason = request.GET.get("reason", "")
    if indicator:
        moves = [m for m in moves if m.indicator_code == indicator]
    metro = request.GET.get("metro", "")
    if metro:
        moves = [m for m in moves if m.metro.slug == metro]
    if reason in REASONS:
        moves = [m for m in moves if m.reason == reason]
    sort = request.GET.get("sort", "biggest")
    sort = sort if sort in MOVE_SORTS else "biggest"
    keep = {k: v for k, v in request.GET.items() if k != "sort" and v}
    context = {
        "edition": edition,
        "since": since,
        "earlier": [e for e in published_editions() if e.published_at < edition.published_at],
        "peer_groups": groups,
        "peer_group": peer_group,
        "moves": sort_moves(moves, sort),
        "indicators": [(OVERALL, "Overall position")] + [(s.code, s.name) for s in series],
        "years": data_years_note([s for s in series if s.is_headline]),
        "indicator": indicator,
        "metro": next((m.metro for m in moves), None) if metro else None,
        "reasons": REASONS,
        "reason": reason if reason in REASONS else "",
        "sort": sort,
        "sorts": [
            (key, label, "?" + urlencode({**keep, "sort": key}))
            for key, label in MOVE_SORTS.items()
        ],
        "series_reasons": result["series_reasons"],
        "crumbs": _edition_crumbs(),
        "citation_frozen": True,
    }
    return render(request, "vitals/editions/moved.html", context)

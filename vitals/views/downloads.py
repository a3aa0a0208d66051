from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.csv import csv_response

from ..models import Metro
from ..selectors import (
    DOWNLOAD_FIELDS,
    METRO_DOWNLOAD_FIELDS,
    download_records,
    download_table,
    metro_download_rows,
    peer_group_for,
    peer_groups,
    series_benchmarks,
)
from ..selectors.editions import citation_text, current_edition
from .common import rankings_context

METHOD_NOTE = (
    "Overall position: civicnet's own method. Each metro's percentile ranks over the headline "
    "indicators it has figures for, averaged (weighted when weights are given). See "
    "/vitals/methodology/."
)


def _citation(request, title: str) -> str:
    """Every download carries its citation: a last `citation` column on every CSV row (a
    comment line would break CSV readers), a `citation` field in JSON."""
    return citation_text(edition=current_edition(), url=request.build_absolute_uri(), title=title)


def _download(request):
    context = rankings_context(request, with_stability=False)
    wanted = request.GET.get("indicator", "")
    columns, rows = download_table(context, indicator_code=wanted)
    if wanted and not columns:
        raise Http404("No such headline indicator.")
    return context, columns, rows


@require_GET
def rankings_csv(request):
    context, columns, rows = _download(request)
    records = download_records(peer_group=context["peer_group"], columns=columns, rows=rows)
    citation = _citation(request, "Rankings (CSV)")
    # Not streamed: open data the page cache may keep.
    response = csv_response(
        "civicnet-city-vitals-rankings.csv",
        [*DOWNLOAD_FIELDS, "citation"],
        ([*(record.get(field) for field in DOWNLOAD_FIELDS), citation] for record in records),
        stream=False,
        cache_control="",
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def rankings_json(request):
    context, columns, rows = _download(request)
    national = series_benchmarks(
        (c.indicator.pk, c.series.year, c.source.series_name) for c in columns if c.series
    )
    body = {
        "title": "civicnet City Vitals rankings",
        "citation": _citation(request, "Rankings (JSON)"),
        "url": request.build_absolute_uri(reverse("vitals:rankings")),
        "peer_group": {"slug": context["peer_group"].slug, "name": context["peer_group"].name},
        "as_of_year": context["as_of_year"],
        "method": METHOD_NOTE,
        "ranked_metros": context["ranked_count"],
        "indicators": [
            {
                "code": c.indicator.code,
                "name": c.indicator.name,
                "unit": c.indicator.unit,
                "direction": c.indicator.direction,
                "year": c.series.year,
                "ranked_of": c.series.ranked_count,
                "national": _national(national.get(c.indicator.pk)),
                "source": {
                    "title": c.source.title,
                    "publisher": c.source.publisher,
                    "url": c.source.url,
                    "licence": c.source.licence,
                },
            }
            for c in columns
        ],
        "licence": "The figures are U.S. Government works in the public domain; civicnet's ranks and "
        "scores are free to reuse with a link to " + settings.SITE_URL + "/vitals/methodology/",
        "rows": list(
            download_records(peer_group=context["peer_group"], columns=columns, rows=rows)
        ),
    }
    response = JsonResponse(body, json_dumps_params={"indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def metro_csv(request, slug):
    metro = get_object_or_404(Metro, slug=slug)
    peer_group = peer_group_for(peer_groups(), request.GET.get("peer", ""))
    citation = _citation(request, f"{metro.name} (CSV)")
    # Not streamed: open data the page cache may keep, and small.
    return csv_response(
        f"civicnet-vitals-{metro.slug}.csv",
        [*METRO_DOWNLOAD_FIELDS, "citation"],
        ([*row, citation] for row in metro_download_rows(metro=metro, peer_group=peer_group)),
        stream=False,
        cache_control="",
    )


def _national(benchmark) -> dict | None:
    """The United States' figure of the column's year and series; None when there is none."""
    figure = benchmark.figure if benchmark else None
    if figure is None:
        return None
    return {
        "year": figure.year,
        "period": figure.period,
        "value": figure.value,
        "margin_of_error": figure.margin_of_error,
    }

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import select_template
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from core.csv import csv_response

from . import charts
from .forms import RankingsForm
from .models import Area, Indicator, Metro, Observation, PeerGroup, Ranking, Source
from .selectors import (
    Series,
    headline_indicators,
    headline_series,
    latest_series,
    overall_positions,
    position_stability,
    rankings_table,
    series_counts,
)

METHOD_NOTE = (
    "Overall position: civicnet's own method. Each metro's percentile ranks over the headline "
    "indicators it has figures for, averaged (weighted when weights are given). See "
    "/vitals/methodology/."
)


HOME = {"label": "Home", "url": "/"}


def _crumbs(*, with_vitals: bool = True) -> list[dict]:
    return (
        [HOME, {"label": "City Vitals", "url": reverse("vitals:rankings")}]
        if with_vitals
        else [HOME]
    )


def _peer_groups():
    return list(PeerGroup.objects.all())


def _pick_peer_group(groups, slug):
    for group in groups:
        if group.slug == slug:
            return group
    return next((g for g in groups if g.is_default), groups[0] if groups else None)


def _rankings_context(request, *, with_stability=True, groups=None):
    groups = _peer_groups() if groups is None else groups
    indicators = headline_indicators()
    peer_slug = request.GET.get("peer", "")
    peer_group = _pick_peer_group(groups, peer_slug)
    if peer_group is None:
        raise Http404("No peer groups are set up.")
    years = sorted(
        {
            row[1]
            for row in series_counts(
                peer_group=peer_group, indicator_ids=[i.pk for i in indicators]
            )
        },
        reverse=True,
    )
    form = RankingsForm(request.GET, years=years, peer_groups=groups, indicators=indicators)
    weights = {i.pk: float(form.cleaned(f"w_{i.code}", 1)) for i in indicators}
    if not any(weights.values()):
        weights = dict.fromkeys(weights, 1.0)
    table = rankings_table(
        peer_group=peer_group,
        as_of_year=form.cleaned("year"),
        weights=weights,
        state=form.cleaned("state", ""),
        region=form.cleaned("region", ""),
        band=form.cleaned("band", ""),
        query=form.cleaned("q", "").strip(),
        with_stability=with_stability,
    )
    return {
        "form": form,
        "peer_group": peer_group,
        "indicators": indicators,
        "weights": weights,
        **table,
    }


def _sort_rows(rows, key: str, descending: bool, columns):
    by_code = {c.indicator.code: c.indicator for c in columns}
    if key == "metro":
        rows.sort(key=lambda r: r.metro.name, reverse=descending)
    elif key == "population":
        rows.sort(key=lambda r: r.metro.population, reverse=descending)
    elif key in by_code:
        indicator_id = by_code[key].pk
        ranked = [r for r in rows if indicator_id in r.cells]
        unranked = [r for r in rows if indicator_id not in r.cells]
        ranked.sort(key=lambda r: (r.cells[indicator_id].rank, r.metro.name), reverse=descending)
        rows[:] = ranked + sorted(unranked, key=lambda r: r.metro.name)  # unranked always last
    else:
        ranked = sorted(
            (r for r in rows if r.position),
            key=lambda r: (r.position, r.metro.name),
            reverse=descending,
        )
        rows[:] = ranked + sorted((r for r in rows if not r.position), key=lambda r: r.metro.name)


@require_GET
def rankings(request):
    groups = _peer_groups()
    if not groups:
        return render(request, "vitals/empty.html", {"crumbs": _crumbs(with_vitals=False)})
    context = _rankings_context(request, groups=groups)
    form = context["form"]
    sort = form.cleaned("sort", "overall")
    direction = form.cleaned("dir", "asc")
    _sort_rows(context["rows"], sort, direction == "desc", context["columns"])
    keep = {k: v for k, v in request.GET.items() if k not in {"sort", "dir"} and v}

    def header(key, label, default_dir="asc"):
        current = sort == key
        next_dir = ("desc" if direction == "asc" else "asc") if current else default_dir
        return {
            "key": key,
            "label": label,
            "url": "?" + urlencode({**keep, "sort": key, "dir": next_dir}),
            "aria_sort": ("ascending" if direction == "asc" else "descending") if current else None,
        }

    context["headers"] = {
        "overall": header("overall", "Overall"),
        "metro": header("metro", "Metro"),
        "population": header("population", "Population", "desc"),
    }
    for column in context["columns"]:
        column.header = header(column.indicator.code, column.indicator.name)
    context["download_query"] = urlencode({k: v for k, v in keep.items() if k in {"year", "peer"}})
    context["reweighted"] = any(w != 1.0 for w in context["weights"].values())
    context["areas_without_data"] = _areas_without_data()
    context["crumbs"] = _crumbs(with_vitals=False)
    return render(request, "vitals/rankings.html", context)


def _areas_without_data():
    covered = set(
        Indicator.objects.filter(observations__isnull=False)
        .values_list("area", flat=True)
        .distinct()
    )
    return [label for value, label in Area.choices if value not in covered]


def _years_caption(trend_series) -> str:
    years = sorted({year for points in trend_series.values() for year, _ in points})
    if not years:
        return ""
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    return f"Data years {span}; full source names in the table below."


@require_GET
def metro(request, slug):
    metro = get_object_or_404(Metro, slug=slug)
    groups = _peer_groups()
    peer_group = _pick_peer_group(groups, request.GET.get("peer", ""))
    indicators = headline_indicators()
    series = headline_series(peer_group=peer_group, indicators=indicators) if peer_group else {}
    positions = overall_positions(peer_group=peer_group, series=series) if peer_group else {}
    in_group = metro.pk in positions
    stability = (
        position_stability(peer_group=peer_group, series=series, weights={}).get(metro.pk)
        if in_group
        else None
    )
    observations = list(
        Observation.objects.filter(metro=metro)
        .select_related("indicator", "source")
        .order_by("year")
    )
    own_ranks = {
        (r.indicator_id, r.year, r.source_id): r
        for r in Ranking.objects.filter(metro=metro, peer_group=peer_group)
    }
    series_filter = Q(pk__in=[])
    for s in series.values():
        series_filter |= Q(indicator_id=s.indicator_id, year=s.year, source_id=s.source_id)
    averages = dict(
        Ranking.objects.filter(series_filter, peer_group=peer_group)
        .values_list("indicator_id")
        .annotate(avg=Avg("value"))
        .order_by()
    )
    by_indicator: dict[int, list[Observation]] = {}
    for observation in observations:
        by_indicator.setdefault(observation.indicator_id, []).append(observation)
    cards = []
    for indicator in indicators:
        s = series.get(indicator.pk)
        current = None
        if s:
            current = next(
                (
                    o
                    for o in by_indicator.get(indicator.pk, [])
                    if (o.year, o.source_id) == (s.year, s.source_id)
                ),
                None,
            )
        if current is None and by_indicator.get(indicator.pk):
            current = by_indicator[indicator.pk][-1]
        previous = None
        if current:
            earlier = [
                o
                for o in by_indicator.get(indicator.pk, [])
                if o.source_id == current.source_id and o.year < current.year
            ]
            previous = earlier[-1] if earlier else None
        ranking = (
            own_ranks.get((indicator.pk, current.year, current.source_id)) if current else None
        )
        trend_series = {}
        for o in by_indicator.get(indicator.pk, []):
            trend_series.setdefault(o.source, []).append((o.year, o.value))
        chart = charts.line_chart(
            id=f"trend-{indicator.code}",
            title=f"{indicator.name} in {metro.principal_city}, by year",
            description=(
                f"Line chart of {indicator.name.lower()} for {metro.name}, "
                + "; ".join(
                    f"{source.publisher}: "
                    + ", ".join(f"{y} {indicator.format_value(v)}" for y, v in points)
                    for source, points in trend_series.items()
                )
            ),
            caption=_years_caption(trend_series),
            series=[
                {"label": "Source: " + Truncator(source.title).chars(44), "points": points}
                for source, points in trend_series.items()
            ],
            fmt=indicator.format_value,
            y_label=indicator.get_unit_display(),
        )
        cards.append(
            {
                "indicator": indicator,
                "current": current,
                "previous": previous,
                "change": (current.value - previous.value) if current and previous else None,
                "ranking": ranking,
                "peer_average": averages.get(indicator.pk)
                if s and current and current.year == s.year
                else None,
                "chart": chart,
                "trend_rows": [
                    (o.year, o.period, o.source.title, indicator.format_value(o.value))
                    for o in by_indicator.get(indicator.pk, [])
                ],
            }
        )
    headline_ids = {i.pk for i in indicators}
    others = [o for o in observations if o.indicator_id not in headline_ids]
    latest_others = {}
    for o in others:
        latest_others[(o.indicator_id, o.source_id)] = o
    nearest = []
    if in_group:
        mine = positions[metro.pk]["position"]
        near_ids = sorted(
            (mid for mid in positions if mid != metro.pk),
            key=lambda mid: (abs(positions[mid]["position"] - mine), positions[mid]["position"]),
        )[:4]
        near = Metro.objects.in_bulk(near_ids)
        nearest = sorted(
            [{"metro": near[mid], **positions[mid]} for mid in near_ids],
            key=lambda n: n["position"],
        )
    related = select_template(
        ["civicnet/includes/metro_related.html", "vitals/includes/related_none.html"]
    )
    context = {
        "metro": metro,
        "peer_group": peer_group,
        "overall": positions.get(metro.pk),
        "ranked_count": len(positions),
        "stability": stability,
        "cards": cards,
        "other_observations": sorted(latest_others.values(), key=lambda o: o.indicator.name),
        "nearest": nearest,
        "related_template": related.template.name,
        "badge_url": request.build_absolute_uri(reverse("vitals:badge", args=[metro.slug])),
        "page_url": request.build_absolute_uri(metro.get_absolute_url()),
        "areas_without_data": _areas_without_data(),
    }
    context["crumbs"] = _crumbs()
    return render(request, "vitals/metro.html", context)


@require_GET
def metro_csv(request, slug):
    metro = get_object_or_404(Metro, slug=slug)
    peer_group = _pick_peer_group(_peer_groups(), request.GET.get("peer", ""))
    ranks = {
        r.observation_id: r for r in Ranking.objects.filter(metro=metro, peer_group=peer_group)
    }
    header = [
        "cbsa_code",
        "metro",
        "indicator",
        "indicator_name",
        "year",
        "period",
        "value",
        "margin_of_error",
        "rank",
        "ranked_of",
        "peer_group",
        "source",
        "source_url",
        "licence",
    ]
    observations = (
        Observation.objects.filter(metro=metro)
        .select_related("indicator", "source")
        .order_by("indicator__code", "year", "source__code")
    )
    rows = (
        [
            metro.cbsa_code,
            metro.name,
            o.indicator.code,
            o.indicator.name,
            o.year,
            o.period,
            o.value,
            o.margin_of_error,
            ranks[o.pk].rank if o.pk in ranks else None,
            ranks[o.pk].ranked_count if o.pk in ranks else None,
            peer_group.slug,
            o.source.title,
            o.source.url,
            o.source.licence,
        ]
        for o in observations
    )
    # Not streamed: open data the page cache may keep, and small.
    return csv_response(
        f"civicnet-vitals-{metro.slug}.csv", header, rows, stream=False, cache_control=""
    )


@require_GET
def badge(request, slug):
    metro = get_object_or_404(Metro, slug=slug)
    peer_group = _pick_peer_group(_peer_groups(), "")
    indicators = headline_indicators()
    series = headline_series(peer_group=peer_group, indicators=indicators)
    positions = overall_positions(peer_group=peer_group, series=series)
    overall = positions.get(metro.pk)
    year = max((s.year for s in series.values()), default="")
    response = render(
        request,
        "vitals/badge.svg",
        {
            "metro": metro,
            "overall": overall,
            "ranked_count": len(positions),
            "year": year,
            "peer_group": peer_group,
        },
        content_type="image/svg+xml; charset=utf-8",
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def indicator(request, slug):
    indicator = get_object_or_404(Indicator, code=slug.replace("-", "_"))
    groups = _peer_groups()
    peer_group = _pick_peer_group(groups, request.GET.get("peer", ""))
    all_series = series_counts(peer_group=peer_group, indicator_ids=[indicator.pk])
    available = [(year, source_id, n) for _, year, source_id, n in all_series]
    sources = Source.objects.in_bulk({source_id for _, source_id, _ in available})
    chosen = latest_series(all_series).get(indicator.pk)
    wanted_year, _, wanted_source = request.GET.get("series", "").partition("|")
    match = [
        a
        for a in available
        if str(a[0]) == wanted_year and (not wanted_source or sources[a[1]].code == wanted_source)
    ]
    if match:
        chosen = Series(indicator.pk, match[0][0], match[0][1], match[0][2])
    highlight = Metro.objects.filter(slug=request.GET.get("metro", "")).first()
    rankings = []
    if chosen:
        rankings = list(
            Ranking.objects.filter(
                peer_group=peer_group,
                indicator=indicator,
                year=chosen.year,
                source_id=chosen.source_id,
            )
            .select_related("metro", "observation")
            .order_by("rank", "metro__name")
        )
    source = sources.get(chosen.source_id) if chosen else None
    unranked = Metro.objects.filter(peer_group.metro_filter()).exclude(
        pk__in=[r.metro_id for r in rankings]
    )
    caption = f"{chosen.year if chosen else ''} · Source: {source.publisher if source else '—'}"
    bar = charts.bar_chart(
        id="ranked",
        title=f"{indicator.name}: {peer_group.name.lower()}, ranked",
        description=(
            f"Bar chart of {indicator.name.lower()} for {len(rankings)} metros in "
            f"{chosen.year if chosen else ''}, best first ({indicator.get_direction_display().lower()})."
        ),
        x_label=indicator.get_unit_display(),
        caption=caption,
        items=[
            {
                "label": f"{r.rank}. {r.metro.principal_city}, {r.metro.state_list[0]}",
                "value": r.value,
                "highlight": highlight is not None and r.metro_id == highlight.pk,
            }
            for r in rankings
        ],
        fmt=indicator.format_value,
    )
    highlighted = next((r for r in rankings if highlight and r.metro_id == highlight.pk), None)
    distribution = charts.histogram(
        id="distribution",
        title=f"How {indicator.name.lower()} is spread across {len(rankings)} metros",
        description=(
            f"Histogram: how many metros fall in each band of {indicator.name.lower()}"
            + (
                f"; {highlight.name} is marked at {indicator.format_value(highlighted.value)}."
                if highlighted
                else "."
            )
        ),
        x_label=indicator.get_unit_display(),
        caption=caption,
        values=[r.value for r in rankings],
        fmt=indicator.format_value,
        highlight=highlighted.value if highlighted else None,
    )
    context = {
        "indicator": indicator,
        "peer_group": peer_group,
        "peer_groups": groups,
        "series": chosen,
        "source": source,
        "available": [
            (year, sources[source_id], n) for year, source_id, n in sorted(available, reverse=True)
        ],
        "rankings": rankings,
        "unranked": unranked,
        "bar": bar,
        "distribution": distribution,
        "highlight": highlight,
        "highlighted": highlighted,
        "metros_for_highlight": [r.metro for r in sorted(rankings, key=lambda r: r.metro.name)],
    }
    context["crumbs"] = _crumbs()
    return render(request, "vitals/indicator.html", context)


@require_GET
def compare(request):
    slugs = [s for s in request.GET.getlist("metro") if s][:5]
    metros_by_slug = Metro.objects.in_bulk(slugs, field_name="slug")
    chosen = [metros_by_slug[s] for s in dict.fromkeys(slugs) if s in metros_by_slug]
    peer_group = _pick_peer_group(_peer_groups(), request.GET.get("peer", ""))
    indicators = headline_indicators()
    series = headline_series(peer_group=peer_group, indicators=indicators)
    positions = overall_positions(peer_group=peer_group, series=series) if chosen else {}
    series_filter = Q(pk__in=[])
    for s in series.values():
        series_filter |= Q(indicator_id=s.indicator_id, year=s.year, source_id=s.source_id)
    figures, ranks = {}, {}
    if chosen:
        # Figures come from the observations, so a metro outside the peer group still shows
        # its values; only the ranks come from the peer group.
        for o in Observation.objects.filter(series_filter, metro__in=chosen):
            figures[(o.metro_id, o.indicator_id)] = o
        for r in Ranking.objects.filter(series_filter, peer_group=peer_group, metro__in=chosen):
            ranks[(r.metro_id, r.indicator_id)] = r
    sources = Source.objects.in_bulk([s.source_id for s in series.values()])
    rows, multiples = [], []
    for indicator in indicators:
        s = series.get(indicator.pk)
        cells = [
            {"figure": figures.get((m.pk, indicator.pk)), "rank": ranks.get((m.pk, indicator.pk))}
            for m in chosen
        ]
        rows.append(
            {
                "indicator": indicator,
                "series": s,
                "cells": cells,
                "source": sources.get(s.source_id) if s else None,
            }
        )
        present = [
            (i, m, c["figure"])
            for i, (m, c) in enumerate(zip(chosen, cells, strict=True))
            if c["figure"]
        ]
        if len(chosen) >= 2 and present:
            multiples.append(
                charts.bar_chart(
                    id=f"compare-{indicator.code}",
                    title=indicator.name,
                    description=f"{indicator.name} in {s.year}: "
                    + "; ".join(
                        f"{m.principal_city} {indicator.format_value(f.value)}"
                        for _, m, f in present
                    ),
                    x_label=indicator.get_unit_display(),
                    caption=Truncator(f"{s.year} · Source: {sources[s.source_id].publisher}").chars(
                        64
                    ),
                    items=[
                        {
                            "label": Truncator(f"{m.principal_city}, {m.state_list[0]}").chars(18),
                            "value": f.value,
                            "colour": i,
                        }
                        for i, m, f in present
                    ],
                    fmt=indicator.format_value,
                    width=400,
                    left=120,
                )
            )
    all_metros = Metro.objects.only("slug", "name").order_by("name")
    selects = [chosen[i].slug if i < len(chosen) else "" for i in range(5)]
    context = {
        "metros": chosen,
        "overall": [positions.get(m.pk) for m in chosen],
        "rows": rows,
        "multiples": multiples,
        "all_metros": list(all_metros),
        "selects": selects,
        "peer_group": peer_group,
        "ranked_count": len(positions),
        "too_few": len(chosen) < 2,
    }
    context["crumbs"] = _crumbs()
    return render(request, "vitals/compare.html", context)


@require_GET
def methodology(request):
    indicators = list(
        Indicator.objects.annotate(n=Count("observations")).order_by(
            "area", "headline_order", "name"
        )
    )
    by_area = []
    for value, label in Area.choices:
        members = [i for i in indicators if i.area == value]
        by_area.append({"label": label, "indicators": members})
    sources = list(Source.objects.annotate(n=Count("observations")).order_by("title"))
    return render(
        request,
        "vitals/methodology.html",
        {"areas": by_area, "sources": sources, "peer_groups": _peer_groups(), "crumbs": _crumbs()},
    )


def _download_rows(request):
    context = _rankings_context(request, with_stability=False)
    wanted = request.GET.get("indicator", "")
    columns = [
        c for c in context["columns"] if c.series and (not wanted or c.indicator.code == wanted)
    ]
    if wanted and not columns:
        raise Http404("No such headline indicator.")
    rows = sorted(
        context["rows"], key=lambda r: (r.position is None, r.position or 0, r.metro.name)
    )
    return context, columns, rows


DOWNLOAD_FIELDS = [
    "peer_group",
    "cbsa_code",
    "metro",
    "overall_position",
    "overall_score",
    "indicator",
    "indicator_name",
    "year",
    "period",
    "value",
    "margin_of_error",
    "rank",
    "ranked_of",
    "percentile",
    "source",
    "source_url",
    "licence",
]


def _download_records(context, columns, rows):
    for row in rows:
        for column in columns:
            r = row.cells.get(column.indicator.pk)
            yield {
                "peer_group": context["peer_group"].slug,
                "cbsa_code": row.metro.cbsa_code,
                "metro": row.metro.name,
                "overall_position": row.position,
                "overall_score": round(row.score, 2) if row.score is not None else None,
                "indicator": column.indicator.code,
                "indicator_name": column.indicator.name,
                "year": column.series.year,
                "period": r.observation.period if r else None,
                "value": r.value if r else None,
                "margin_of_error": r.observation.margin_of_error if r else None,
                "rank": r.rank if r else None,
                "ranked_of": column.series.ranked_count,
                "percentile": round(r.percentile, 2) if r else None,
                "source": column.source.title,
                "source_url": column.source.url,
                "licence": column.source.licence,
            }


@require_GET
def rankings_csv(request):
    context, columns, rows = _download_rows(request)
    records = _download_records(context, columns, rows)
    # Not streamed: open data the page cache may keep.
    response = csv_response(
        "civicnet-city-vitals-rankings.csv",
        DOWNLOAD_FIELDS,
        ([record.get(field) for field in DOWNLOAD_FIELDS] for record in records),
        stream=False,
        cache_control="",
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def rankings_json(request):
    context, columns, rows = _download_rows(request)
    body = {
        "title": "civicnet City Vitals rankings",
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
        "rows": list(_download_records(context, columns, rows)),
    }
    response = JsonResponse(body, json_dumps_params={"indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    return response

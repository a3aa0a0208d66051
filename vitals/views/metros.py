from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from core.page_cache import cached_fragment

from .. import charts
from ..models import Metro
from ..selectors import (
    areas_without_data,
    headline_indicators,
    headline_series,
    metro_profile,
    overall_positions,
    peer_group_for,
    peer_groups,
)
from ..selectors.editions import current_edition, data_years, edition_badge, edition_rank_moves
from .common import crumbs


@require_GET
def metro(request, slug):
    metro = get_object_or_404(Metro, slug=slug)
    peer_group = peer_group_for(peer_groups(), request.GET.get("peer", ""))
    # Everything below the hero is the same for every visitor of this host until City
    # Vitals' figures, an edition or a page changes, each of which clears the page cache and
    # with it this fragment (see core.page_cache.cached_fragment): computed once, not per render.
    key = f"vitals-metro:{request.get_host()}:{metro.pk}:{peer_group.pk if peer_group else 0}"
    shown = cached_fragment(key, lambda: _metro_shown(request, metro, peer_group))
    context = {
        "metro": metro,
        "peer_group": peer_group,
        **shown,
        "body": mark_safe(shown["body"]),  # noqa: S308 (our own template's output)
        "page_url": request.build_absolute_uri(metro.get_absolute_url()),
        "crumbs": crumbs(),
    }
    return render(request, "vitals/metro.html", context)


def _metro_shown(request, metro, peer_group) -> dict:
    """The metro page's overall position and its rendered body, as plain values."""
    profile = metro_profile(metro=metro, peer_group=peer_group, indicators=headline_indicators())
    for card in profile["cards"]:
        national = profile["national"].get(card["indicator"].pk, [])
        card["chart"] = _trend_chart(metro, card["indicator"], card["history"], national)
        fmt = card["indicator"].format_value
        card["trend_rows"] = [
            (o.year, o.period, o.source.title, fmt(o.value)) for o in card["history"]
        ] + [
            (f.year, f.period, f"United States ({f.source.series_name})", fmt(f.value))
            for f in _national_in_chart(card["history"], national)
        ]
    # The project may add related posts and resources; vitals never names their apps.
    related = select_template(
        ["civicnet/includes/metro_related.html", "vitals/includes/related_none.html"]
    )
    context = {
        "metro": metro,
        "peer_group": peer_group,
        **profile,
        "related_template": related.template.name,
        "badge_url": request.build_absolute_uri(reverse("vitals:badge", args=[metro.slug])),
        "page_url": request.build_absolute_uri(metro.get_absolute_url()),
        "areas_without_data": areas_without_data(),
        "edition_moves": edition_rank_moves(metro=metro, peer_group=peer_group),
    }
    return {
        "overall": profile["overall"],
        "ranked_count": profile["ranked_count"],
        "stability": profile["stability"],
        # The edition the citation names: it changes only when an edition is published, which
        # clears this fragment too.
        "current_edition": current_edition(),
        # Rendered without the request: nothing in it depends on who asks.
        "body": str(render_to_string("vitals/includes/metro_body.html", context)),
    }


def _national_in_chart(history, national):
    """The national figures of the series the metro has figures in."""
    shown = {o.source.series_name for o in history}
    return [f for f in national if f.source.series_name in shown]


def _trend_chart(metro, indicator, history, national) -> charts.Chart:
    """A line per series of the metro's figures for the indicator, by year, and a dashed
    line of the national figures of the same series. Series are never joined into one line."""
    by_series, national_by_series = {}, {}
    for o in history:
        by_series.setdefault(o.source.series_name, []).append((o.year, o.value))
    for f in _national_in_chart(history, national):
        national_by_series.setdefault(f.source.series_name, []).append((f.year, f.value))
    lines = [
        {"label": f"{metro.principal_city}, {name}", "points": points}
        for name, points in by_series.items()
    ] + [
        {"label": f"United States, {name}", "points": points, "dashed": True}
        for name, points in national_by_series.items()
    ]
    return charts.line_chart(
        id=f"trend-{indicator.code}",
        title=f"{indicator.name} in {metro.principal_city}, by year",
        description=(
            f"Line chart of {indicator.name.lower()} for {metro.name}, one line per series "
            "(figures of different surveys are not joined); "
            + "; ".join(
                f"{line['label']}: "
                + ", ".join(f"{y} {indicator.format_value(v)}" for y, v in line["points"])
                for line in lines
            )
        ),
        caption=_years_caption(by_series, national_by_series),
        series=lines,
        fmt=indicator.format_value,
        y_label=charts.axis_title(indicator),
    )


def _years_caption(by_series, national_by_series) -> str:
    lines = [*by_series.values(), *national_by_series.values()]
    years = sorted({year for points in lines for year, _ in points})
    if not years:
        return ""
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    if len(lines) > 1:
        return f"Data years {span}; one line per series; sources below."
    return f"Data years {span}; full source names in the table below."


@require_GET
def badge(request, slug):
    """The embeddable badge. With a published edition it shows that edition's frozen
    position, so the name on it ("City Vitals 2026") and the rank always agree; otherwise
    the live position, labelled as live. Either way it says which data years it holds."""
    metro = get_object_or_404(Metro, slug=slug)
    edition = current_edition()
    frozen = edition_badge(edition=edition, metro=metro) if edition else None
    if frozen:
        context = {**frozen, "label": edition.title}
    else:
        peer_group = peer_group_for(peer_groups(), "")
        series = (
            headline_series(peer_group=peer_group, indicators=headline_indicators())
            if peer_group
            else {}
        )
        positions = overall_positions(peer_group=peer_group, series=series) if series else {}
        context = {
            "overall": positions.get(metro.pk),
            "ranked_count": len(positions),
            "peer_group_name": peer_group.name if peer_group else "",
            "years": data_years(s.year for s in series.values()),
            "label": "City Vitals (live)",
        }
    overall = context["overall"]
    response = render(
        request,
        "vitals/badge.svg",
        {
            "metro": metro,
            **context,
            "text": charts.badge(
                place=f"{metro.principal_city}, {metro.state_list[0]}",
                position=overall["position"] if overall else None,
                ranked_count=context["ranked_count"],
                group=context["peer_group_name"],
                edition=f"{context['label']} · data {context['years'] or '—'}",
            ),
        },
        content_type="image/svg+xml; charset=utf-8",
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response

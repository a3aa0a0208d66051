from django.shortcuts import get_object_or_404, render
from django.template.loader import select_template
from django.urls import reverse
from django.views.decorators.http import require_GET

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
    profile = metro_profile(metro=metro, peer_group=peer_group, indicators=headline_indicators())
    for card in profile["cards"]:
        card["chart"] = _trend_chart(metro, card["indicator"], card["history"])
        card["trend_rows"] = [
            (o.year, o.period, o.source.title, card["indicator"].format_value(o.value))
            for o in card["history"]
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
        "crumbs": crumbs(),
    }
    return render(request, "vitals/metro.html", context)


def _trend_chart(metro, indicator, history) -> charts.Chart:
    """A line per source of the metro's figures for the indicator, by year."""
    by_source = {}
    for o in history:
        by_source.setdefault(o.source, []).append((o.year, o.value))
    return charts.line_chart(
        id=f"trend-{indicator.code}",
        title=f"{indicator.name} in {metro.principal_city}, by year",
        description=(
            f"Line chart of {indicator.name.lower()} for {metro.name}, "
            + "; ".join(
                f"{source.publisher}: "
                + ", ".join(f"{y} {indicator.format_value(v)}" for y, v in points)
                for source, points in by_source.items()
            )
        ),
        caption=_years_caption(by_source),
        series=[
            {"label": f"Source: {source.title}", "points": points}
            for source, points in by_source.items()
        ],
        fmt=indicator.format_value,
        y_label=charts.axis_title(indicator),
    )


def _years_caption(by_source) -> str:
    years = sorted({year for points in by_source.values() for year, _ in points})
    if not years:
        return ""
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
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

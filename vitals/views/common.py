from django.http import Http404
from django.urls import reverse

from ..changes import period_label
from ..forms import RankingsForm
from ..selectors import (
    headline_indicators,
    peer_group_for,
    peer_groups,
    rankings_table,
    series_counts,
)

HOME = {"label": "Home", "url": "/"}


def crumbs(*, with_vitals: bool = True) -> list[dict]:
    return (
        [HOME, {"label": "City Vitals", "url": reverse("vitals:rankings")}]
        if with_vitals
        else [HOME]
    )


def rankings_context(request, *, with_stability=True, groups=None, figures_only=False) -> dict:
    """The rankings table the query string asks for (peer group, year, filters, weights),
    with the form that read it; values the form refuses fall back to the defaults."""
    groups = peer_groups() if groups is None else groups
    indicators = headline_indicators()
    peer_group = peer_group_for(groups, request.GET.get("peer", ""))
    if peer_group is None:
        raise Http404("No peer groups are set up.")
    # The headline series' counts, asked once for the form's years and the table.
    rows = series_counts(peer_group=peer_group, indicator_ids=[i.pk for i in indicators])
    years = sorted({year for _, year, _, _ in rows}, reverse=True)
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
        indicators=indicators,
        rows=rows,
        figures_only=figures_only,
    )
    return {
        "form": form,
        "peer_group": peer_group,
        "indicators": indicators,
        "weights": weights,
        **table,
    }


def national_bar(benchmark) -> dict | None:
    """A chart's bar of the national figure of the chart's year and series, labelled with its
    period; None when the nation has no figure of that year and series."""
    if benchmark is None or benchmark.figure is None:
        return None
    return {
        "label": f"United States ({period_label(benchmark.figure)})",
        "value": benchmark.figure.value,
        "national": True,
    }

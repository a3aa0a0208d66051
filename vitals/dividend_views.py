"""City Dividends pages: one metro's dividends, and the national summary."""

from django.shortcuts import get_object_or_404, render
from django.template.loader import select_template
from django.urls import reverse
from django.views.decorators.http import require_GET

from . import charts
from .dividend_forms import StepsForm
from .dividends import (
    ATTAINMENT,
    DAYS_A_YEAR,
    INCOME,
    PUBLISHED_TALENT_SLOPE,
    current_constants,
    dividends_for,
    input_indicators,
    metro_inputs,
    slope_points,
)
from .models import Edition, EditionTalentSlope, Metro, PeerGroup, TalentSlope
from .selectors.editions import edition_slope_points

HOME = {"label": "Home", "url": "/"}


def _pick_peer_group(groups: list[PeerGroup], slug: str) -> PeerGroup | None:
    for group in groups:
        if group.slug == slug:
            return group
    return next((g for g in groups if g.is_default), groups[0] if groups else None)


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _thousands(value: float) -> str:
    return f"${value / 1000:,.0f}k"


def _scatter(slope: TalentSlope | None, points: list[dict], highlight: Metro | None):
    if slope is None:
        return None, []
    highlighted = next((p for p in points if highlight and p["metro_id"] == highlight.pk), None)
    chart = charts.scatter_chart(
        id="talent-scatter",
        title=f"Income and degrees, {slope.year}",
        description=(
            f"Scatter plot of per-capita income against the share of adults with a four-year "
            f"degree for {len(points)} metros ({slope.peer_group.name.lower()}), {slope.year}, "
            f"with the fitted line: ${slope.dollars_per_point:,.0f} of income per percentage "
            f"point, R² {slope.r_squared:.2f}."
            + (
                f" {highlighted['name']} is highlighted at {_percent(highlighted[ATTAINMENT])}, "
                f"${highlighted[INCOME]:,.0f}."
                if highlighted
                else ""
            )
        ),
        x_label="Adults 25+ with a degree (%)",
        y_label="Per-capita income ($)",
        caption=f"{slope.year} · Census ACS; BEA",
        points=[
            {
                "x": p[ATTAINMENT],
                "y": p[INCOME],
                "label": p["city"],
                "highlight": p is highlighted,
            }
            for p in points
        ],
        fit=(slope.dollars_per_point * 100, slope.intercept),
        fmt_x=_percent,
        fmt_y=_thousands,
    )
    rows = [
        {
            **p,
            "fitted": slope.intercept + slope.dollars_per_point * 100 * p[ATTAINMENT],
            "highlight": p is highlighted,
        }
        for p in points
    ]
    return chart, rows


def _common(request):
    """What both pages read: peer group, its slope, the constants and the visitor's steps."""
    groups = list(PeerGroup.objects.all())
    peer_group = _pick_peer_group(groups, request.GET.get("peer", ""))
    edition = None
    if request.GET.get("edition"):
        # An edition's dividends use the slope it froze, never the one refitted since.
        edition = get_object_or_404(
            Edition, slug=request.GET["edition"], published_at__isnull=False
        )
        slope = (
            EditionTalentSlope.objects.select_related(
                "peer_group", "attainment_source", "income_source"
            ).filter(peer_group__edition=edition, peer_group__slug=getattr(peer_group, "slug", ""))
        ).first()
    else:
        slope = (
            TalentSlope.objects.select_related(
                "peer_group", "attainment_source", "income_source"
            ).filter(peer_group=peer_group)
        ).first()
    constants = current_constants()
    form = StepsForm(request.GET if request.GET else None)
    steps = form.steps(constants)
    return {
        "peer_groups": groups,
        "peer_group": peer_group,
        "slope": slope,
        "edition": edition,
        "published_slope": PUBLISHED_TALENT_SLOPE,
        "constants": constants,
        "form": form,
        "steps": steps,
        "days": DAYS_A_YEAR,
        "practice_template": select_template(
            [
                "civicnet/includes/dividend_practice.html",
                "vitals/includes/dividend_practice_none.html",
            ]
        ).template.name,
    }


def _points(context) -> list[dict]:
    slope = context["slope"]
    if slope is None:
        return []
    return edition_slope_points(slope) if context["edition"] else slope_points(slope)


def _render(request, template: str, context: dict):
    # Steps the form refused: the page still answers, with the message, as a client error.
    status = 400 if context["form"].is_bound and not context["form"].is_valid() else 200
    return render(request, template, context, status=status)


@require_GET
def metro_dividends(request, slug):
    metro = get_object_or_404(Metro, slug=slug)
    context = _common(request)
    slope = context["slope"]
    chart, table = _scatter(slope, _points(context), metro)
    context.update(
        metro=metro,
        inputs=metro_inputs(metro),
        indicators=input_indicators(),
        dividends=dividends_for(
            population=metro.population,
            steps=context["steps"],
            constants=context["constants"],
            slope=slope,
        ),
        in_fit=any(row["highlight"] for row in table),
        chart=chart,
        chart_rows=table,
        crumbs=[
            HOME,
            {"label": "City Vitals", "url": reverse("vitals:rankings")},
            {"label": metro.name, "url": metro.get_absolute_url()},
        ],
    )
    return _render(request, "vitals/dividends_metro.html", context)


@require_GET
def dividends(request):
    context = _common(request)
    peer_group, slope = context["peer_group"], context["slope"]
    metros = list(Metro.objects.filter(peer_group.metro_filter())) if peer_group else []
    rows = [
        {
            "metro": metro,
            "dividends": dividends_for(
                population=metro.population,
                steps=context["steps"],
                constants=context["constants"],
                slope=slope,
            ),
        }
        for metro in metros
    ]
    chart, table = _scatter(slope, _points(context), None)
    context.update(
        rows=rows,
        population=sum(m.population for m in metros),
        totals=dividends_for(
            population=sum(m.population for m in metros),
            steps=context["steps"],
            constants=context["constants"],
            slope=slope,
        ),
        chart=chart,
        chart_rows=table,
        crumbs=[HOME, {"label": "City Vitals", "url": reverse("vitals:rankings")}],
    )
    return _render(request, "vitals/dividends.html", context)

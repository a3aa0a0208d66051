"""City Dividends pages: one metro's dividends, and the national summary."""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import select_template
from django.urls import reverse
from django.views.decorators.http import require_GET

from . import charts
from .access import member_access
from .dividend_forms import StepsForm
from .dividends import (
    ATTAINMENT,
    DAYS_A_YEAR,
    INCOME,
    PUBLISHED_TALENT_SLOPE,
    current_constants,
    dividends_for,
    edition_constants,
    input_figures,
    input_indicators,
    metro_inputs,
    slope_points,
)
from .models import (
    MAX_DIVIDEND_SCENARIOS,
    Edition,
    EditionDividendInput,
    EditionTalentSlope,
    Metro,
    PeerGroup,
    TalentSlope,
)
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


def _edition(request) -> Edition | None:
    """The published edition the page is asked for (`?edition=`), or None for live figures."""
    slug = request.GET.get("edition", "")
    if not slug:
        return None
    return get_object_or_404(
        Edition.objects.select_related("dividend_constants"), slug=slug, published_at__isnull=False
    )


def _common(request, edition: Edition | None):
    """What both pages read: peer group, its slope, the constants and the visitor's steps.

    An edition's page takes everything from what the edition froze: its peer groups, the
    slope fitted on its years and the constants version current when it was published.
    """
    if edition is not None:
        groups = list(edition.peer_groups.all())
        peer_group = _pick_peer_group(groups, request.GET.get("peer", ""))
        slopes = EditionTalentSlope.objects.filter(peer_group=peer_group)
        constants = edition_constants(edition)
    else:
        groups = list(PeerGroup.objects.all())
        peer_group = _pick_peer_group(groups, request.GET.get("peer", ""))
        slopes = TalentSlope.objects.filter(peer_group=peer_group)
        constants = current_constants()
    slope = (
        slopes.select_related("peer_group", "attainment_source", "income_source").first()
        if peer_group
        else None
    )
    form = StepsForm(request.GET if request.GET else None)
    steps = form.steps(constants)
    return {
        "peer_groups": groups,
        "peer_group": peer_group,
        "slope": slope,
        "edition": edition,
        # An edition's dividends page cites the edition: its figures never change.
        "citation_frozen": edition is not None,
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


def _in_bounds(group) -> Q:
    query = Q(population__gte=group.min_population)
    if group.max_population is not None:
        query &= Q(population__lt=group.max_population)
    return query


@require_GET
def metro_dividends(request, slug):
    metro = get_object_or_404(Metro, slug=slug)
    edition = _edition(request)
    if edition is not None:
        frozen = EditionDividendInput.objects.filter(edition=edition, metro=metro).first()
        if frozen is None:
            raise Http404("This metro was not in City Vitals when that edition was published.")
        population, population_year = frozen.population, frozen.population_year
        inputs = input_figures(frozen.figures)
    else:
        population, population_year = metro.population, metro.population_year
        inputs = metro_inputs(metro)
    context = _common(request, edition)
    slope = context["slope"]
    chart, table = _scatter(slope, _points(context), metro)
    context.update(
        metro=metro,
        population=population,
        population_year=population_year,
        inputs=inputs,
        indicators=input_indicators(),
        dividends=dividends_for(
            population=population,
            steps=context["steps"],
            constants=context["constants"],
            slope=slope,
        ),
        in_fit=any(row["highlight"] for row in table),
        chart=chart,
        chart_rows=table,
        save=_save_offer(request, context),
        crumbs=[
            HOME,
            {"label": "City Vitals", "url": reverse("vitals:rankings")},
            {"label": metro.name, "url": metro.get_absolute_url()},
        ],
    )
    return _render(request, "vitals/dividends_metro.html", context)


def _save_offer(request, context) -> dict:
    """What the page offers about saving the scenario: members get the form; everyone else
    is told what members get (anonymous visitors need no query for that)."""
    access = member_access(request.user)
    return {
        "allowed": access.allowed,
        "signed_in": request.user.is_authenticated,
        "lapsed": access.lapsed,
        "max": MAX_DIVIDEND_SCENARIOS,
    }


@require_GET
def dividends(request):
    edition = _edition(request)
    context = _common(request, edition)
    peer_group, slope = context["peer_group"], context["slope"]
    if peer_group is None:
        metros = []
    elif edition is not None:
        metros = [
            (i.metro, i.population)
            for i in EditionDividendInput.objects.filter(_in_bounds(peer_group), edition=edition)
            .select_related("metro")
            .order_by("-population", "metro__name")
        ]
    else:
        metros = [(m, m.population) for m in Metro.objects.filter(peer_group.metro_filter())]
    rows = [
        {
            "metro": metro,
            "population": population,
            "dividends": dividends_for(
                population=population,
                steps=context["steps"],
                constants=context["constants"],
                slope=slope,
            ),
        }
        for metro, population in metros
    ]
    total = sum(population for _, population in metros)
    chart, table = _scatter(slope, _points(context), None)
    context.update(
        rows=rows,
        population=total,
        population_year=metros[0][0].population_year if metros and not edition else None,
        totals=dividends_for(
            population=total,
            steps=context["steps"],
            constants=context["constants"],
            slope=slope,
        ),
        chart=chart,
        chart_rows=table,
        crumbs=[HOME, {"label": "City Vitals", "url": reverse("vitals:rankings")}],
    )
    return _render(request, "vitals/dividends.html", context)

"""City Dividends pages: one metro's dividends, and the national summary."""

import functools
import re

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from core.page_cache import cached_fragment

from . import charts
from .access import member_access
from .dividend_forms import StepsForm
from .dividends import (
    ATTAINMENT,
    DAYS_A_YEAR,
    INCOME,
    PUBLISHED_TALENT_SLOPE,
    Steps,
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
from .selectors.editions import current_edition, edition_slope_points

HOME = {"label": "Home", "url": "/"}
_SLUG = re.compile(r"[-\w]{1,50}")  # what an edition's slug may look like


def _pick_peer_group(groups: list, slug: str):
    """The group of this slug, else the default one, else the first (groups, or their kept
    values as dicts)."""

    def field(group, name):
        return group[name] if isinstance(group, dict) else getattr(group, name)

    for group in groups:
        if field(group, "slug") == slug:
            return group
    return next((g for g in groups if field(g, "is_default")), groups[0] if groups else None)


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


def _edition(slug: str) -> Edition | None:
    """The published edition of this slug (`?edition=`), or None for live figures."""
    if not slug:
        return None
    return get_object_or_404(
        Edition.objects.select_related("dividend_constants"), slug=slug, published_at__isnull=False
    )


def _setup(edition_slug: str) -> dict:
    """What a visit is read against before any figure: the peer groups, the default steps and
    the edition to cite, as kept values. An edition's pages take the peer groups and constants
    version the edition froze."""
    edition = _edition(edition_slug)
    if edition is not None:
        groups = list(edition.peer_groups.all())
        constants = edition_constants(edition)
    else:
        groups = list(PeerGroup.objects.all())
        constants = current_constants()
    return {
        "peer_groups": [
            {"pk": g.pk, "slug": g.slug, "name": g.name, "is_default": g.is_default} for g in groups
        ],
        "default_steps": Steps.default(constants),
        "edition": edition,
        # The citation's current edition: an edition's own pages cite that edition instead.
        "current_edition": None if edition is not None else current_edition(),
    }


def _visit(request) -> dict:
    """The edition, peer group and steps this visit asks for.

    Everything else on a dividends page is the same for every visitor asking for them, and
    is rendered once per data version (cached_fragment: every import, correction, constants
    version or edition clears it). Only what the page accepts goes into a key: an unknown
    edition is a 404 (never kept), an unknown peer group is the default one, and steps the
    form refuses are the default steps, so made-up input never adds copies.
    """
    edition_slug = request.GET.get("edition", "")
    if edition_slug and not _SLUG.fullmatch(edition_slug):
        raise Http404("No such edition.")
    setup = cached_fragment(f"vitals-dividends:{edition_slug}", lambda: _setup(edition_slug))
    peer_group = _pick_peer_group(setup["peer_groups"], request.GET.get("peer", ""))
    form = StepsForm(request.GET if request.GET else None)
    steps = form.steps_over(setup["default_steps"])
    peer_slug = peer_group["slug"] if peer_group else ""
    return {
        # Plain values for the visitor's parts of the page: the forms, the save offer, the
        # citation.
        "peer_groups": setup["peer_groups"],
        "peer_group": peer_group,
        "edition": setup["edition"],
        "current_edition": setup["current_edition"],
        # An edition's dividends page cites the edition: its figures never change.
        "citation_frozen": setup["edition"] is not None,
        "form": form,
        "steps": steps,
        "key": f"{edition_slug}:{peer_slug}",
        "steps_key": steps.key,
    }


def _figures_context(visit: dict) -> dict:
    """What both pages' kept parts are rendered from: the peer group, its slope and the
    constants, with the visit's steps."""
    edition = visit["edition"]
    peer_slug = visit["peer_group"]["slug"] if visit["peer_group"] else ""
    if edition is not None:
        groups = list(edition.peer_groups.all())
        peer_group = _pick_peer_group(groups, peer_slug)
        slopes = EditionTalentSlope.objects.filter(peer_group=peer_group)
        constants = edition_constants(edition)
    else:
        groups = list(PeerGroup.objects.all())
        peer_group = _pick_peer_group(groups, peer_slug)
        slopes = TalentSlope.objects.filter(peer_group=peer_group)
        constants = current_constants()
    slope = (
        slopes.select_related("peer_group", "attainment_source", "income_source").first()
        if peer_group
        else None
    )
    return {
        "peer_groups": groups,
        "peer_group": peer_group,
        "slope": slope,
        "edition": edition,
        "published_slope": PUBLISHED_TALENT_SLOPE,
        "constants": constants,
        "steps": visit["steps"],
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


def _kept_parts(key: str, context, **templates: str) -> dict[str, str]:
    """Each template rendered from context() once per data version (see _visit), by name.
    Rendered without the request: nothing in them depends on who asks."""

    def render_parts():
        return {name: str(render_to_string(t, context())) for name, t in templates.items()}

    parts = cached_fragment(key, render_parts)
    return {name: mark_safe(html) for name, html in parts.items()}  # noqa: S308 (our templates)


def _render(request, template: str, visit: dict, context: dict):
    # Steps the form refused: the page still answers, with the message, as a client error.
    form = visit["form"]
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, template, {**visit, **context}, status=status)


def _in_bounds(group) -> Q:
    query = Q(population__gte=group.min_population)
    if group.max_population is not None:
        query &= Q(population__lt=group.max_population)
    return query


@require_GET
def metro_dividends(request, slug):
    metro = get_object_or_404(Metro, slug=slug)
    visit = _visit(request)
    # Built only when a kept part is rendered afresh, and once for both.
    context = functools.cache(lambda: _metro_context(request, metro, visit))
    key = f"{metro.pk}:{visit['key']}"
    page = {
        "metro": metro,
        **_kept_parts(
            f"vitals-dividends-metro-figures:{key}:{visit['steps_key']}",
            context,
            figures_html="vitals/includes/dividends_metro_figures.html",
        ),
        **_kept_parts(
            f"vitals-dividends-metro-body:{key}",
            context,
            body_html="vitals/includes/dividends_metro_body.html",
        ),
        "save": _save_offer(request),
        "crumbs": [
            HOME,
            {"label": "City Vitals", "url": reverse("vitals:rankings")},
            {"label": metro.name, "url": metro.get_absolute_url()},
        ],
    }
    return _render(request, "vitals/dividends_metro.html", visit, page)


def _metro_context(request, metro, visit: dict) -> dict:
    edition = visit["edition"]
    if edition is not None:
        frozen = EditionDividendInput.objects.filter(edition=edition, metro=metro).first()
        if frozen is None:
            raise Http404("This metro was not in City Vitals when that edition was published.")
        population, population_year = frozen.population, frozen.population_year
        inputs = input_figures(frozen.figures)
    else:
        population, population_year = metro.population, metro.population_year
        inputs = metro_inputs(metro)
    context = _figures_context(visit)
    slope = context["slope"]
    chart, table = _scatter(slope, _points(context), metro)
    context.update(
        metro=metro,
        page_path=request.path,
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
    )
    return context


def _save_offer(request) -> dict:
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
    visit = _visit(request)
    context = functools.cache(lambda: _national_context(request, visit))
    key = visit["key"]
    page = {
        **_kept_parts(
            f"vitals-dividends-figures:{key}:{visit['steps_key']}",
            context,
            totals_html="vitals/includes/dividends_totals.html",
            rows_html="vitals/includes/dividends_rows.html",
        ),
        **_kept_parts(
            f"vitals-dividends-body:{key}",
            context,
            intro_html="vitals/includes/dividends_intro.html",
            body_html="vitals/includes/dividends_body.html",
        ),
        "crumbs": [HOME, {"label": "City Vitals", "url": reverse("vitals:rankings")}],
    }
    return _render(request, "vitals/dividends.html", visit, page)


def _national_context(request, visit: dict) -> dict:
    context = _figures_context(visit)
    edition = visit["edition"]
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
        page_path=request.path,
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
    )
    return context

"""City Vitals editions: publishing one freezes its figures, ranks and Talent slope.

An edition is created as a draft (title, slug, an optional last data year, notes) and
published once, by staff with `vitals.publish_edition`. Publishing copies, in a fixed number
of queries whatever the number of metros:
- for every peer group and every ranked indicator, the latest series up to the edition's
  last data year, with each metro's figure, margin of error, rank and percentile
  (`EditionSeries`, `EditionFigure`), the indicator's method and the source as they stand;
- each metro's overall position on the headline series (`EditionPosition`);
- the Talent Dividend slope fitted on the same years, with its points (`EditionTalentSlope`);
- each series' national figure of the same year and series, as it stands (on `EditionSeries`):
  a later correction of the live figure keeps a revision and never reaches the edition.
- every metro's City Dividends inputs: its population and its latest attainment, income and
  poverty figures up to the last data year (`EditionDividendInput`), and the constants
  version then current, so the edition's dividends never change either.
Imports only write the live tables, so a published edition never changes; only its notes can.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from core.signals import public_pages_changed

from .dividends import (
    ATTAINMENT,
    INCOME,
    _choose_series,
    current_constants,
    dividend_constants_keep_first,
    latest_inputs,
    least_squares,
)
from .models import (
    Edition,
    EditionDividendInput,
    EditionFigure,
    EditionPeerGroup,
    EditionPosition,
    EditionSeries,
    EditionTalentSlope,
    Indicator,
    Metro,
    Observation,
    PeerGroup,
    Ranking,
    Source,
)
from .selectors import benchmark, latest_series, national_figures, overall_positions

# The overall score's method (selectors.rankings.overall_positions). Raise it when that
# method changes, so "what moved" between editions says so.
RANKING_METHOD_VERSION = 1
BATCH = 5000


class EditionError(Exception):
    """An edition cannot do what was asked; the message says why, for staff."""


def edition_create(
    *, title: str, slug: str, data_through: int | None = None, notes: str = ""
) -> Edition:
    """A draft edition: nothing is frozen until it is published."""
    return Edition.objects.create(title=title, slug=slug, data_through=data_through, notes=notes)


@transaction.atomic
def edition_publish(*, edition: Edition, user=None) -> Edition:
    """Freeze the live figures into the edition and publish it. Publishing twice fails."""
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.is_published:
        raise EditionError(f"{edition.title} was published on {edition.published_at:%d %B %Y}.")
    groups = list(PeerGroup.objects.all())
    indicators = {i.pk: i for i in Indicator.objects.exclude(direction=Indicator.Direction.NONE)}
    counts = defaultdict(list)
    for group_id, *row in (
        Ranking.objects.filter(indicator_id__in=list(indicators))
        .values_list("peer_group_id", "indicator_id", "year", "source_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[group_id].append(row)
    chosen = {g.pk: latest_series(counts[g.pk], as_of_year=edition.data_through) for g in groups}
    if not any(chosen.values()):
        raise EditionError("There are no ranked figures to freeze for these years yet.")
    sources = Source.objects.in_bulk({s.source_id for c in chosen.values() for s in c.values()})
    national = national_figures(indicator_ids=list(indicators))

    frozen_groups = EditionPeerGroup.objects.bulk_create(
        [
            EditionPeerGroup(
                edition=edition,
                peer_group=g,
                slug=g.slug,
                name=g.name,
                min_population=g.min_population,
                max_population=g.max_population,
                is_default=g.is_default,
                order=g.order,
                ranked_count=0,
            )
            for g in groups
        ]
    )
    by_group = dict(zip([g.pk for g in groups], frozen_groups, strict=True))
    frozen_series = EditionSeries.objects.bulk_create(
        [
            _series_row(
                by_group[group_id],
                indicators[s.indicator_id],
                s,
                sources[s.source_id],
                national.get(s.indicator_id, []),
            )
            for group_id, series in chosen.items()
            for s in series.values()
        ]
    )
    series_for = {(f.peer_group.peer_group_id, f.indicator_id): f for f in frozen_series}

    in_series = Q(pk__in=[])
    for group_id, series in chosen.items():
        for s in series.values():
            in_series |= Q(
                peer_group_id=group_id,
                indicator_id=s.indicator_id,
                year=s.year,
                source_id=s.source_id,
            )
    figures = (
        EditionFigure(
            series=series_for[(r.peer_group_id, r.indicator_id)],
            metro_id=r.metro_id,
            cbsa_code=r.metro.cbsa_code,
            metro_name=r.metro.name,
            observation_id=r.observation_id,
            period=r.observation.period,
            value=r.value,
            margin_of_error=r.observation.margin_of_error,
            rank=r.rank,
            percentile=r.percentile,
        )
        for r in Ranking.objects.filter(in_series)
        .select_related("metro", "observation")
        .only(
            "peer_group_id",
            "indicator_id",
            "metro_id",
            "observation_id",
            "value",
            "rank",
            "percentile",
            "metro__cbsa_code",
            "metro__name",
            "observation__period",
            "observation__margin_of_error",
        )
        .iterator(chunk_size=BATCH)
    )
    _bulk_create(EditionFigure, figures)

    positions = []
    for g in groups:
        headline = {i: s for i, s in chosen[g.pk].items() if indicators[i].is_headline}
        # One query per peer group (a handful), however many metros.
        ranked = overall_positions(peer_group=g, series=headline)
        by_group[g.pk].ranked_count = len(ranked)
        positions += [
            EditionPosition(
                peer_group=by_group[g.pk],
                metro_id=metro_id,
                position=row["position"],
                score=row["score"],
                indicators=row["indicators"],
            )
            for metro_id, row in ranked.items()
        ]
    _bulk_create(EditionPosition, iter(positions))
    EditionPeerGroup.objects.bulk_update(frozen_groups, ["ranked_count"])
    EditionTalentSlope.objects.bulk_create(_talent_slopes(groups, by_group, edition.data_through))
    _bulk_create(EditionDividendInput, _dividend_inputs(edition))

    edition.published_at = timezone.now()
    edition.published_by_name = user.get_username() if user is not None else ""
    edition.ranking_method = RANKING_METHOD_VERSION
    dividend_constants_keep_first()
    edition.dividend_constants = current_constants()
    edition.save(
        update_fields=["published_at", "published_by_name", "ranking_method", "dividend_constants"]
    )
    transaction.on_commit(_clear_page_cache)
    return edition


def _series_row(group: EditionPeerGroup, indicator: Indicator, s, source: Source, national):
    """The frozen series, with the national figure of its year and series as it stands."""
    us = benchmark(national, year=s.year, series=source.series_name).figure
    return EditionSeries(
        peer_group=group,
        indicator=indicator,
        code=indicator.code,
        name=indicator.name,
        unit=indicator.unit,
        direction=indicator.direction,
        definition=indicator.definition,
        formula=indicator.formula,
        method_version=indicator.method_version,
        is_headline=indicator.is_headline,
        headline_order=indicator.headline_order,
        year=s.year,
        source=source,
        source_title=source.title,
        source_publisher=source.publisher,
        source_url=source.url,
        source_licence=source.licence,
        ranked_count=s.ranked_count,
        national_period=us.period if us else "",
        national_value=us.value if us else None,
        national_margin_of_error=us.margin_of_error if us else None,
    )


def _bulk_create(model, objects) -> None:
    """Insert in batches of BATCH rows: a query per batch, never one per row."""
    batch = []
    for obj in objects:
        batch.append(obj)
        if len(batch) == BATCH:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


def _talent_slopes(groups, by_group, through: int | None) -> list[EditionTalentSlope]:
    """Each group's Talent slope on figures up to the edition's last year, from one read."""
    rows = Observation.objects.filter(indicator__code__in=[ATTAINMENT, INCOME])
    if through is not None:
        rows = rows.filter(year__lte=through)
    rows = list(
        rows.values_list(
            "indicator__code", "year", "source_id", "metro_id", "value", "metro__population"
        )
    )
    slopes = []
    for g in groups:
        low, high = g.min_population, g.max_population
        mine = [r[:5] for r in rows if r[5] >= low and (high is None or r[5] < high)]
        series = _choose_series(g, rows=mine)
        fit = least_squares(list(series.points.values())) if series else None
        if fit is None:
            continue
        slopes.append(
            EditionTalentSlope(
                peer_group=by_group[g.pk],
                year=series.year,
                attainment_source_id=series.attainment_source_id,
                income_source_id=series.income_source_id,
                metro_count=fit.n,
                dollars_per_point=fit.slope / 100,
                intercept=fit.intercept,
                r_squared=fit.r_squared,
                points=sorted([m, x, y] for m, (x, y) in series.points.items()),
            )
        )
    return slopes


def _dividend_inputs(edition: Edition):
    """Every metro's dividend inputs as they stand: population, and its latest attainment,
    income and poverty figures up to the edition's last data year. Two queries."""
    figures = latest_inputs(through=edition.data_through)
    for metro_id, population, year in Metro.objects.values_list(
        "pk", "population", "population_year"
    ):
        yield EditionDividendInput(
            edition=edition,
            metro_id=metro_id,
            population=population,
            population_year=year,
            figures=figures.get(metro_id, {}),
        )


def edition_notes_update(*, edition: Edition, notes: str) -> Edition:
    """The one change a published edition takes."""
    Edition.objects.filter(pk=edition.pk).update(notes=notes)
    edition.notes = notes
    transaction.on_commit(_clear_page_cache)
    return edition


def edition_delete(*, edition: Edition) -> None:
    """Drafts only: a published edition is permanent."""
    if Edition.objects.filter(pk=edition.pk, published_at__isnull=False).exists():
        raise EditionError(f"{edition.title} is published: it cannot be deleted.")
    edition.delete()


def _clear_page_cache() -> None:
    """Every City Vitals page names the current edition in its citation line."""
    public_pages_changed.send(sender=Edition, paths=None)

"""Reads of published City Vitals editions: their frozen tables, downloads, citation, and
what moved between two of them. Every function runs a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from ..dividends import ATTAINMENT, INCOME
from ..models import (
    Edition,
    EditionFigure,
    EditionPeerGroup,
    EditionPosition,
    EditionSeries,
    EditionTalentSlope,
    Metro,
    PeerGroup,
)

SITE_NAME = "civicnet"


def published_editions() -> list[Edition]:
    """Every published edition, newest first."""
    return list(Edition.objects.filter(published_at__isnull=False).order_by("-published_at"))


def current_edition() -> Edition | None:
    """The latest published edition, the one live pages point to."""
    return Edition.objects.filter(published_at__isnull=False).order_by("-published_at").first()


def previous_edition(edition: Edition) -> Edition | None:
    """The edition published before this one."""
    return (
        Edition.objects.filter(published_at__lt=edition.published_at)
        .order_by("-published_at")
        .first()
    )


def edition_peer_group(edition: Edition, slug: str) -> tuple[list[EditionPeerGroup], object]:
    """The edition's peer groups, and the one of that slug (else its default, else the first)."""
    groups = list(edition.peer_groups.all())
    chosen = next((g for g in groups if g.slug == slug), None)
    if chosen is None:
        chosen = next((g for g in groups if g.is_default), groups[0] if groups else None)
    return groups, chosen


def data_years(years) -> str:
    """The span of data years, e.g. "2015–2019", or "2019" for one."""
    years = sorted(set(years))
    if not years:
        return ""
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def data_years_note(series: list[EditionSeries]) -> str:
    """Which years the series hold, naming the indicators older than the latest year:
    "2019 (Patents per 10,000 residents: 2015)"."""
    if not series:
        return ""
    latest = max(s.year for s in series)
    older = {}
    for s in series:
        if s.year < latest:
            older.setdefault(s.name, s.year)
    if not older:
        return str(latest)
    return f"{latest} ({'; '.join(f'{name}: {year}' for name, year in older.items())})"


def edition_badge(*, edition: Edition, metro: Metro) -> dict | None:
    """The metro's frozen overall position in the edition's default peer group, for the
    badge: {overall, ranked_count, peer_group_name, years}; None without that group."""
    group = edition.peer_groups.filter(is_default=True).first()
    if group is None:
        return None
    headline_years = group.series.filter(is_headline=True).values_list("year", flat=True)
    position = group.positions.filter(metro=metro).first()
    return {
        "overall": {"position": position.position, "score": position.score} if position else None,
        "ranked_count": group.ranked_count,
        "peer_group_name": group.name,
        "years": data_years(headline_years),
    }


@dataclass
class EditionRow:
    metro: Metro
    position: EditionPosition | None = None
    cells: dict = field(default_factory=dict)  # series id -> EditionFigure


def edition_table(*, edition: Edition, peer_group: EditionPeerGroup) -> dict:
    """The edition's frozen rankings table in one peer group: its headline series as columns,
    a row per metro with a figure, by overall position (unranked last); and every series."""
    series = list(peer_group.series.all())
    headline = [s for s in series if s.is_headline]
    rows: dict[int, EditionRow] = {}
    for p in peer_group.positions.select_related("metro"):
        rows[p.metro_id] = EditionRow(metro=p.metro, position=p)
    for figure in EditionFigure.objects.filter(series__in=headline).select_related("metro"):
        row = rows.setdefault(figure.metro_id, EditionRow(metro=figure.metro))
        row.cells[figure.series_id] = figure
    ordered = sorted(
        rows.values(),
        key=lambda r: (r.position is None, r.position.position if r.position else 0, r.metro.name),
    )
    return {
        "series": series,
        "columns": headline,
        "rows": ordered,
        "years": data_years_note(headline),
    }


def edition_series_ranking(series: EditionSeries) -> list[EditionFigure]:
    """One frozen series' figures, best first."""
    return list(series.figures.select_related("metro").order_by("rank", "metro_name"))


EDITION_DOWNLOAD_FIELDS = [
    "edition",
    "peer_group",
    "cbsa_code",
    "metro",
    "overall_position",
    "indicator",
    "indicator_name",
    "method_version",
    "year",
    "period",
    "value",
    "margin_of_error",
    "rank",
    "ranked_of",
    "percentile",
    "national_period",
    "national_value",
    "national_margin_of_error",
    "source",
    "source_url",
    "licence",
    "citation",
]


def edition_download_records(*, edition: Edition, peer_group: EditionPeerGroup, citation: str):
    """A dict per frozen figure of the peer group, keyed by EDITION_DOWNLOAD_FIELDS, by
    indicator then rank, with the series' national figure as it was frozen (its period names
    the year; empty when the nation had none of that year and series). Two queries, streamed."""
    positions = dict(peer_group.positions.values_list("metro_id", "position"))
    figures = (
        EditionFigure.objects.filter(series__peer_group=peer_group)
        .select_related("series")
        .order_by("series__headline_order", "series__code", "rank", "metro_name")
    )
    for f in figures.iterator(chunk_size=2000):
        s = f.series
        yield {
            "edition": edition.title,
            "peer_group": peer_group.slug,
            "cbsa_code": f.cbsa_code,
            "metro": f.metro_name,
            "overall_position": positions.get(f.metro_id),
            "indicator": s.code,
            "indicator_name": s.name,
            "method_version": s.method_version,
            "year": s.year,
            "period": f.period,
            "value": f.value,
            "margin_of_error": f.margin_of_error,
            "rank": f.rank,
            "ranked_of": s.ranked_count,
            "percentile": round(f.percentile, 2),
            "national_period": s.national_period,
            "national_value": s.national_value,
            "national_margin_of_error": s.national_margin_of_error,
            "source": s.source_title,
            "source_url": s.source_url,
            "licence": s.source_licence,
            "citation": citation,
        }


def citation_text(
    *, edition: Edition | None, url: str, title: str = "City Vitals", frozen: bool = False
) -> str:
    """The line to cite: title, edition, date and address.

    An edition's own pages and files cite the edition (frozen); live pages say their figures
    change and name the current edition, to cite for figures that will not.
    """
    if frozen and edition is not None:
        return (
            f"{SITE_NAME}, {edition.title}: {title} "
            f"(edition published {timezone.localtime(edition.published_at):%-d %B %Y}). {url}"
        )
    current = (
        f" Current edition: {edition.title}, published {timezone.localtime(edition.published_at):%-d %B %Y}."
        if edition
        else " No edition has been published yet."
    )
    return (
        f"{SITE_NAME}, City Vitals: {title} (live figures, updated as data arrives). {url}{current}"
    )


# --- what moved ---------------------------------------------------------------------------

NEW_DATA = "new data"
CORRECTED = "corrected data"
METHOD = "method change"
REASONS = [NEW_DATA, CORRECTED, METHOD]
OVERALL = "overall"


@dataclass
class Move:
    metro: Metro
    indicator_code: str  # OVERALL for the overall position
    indicator_name: str
    old_rank: int | None
    new_rank: int | None
    reason: str
    detail: str
    old_figure: str = ""
    new_figure: str = ""

    @property
    def change(self) -> int | None:
        """Places gained (positive) or lost (negative); None when ranked in only one."""
        if self.old_rank is None or self.new_rank is None:
            return None
        return self.old_rank - self.new_rank


def _frozen(edition: Edition, slug: str):
    """(peer group, {code: series}, {(series code, metro id): figure}, {metro id: position})"""
    group = (
        EditionPeerGroup.objects.filter(edition=edition, slug=slug)
        .prefetch_related(
            Prefetch("series", queryset=EditionSeries.objects.all()),
            Prefetch("positions", queryset=EditionPosition.objects.select_related("metro")),
        )
        .first()
    )
    if group is None:
        return None, {}, {}, {}
    series = {s.code: s for s in group.series.all()}
    by_id = {s.pk: s for s in series.values()}
    figures = {
        (by_id[f.series_id].code, f.metro_id): f
        for f in EditionFigure.objects.filter(series__peer_group=group).select_related("metro")
    }
    positions = {p.metro_id: p for p in group.positions.all()}
    return group, series, figures, positions


def _method_changed(old_group, new_group, old: EditionSeries, new: EditionSeries) -> str:
    """What changed in how the series was made, in words; "" when nothing did."""
    changes = []
    if old.method_version != new.method_version:
        changes.append(f"method version {old.method_version} → {new.method_version}")
    if (old.definition, old.formula, old.unit, old.direction) != (
        new.definition,
        new.formula,
        new.unit,
        new.direction,
    ):
        changes.append("the indicator's definition or formula changed")
    if (old_group.min_population, old_group.max_population) != (
        new_group.min_population,
        new_group.max_population,
    ):
        changes.append("the peer group's population bounds changed")
    return "; ".join(changes)


def _series_reason(old_group, new_group, old, new, old_figures, new_figures):
    """Why a whole series' ranks may differ: (reason, detail), or None when it did not change."""
    method = _method_changed(old_group, new_group, old, new)
    if method:
        return METHOD, method
    if (old.year, old.source_id) != (new.year, new.source_id):
        return NEW_DATA, f"{old.year} figures → {new.year} figures"
    revised = [
        metro_id
        for (code, metro_id), figure in new_figures.items()
        if code == new.code
        and (code, metro_id) in old_figures
        and old_figures[(code, metro_id)].value != figure.value
    ]
    if revised:
        return CORRECTED, f"{len(revised)} {new.year} figure(s) in the series revised"
    old_metros = {m for code, m in old_figures if code == old.code}
    new_metros = {m for code, m in new_figures if code == new.code}
    if old_metros != new_metros:
        return NEW_DATA, f"metros ranked: {len(old_metros)} → {len(new_metros)}"
    return None


def edition_moves(*, new: Edition, old: Edition, peer_slug: str) -> dict:
    """Rank changes between two editions in the peer group of that slug: a Move per metro
    and indicator (and overall position) whose rank differs, with the reason.

    A metro's own figure decides first: a different data year is new data, the same year
    with another value is corrected data. When its figure did not change, its rank moved
    because the series did: its method, its year, other metros' revised figures, or the
    metros in it. A change of method (version, definition, formula, peer-group bounds) is
    reported before anything else, because it makes the two ranks not comparable.
    """
    new_group, new_series, new_figures, new_positions = _frozen(new, peer_slug)
    old_group, old_series, old_figures, old_positions = _frozen(old, peer_slug)
    moves: list[Move] = []
    series_reasons = {}
    if new_group is None or old_group is None:
        return {"moves": [], "peer_group": new_group, "series_reasons": {}}
    for code, ns in new_series.items():
        os_ = old_series.get(code)
        if os_ is None:
            continue
        series_reasons[code] = _series_reason(
            old_group, new_group, os_, ns, old_figures, new_figures
        )
        metros = {m for c, m in new_figures if c == code} | {m for c, m in old_figures if c == code}
        for metro_id in metros:
            nf, of = new_figures.get((code, metro_id)), old_figures.get((code, metro_id))
            if nf and of and nf.rank == of.rank:
                continue
            reason, detail = _figure_reason(
                old_group, new_group, os_, ns, of, nf, series_reasons[code]
            )
            moves.append(
                Move(
                    metro=(nf or of).metro,
                    indicator_code=code,
                    indicator_name=ns.name,
                    old_rank=of.rank if of else None,
                    new_rank=nf.rank if nf else None,
                    reason=reason,
                    detail=detail,
                    old_figure=f"{os_.format_value(of.value)} ({os_.year})" if of else "",
                    new_figure=f"{ns.format_value(nf.value)} ({ns.year})" if nf else "",
                )
            )
    overall_reason = _overall_reason(old_series, new_series, series_reasons, old, new)
    for metro_id in new_positions.keys() | old_positions.keys():
        np_, op = new_positions.get(metro_id), old_positions.get(metro_id)
        if np_ and op and np_.position == op.position:
            continue
        moves.append(
            Move(
                metro=(np_ or op).metro,
                indicator_code=OVERALL,
                indicator_name="Overall position",
                old_rank=op.position if op else None,
                new_rank=np_.position if np_ else None,
                reason=overall_reason[0],
                detail=overall_reason[1],
            )
        )
    return {"moves": moves, "peer_group": new_group, "series_reasons": series_reasons}


def _figure_reason(old_group, new_group, os_, ns, of, nf, series_reason):
    method = _method_changed(old_group, new_group, os_, ns)
    if method:
        return METHOD, method
    if of and nf:
        if (of.period, os_.source_id, os_.year) != (nf.period, ns.source_id, ns.year):
            detail = f"{of.period} figure → {nf.period} figure"
            if os_.source_id != ns.source_id:
                detail += " from another source (see each edition's sources): compare with care"
            return NEW_DATA, detail
        if of.value != nf.value:
            return CORRECTED, (
                f"{ns.year} figure revised: {os_.format_value(of.value)} → "
                f"{ns.format_value(nf.value)}"
            )
    if of is None:
        return NEW_DATA, "newly ranked: a figure for this year where there was none"
    if nf is None:
        return NEW_DATA, "no longer ranked: no figure in the newer series"
    reason, detail = series_reason or (NEW_DATA, "other metros' figures changed")
    return reason, f"own figure unchanged; {detail}"


def _overall_reason(old_series, new_series, series_reasons, old, new):
    """Why overall positions moved: the ranking method or the choice of headline indicators
    first, then headline series that gained or lost figures, then the series' own reasons."""
    if old.ranking_method != new.ranking_method:
        return METHOD, "the overall score's method changed"
    common = old_series.keys() & new_series.keys()
    if any(old_series[c].is_headline != new_series[c].is_headline for c in common):
        return METHOD, "the headline indicators changed"
    new_headline = sorted(c for c, s in new_series.items() if s.is_headline)
    reasons = {kind: [] for kind in REASONS}
    for code in new_headline:
        if code not in old_series:
            reasons[NEW_DATA].append(f"{new_series[code].name} (first ranked)")
        elif series_reasons.get(code):
            reasons[series_reasons[code][0]].append(new_series[code].name)
    for code, s in old_series.items():
        if s.is_headline and code not in new_series:
            reasons[NEW_DATA].append(f"{s.name} (no longer ranked)")
    for kind in [METHOD, NEW_DATA, CORRECTED]:
        if reasons[kind]:
            return kind, f"{kind} in: {', '.join(reasons[kind])}"
    return NEW_DATA, "other metros' figures changed"


def sort_moves(moves: list[Move], key: str) -> list[Move]:
    """biggest (default): largest rank change first, entries and exits last; metro; indicator."""
    if key == "metro":
        return sorted(
            moves, key=lambda m: (m.metro.name, m.indicator_code != OVERALL, m.indicator_name)
        )
    if key == "indicator":
        return sorted(
            moves,
            key=lambda m: (
                m.indicator_code != OVERALL,
                m.indicator_name,
                -(abs(m.change or 0)),
                m.metro.name,
            ),
        )
    if key == "gainers":
        return sorted(moves, key=lambda m: (m.change is None, -(m.change or 0), m.metro.name))
    if key == "fallers":
        return sorted(moves, key=lambda m: (m.change is None, m.change or 0, m.metro.name))
    return sorted(
        moves, key=lambda m: (m.change is None, -abs(m.change or 0), m.metro.name, m.indicator_name)
    )


# --- the metro page's cards -------------------------------------------------------------


@dataclass
class CardMove:
    change: int  # places gained (positive) or lost
    since: Edition
    edition: Edition

    @property
    def distance(self) -> int:
        return abs(self.change)


def edition_rank_moves(*, metro: Metro, peer_group: PeerGroup | None) -> dict:
    """For the metro page: indicator id (and "overall") -> CardMove between the current
    edition and the one before, in the peer group of the same slug. Three queries."""
    editions = list(
        Edition.objects.filter(published_at__isnull=False).order_by("-published_at")[:2]
    )
    if len(editions) < 2 or peer_group is None:
        return {}
    new, old = editions
    ranks: dict[int, dict] = {new.pk: {}, old.pk: {}}
    for edition_id, indicator_id, rank in EditionFigure.objects.filter(
        metro=metro,
        series__peer_group__slug=peer_group.slug,
        series__peer_group__edition__in=editions,
    ).values_list("series__peer_group__edition_id", "series__indicator_id", "rank"):
        ranks[edition_id][indicator_id] = rank
    for edition_id, position in EditionPosition.objects.filter(
        metro=metro,
        peer_group__slug=peer_group.slug,
        peer_group__edition__in=editions,
    ).values_list("peer_group__edition_id", "position"):
        ranks[edition_id]["overall"] = position
    return {
        key: CardMove(change=ranks[old.pk][key] - rank, since=old, edition=new)
        for key, rank in ranks[new.pk].items()
        if key in ranks[old.pk]
    }


def edition_slope_points(slope: EditionTalentSlope) -> list[dict]:
    """The metros a frozen Talent slope was fitted on, as `dividends.slope_points` gives
    them for the live slope: metro, attainment and income, by name. One query."""
    metros = Metro.objects.in_bulk([metro_id for metro_id, _, _ in slope.points])
    points = [
        {
            "metro_id": metro_id,
            "name": metros[metro_id].name,
            "slug": metros[metro_id].slug,
            "city": metros[metro_id].principal_city,
            "states": metros[metro_id].states,
            ATTAINMENT: attainment,
            INCOME: income,
        }
        for metro_id, attainment, income in slope.points
        if metro_id in metros
    ]
    return sorted(points, key=lambda p: p["name"])

"""Writes of City Vitals: importing figures (and the ranks recomputed after)."""

import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import get_valid_filename, slugify

from core.signals import public_pages_changed

from .derived import DERIVED_INDICATORS, derived_source
from .dividends import talent_slopes_rebuild
from .importing import NATIONAL_CODE, Problem, read_import_files
from .models import (
    MAX_PEER_METROS,
    ImportRun,
    Indicator,
    Metro,
    NationalFigure,
    NationalFigureRevision,
    Observation,
    ObservationRevision,
    PeerChoice,
    PeerGroup,
    Ranking,
    Source,
    TalentSlope,
)
from .ranking import rankings_rebuild

logger = logging.getLogger(__name__)

# The headline six an indicator gets when it is first imported; staff change them later.
DEFAULT_HEADLINES = [
    "college_attainment",
    "international_talent",
    "patents_per_10k",
    "transit_use",
    "per_capita_income",
    "poverty_rate",
]
# The same groups migration 0002 creates; an import restores them if none exist.
DEFAULT_PEER_GROUPS = [
    ("1m-plus", "Metros of 1 million or more", 1_000_000, None, True, 1),
    ("500k-1m", "Metros of 500,000 to 1 million", 500_000, 1_000_000, False, 2),
    ("all", "All metropolitan areas", 0, None, False, 3),
]
OBSERVATION_FIELDS = [
    "period",
    "value",
    "margin_of_error",
    "vintage",
    "source_cbsa_code",
    "source_name",
    "note",
]

Progress = Callable[[str, int, int], None]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} new, {self.updated} changed, {self.unchanged} unchanged"


@dataclass
class Correction:
    metro: str
    indicator: str
    year: int
    source: str
    old_value: float
    new_value: float


@dataclass
class ImportReport:
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=dict)
    skipped: int = 0
    corrections: list[Correction] = field(default_factory=list)
    rankings: int | None = None  # how many ranks were rebuilt; None when nothing changed
    import_run_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())


def vitals_import(
    *,
    files: Iterable[tuple[str, str]],
    dry_run: bool = False,
    imported_by: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate every file, then apply them all in one transaction, or nothing at all.

    A dry run applies and reports the same changes, then rolls them back. Importing the
    same files twice changes nothing the second time; a corrected figure is updated and
    its old value kept as an ObservationRevision.
    """
    files = list(files)
    data = read_import_files(files, progress)
    report = ImportReport(dry_run=dry_run, problems=data.problems, skipped=data.skipped)
    if data.problems:
        return report
    with transaction.atomic():
        sources = _upsert_sources(data.rows("sources"), report)
        indicators = _upsert_indicators(data.rows("indicators"), report)
        metros = _upsert_metros(data.rows("metros"), report)
        rows = data.rows("observations")
        keyed = [
            (
                metros[row["metro"]],
                indicators[row["indicator"]],
                row["year"],
                sources[row["source"]],
                row,
            )
            for row in rows
            if row["metro"] != NATIONAL_CODE
        ]
        national = [row for row in rows if row["metro"] == NATIONAL_CODE]
        national_revisions = _upsert_national_figures(national, indicators, sources, report)
        pending = _upsert_observations(keyed, report, "observations", progress)
        pending += _refresh_derived(report)
        _ensure_peer_groups(report)
        if report.changed or (not Ranking.objects.exists() and Observation.objects.exists()):
            report.rankings = rankings_rebuild()
        if report.rankings is not None or not TalentSlope.objects.exists():
            talent_slopes_rebuild()
        if report.changed:
            run = ImportRun.objects.create(
                files=", ".join(name for name, _ in files),
                created_count=sum(c.created for c in report.counts.values()),
                updated_count=sum(c.updated for c in report.counts.values()),
                unchanged_count=sum(c.unchanged for c in report.counts.values()),
                skipped_count=report.skipped,
                imported_by=imported_by,
            )
            for revision in pending:
                revision.import_run = run
            ObservationRevision.objects.bulk_create(pending)
            for revision in national_revisions:
                revision.import_run = run
                revision.changed_by_name = imported_by
                revision.reason = f"Corrected by import {run.pk} ({run.files})."
            NationalFigureRevision.objects.bulk_create(national_revisions)
            report.import_run_id = run.pk
        if dry_run:
            transaction.set_rollback(True)
        elif report.changed:
            transaction.on_commit(_clear_page_cache)
    return report


def _ensure_peer_groups(report) -> None:
    if PeerGroup.objects.exists():
        return
    for slug, name, low, high, default, order in DEFAULT_PEER_GROUPS:
        PeerGroup.objects.create(
            slug=slug,
            name=name,
            min_population=low,
            max_population=high,
            is_default=default,
            order=order,
        )
    report.counts.setdefault("peer groups", Counts()).created += len(DEFAULT_PEER_GROUPS)


def _clear_page_cache() -> None:
    """Anonymous pages show figures (rankings, metro pages, the home page's counters, blog
    posts' charts): every cached page goes, so the next visitor sees the new ones."""
    public_pages_changed.send(sender=Metro, paths=None)


def _upsert(model, key: str, rows: list[dict], fields: list[str], counts: Counts, on_create=None):
    existing = {
        getattr(obj, key): obj
        for obj in model.objects.filter(**{f"{key}__in": [r[key] for r in rows]})
    }
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            obj = model(**{name: row[name] for name in [key, *fields]})
            if on_create:
                on_create(obj)
            obj.save()
            existing[row[key]] = obj
            counts.created += 1
        elif any(getattr(obj, name) != row[name] for name in fields):
            for name in fields:
                setattr(obj, name, row[name])
            obj.save(update_fields=fields)
            counts.updated += 1
        else:
            counts.unchanged += 1
    return existing


def _all_ids(model, key: str) -> dict[str, int]:
    return dict(model.objects.values_list(key, "id"))


def _upsert_sources(rows, report) -> dict[str, int]:
    counts = report.counts.setdefault("sources", Counts())
    fields = ["title", "publisher", "url", "licence", "obtained_via", "series"]
    _upsert(Source, "code", rows, fields, counts)
    return _all_ids(Source, "code")


def _upsert_indicators(rows, report) -> dict[str, int]:
    counts = report.counts.setdefault("indicators", Counts())

    def headline_by_default(indicator):
        if indicator.code in DEFAULT_HEADLINES:
            indicator.is_headline = True
            indicator.headline_order = DEFAULT_HEADLINES.index(indicator.code) + 1

    fields = [
        "name",
        "area",
        "unit",
        "direction",
        "definition",
        "source_table",
        "formula",
        "caveat",
        "change_series",
    ]
    _upsert(Indicator, "code", rows, fields, counts, on_create=headline_by_default)
    return _all_ids(Indicator, "code")


def _upsert_metros(rows, report) -> dict[str, int]:
    counts = report.counts.setdefault("metros", Counts())
    taken = set(Metro.objects.values_list("slug", flat=True))

    def give_slug(metro):
        slug = slugify(f"{metro.principal_city} {metro.states.split('-')[0]}")[:90]
        metro.slug = slug if slug not in taken else f"{slug}-{metro.cbsa_code}"
        taken.add(metro.slug)

    fields = [
        "name",
        "principal_city",
        "states",
        "region",
        "population",
        "population_year",
        "delineation",
    ]
    _upsert(Metro, "cbsa_code", rows, fields, counts, on_create=give_slug)
    return _all_ids(Metro, "cbsa_code")


def _upsert_observations(
    keyed, report, label: str, progress: Progress | None
) -> list[ObservationRevision]:
    """keyed: (metro_id, indicator_id, year, source_id, fields). Returns unsaved revisions."""
    counts = report.counts.setdefault(label, Counts())
    if not keyed:
        return []
    existing = {
        (o.metro_id, o.indicator_id, o.year, o.source_id): o
        for o in Observation.objects.filter(
            indicator_id__in={k[1] for k in keyed}, source_id__in={k[3] for k in keyed}
        )
    }
    to_create, to_update, revisions = [], [], []
    for index, (metro_id, indicator_id, year, source_id, row) in enumerate(keyed, 1):
        observation = existing.get((metro_id, indicator_id, year, source_id))
        if observation is None:
            to_create.append(
                Observation(
                    metro_id=metro_id,
                    indicator_id=indicator_id,
                    year=year,
                    source_id=source_id,
                    **{name: row[name] for name in OBSERVATION_FIELDS},
                )
            )
        elif any(getattr(observation, name) != row[name] for name in OBSERVATION_FIELDS):
            if (observation.value, observation.margin_of_error) != (
                row["value"],
                row["margin_of_error"],
            ):
                revisions.append(
                    ObservationRevision(
                        observation=observation,
                        old_value=observation.value,
                        new_value=row["value"],
                        old_margin_of_error=observation.margin_of_error,
                        new_margin_of_error=row["margin_of_error"],
                    )
                )
            for name in OBSERVATION_FIELDS:
                setattr(observation, name, row[name])
            to_update.append(observation)
        else:
            counts.unchanged += 1
        if progress and index % 5000 == 0:
            progress(f"saving {label}", index, len(keyed))
    Observation.objects.bulk_create(to_create, batch_size=2000)
    Observation.objects.bulk_update(to_update, OBSERVATION_FIELDS, batch_size=2000)
    counts.created += len(to_create)
    counts.updated += len(to_update)
    if revisions:
        names = dict(
            Metro.objects.filter(pk__in={r.observation.metro_id for r in revisions}).values_list(
                "id", "name"
            )
        )
        codes = dict(Indicator.objects.values_list("id", "code"))
        source_codes = dict(Source.objects.values_list("id", "code"))
        report.corrections += [
            Correction(
                metro=names[r.observation.metro_id],
                indicator=codes[r.observation.indicator_id],
                year=r.observation.year,
                source=source_codes[r.observation.source_id],
                old_value=r.old_value,
                new_value=r.new_value,
            )
            for r in revisions
        ]
    if progress:
        progress(f"saving {label}", len(keyed), len(keyed))
    return revisions


NATIONAL_FIELDS = ["period", "value", "margin_of_error", "vintage", "note"]


def _upsert_national_figures(rows, indicators, sources, report) -> list[NationalFigureRevision]:
    """The United States' figures: benchmarks beside the metros' figures, never ranked.
    A corrected figure is updated and listed among the report's corrections; its earlier
    value is returned as an unsaved revision (the caller names the import)."""
    revisions: list[NationalFigureRevision] = []
    if not rows:
        return revisions
    counts = report.counts.setdefault("national figures", Counts())
    existing = {
        (f.indicator_id, f.year, f.source_id): f
        for f in NationalFigure.objects.filter(
            indicator_id__in={indicators[r["indicator"]] for r in rows}
        )
    }
    codes = {pk: code for code, pk in indicators.items()}
    source_codes = {pk: code for code, pk in sources.items()}
    for row in rows:
        key = (indicators[row["indicator"]], row["year"], sources[row["source"]])
        figure = existing.get(key)
        values = {name: row[name] for name in NATIONAL_FIELDS}
        if figure is None:
            NationalFigure.objects.create(
                indicator_id=key[0], year=key[1], source_id=key[2], **values
            )
            counts.created += 1
        elif any(getattr(figure, name) != value for name, value in values.items()):
            if figure.value != row["value"]:
                report.corrections.append(
                    Correction(
                        metro="United States",
                        indicator=codes[key[0]],
                        year=key[1],
                        source=source_codes[key[2]],
                        old_value=figure.value,
                        new_value=row["value"],
                    )
                )
            if (figure.value, figure.margin_of_error) != (row["value"], row["margin_of_error"]):
                revisions.append(_national_revision(figure, row["value"], row["margin_of_error"]))
            for name, value in values.items():
                setattr(figure, name, value)
            figure.save(update_fields=NATIONAL_FIELDS)
            counts.updated += 1
        else:
            counts.unchanged += 1
    return revisions


def _national_revision(figure: NationalFigure, value, margin_of_error) -> NationalFigureRevision:
    return NationalFigureRevision(
        national_figure=figure,
        old_value=figure.value,
        new_value=value,
        old_margin_of_error=figure.margin_of_error,
        new_margin_of_error=margin_of_error,
    )


@transaction.atomic
def national_figure_save(*, figure: NationalFigure, user, reason: str = "") -> NationalFigure:
    """Save a national figure staff added or corrected in the admin. A correction of its value
    or margin of error keeps the earlier ones as a NationalFigureRevision, with who, when and
    why (a reason is required). Published editions keep the figure they froze."""
    if figure.pk is not None:
        stored = NationalFigure.objects.select_for_update().get(pk=figure.pk)
        if (stored.value, stored.margin_of_error) != (figure.value, figure.margin_of_error):
            if not reason.strip():
                raise ValidationError("Say why the figure is corrected: the reason is kept.")
            revision = _national_revision(stored, figure.value, figure.margin_of_error)
            revision.changed_by = user
            revision.changed_by_name = user.get_username() if user is not None else ""
            revision.reason = reason.strip()
            revision.save()
    figure.save()
    transaction.on_commit(_clear_page_cache)
    return figure


def _refresh_derived(report) -> list[ObservationRevision]:
    revisions = []
    indicators = dict(
        Indicator.objects.filter(code__in=DERIVED_INDICATORS).values_list("code", "id")
    )
    for code, compute in DERIVED_INDICATORS.items():
        if code not in indicators:
            continue
        figures = compute()
        if not figures:
            continue
        source_id = derived_source().pk
        keyed = [
            (
                figure.metro_id,
                indicators[code],
                figure.year,
                source_id,
                {
                    "period": figure.period,
                    "value": figure.value,
                    "margin_of_error": None,
                    "vintage": "computed at import",
                    "source_cbsa_code": "",
                    "source_name": "",
                    "note": figure.note,
                },
            )
            for figure in figures
        ]
        revisions += _upsert_observations(keyed, report, f"derived {code}", None)
    return revisions


def vitals_settings_changed(*, rebuild_rankings: bool) -> None:
    """Staff changed a peer group or chose other headline indicators in the admin."""
    with transaction.atomic():
        if rebuild_rankings:
            rankings_rebuild()
            talent_slopes_rebuild()
        transaction.on_commit(_clear_page_cache)


def import_stage(*, files: list[tuple[str, bytes]]) -> str:
    """Keep uploaded files until staff confirm the import; returns the token naming them."""
    token = secrets.token_hex(16)
    folder = settings.PRIVATE_MEDIA_ROOT / "vitals-imports" / token
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files:
        (folder / get_valid_filename(name)).write_bytes(content)
    return token


def staged_files(token: str) -> list[tuple[str, str]]:
    """The staged files of a token as (name, text); an unknown token gives none."""
    if not re.fullmatch(r"[0-9a-f]{32}", token):
        return []
    folder = settings.PRIVATE_MEDIA_ROOT / "vitals-imports" / token
    if not folder.is_dir():
        return []
    return [(path.name, path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.csv"))]


@transaction.atomic
def peer_choice_save(
    *,
    user,
    metro: Metro | None,
    peer_group: PeerGroup | None = None,
    peer_metros: Iterable[Metro] = (),
) -> PeerChoice:
    """Save what the person compares on My metro: the metro (None: their profile's home
    metro) against a peer group, or against their own list of metros (the metro itself is
    always compared, so it is left out of the list)."""
    peers = {m.pk: m for m in peer_metros if metro is None or m.pk != metro.pk}
    if (peer_group is None) == (not peers):
        raise ValidationError("Choose a peer group or list your own peer metros, not both.")
    if len(peers) > MAX_PEER_METROS:
        raise ValidationError(f"List at most {MAX_PEER_METROS} peer metros.")
    choice, _ = PeerChoice.objects.select_for_update().get_or_create(user=user)
    choice.metro, choice.peer_group = metro, peer_group
    choice.save()
    choice.peer_metros.set(list(peers.values()))
    return choice

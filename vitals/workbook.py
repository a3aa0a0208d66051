"""The members' full download: every City Vitals figure as one Excel workbook.

Four sheets: "About" (the citation and notes), "Figures" (one row per metro, indicator, year
and source, with the margin of error), "Indicators" and "Sources". Built in a fixed number of
queries however many figures there are, with openpyxl's write-only mode: rows go to a
temporary file as they are read, never all held in memory.

Writing the cells takes seconds (openpyxl serialises each one in Python), so the finished file
is kept in the cache, under a key that changes with the day (the citation's date), the current
edition (the citation names it) and with anything the sheets show: every import, and any edit
of an indicator, source or metro name.
"""

import hashlib
import io
import tempfile
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.urls import reverse
from openpyxl import Workbook

from .models import ImportRun, Indicator, Metro, Observation, Source
from .selectors.editions import citation_text, current_edition

# Larger workbooks are built for each download rather than held in the cache.
MAX_CACHED_BYTES = 8 * 1024 * 1024
CACHE_SECONDS = 24 * 60 * 60

TITLE = "civicnet City Vitals: every figure"
FIGURE_COLUMNS = [
    "cbsa_code",
    "metro",
    "indicator",
    "indicator_name",
    "area",
    "unit",
    "year",
    "period",
    "value",
    "margin_of_error",
    "source",
    "vintage",
    "note",
]
INDICATOR_COLUMNS = [
    "indicator",
    "name",
    "area",
    "unit",
    "direction",
    "headline",
    "definition",
    "source_table",
    "formula",
]
SOURCE_COLUMNS = ["source", "title", "publisher", "url", "licence"]


def citation(today: date, edition) -> str:
    """The same citation line as every City Vitals page, CSV and JSON (title, edition, date,
    address), and the day of the download."""
    url = settings.SITE_URL + reverse("vitals:figures_xlsx")
    text = citation_text(edition=edition, url=url, title="Every figure (XLSX)")
    return f"{text} Downloaded {today:%-d %B %Y}."


def notes() -> list[str]:
    methodology = settings.SITE_URL + reverse("vitals:methodology")
    return [
        "One row of Figures is one published figure: a metro's value of an indicator for one "
        "year from one source. Figures from different sources or survey products are "
        "separate series: compare years only within one source.",
        "Shares are fractions from 0 to 1 (0.25 is 25%). Dollars are nominal, of the data year.",
        "margin_of_error is the publisher's 90% margin of error where it gives one (the "
        "American Community Survey does); empty where the source publishes none.",
        "year is the data year; for multi-year estimates it is the last year of the period.",
        f"Definitions, sources and how ranks are computed: {methodology}",
        "The figures are U.S. Government works in the public domain (see each source's "
        "licence); civicnet's ranks and scores are free to reuse with a link to the "
        "methodology page.",
    ]


def figures_workbook(today: date):
    """The workbook as an open file at its start (the caller streams and closes it): from the
    cache when nothing it shows has changed today, else built and kept."""
    indicators = list(Indicator.objects.order_by("area", "name"))
    sources = list(Source.objects.order_by("code"))
    edition = current_edition()
    key = _cache_key(today, indicators, sources, edition)
    cached = cache.get(key)
    if cached is not None:
        return io.BytesIO(cached)
    file = _build(today, indicators, sources, edition)
    size = file.seek(0, io.SEEK_END)
    if size <= MAX_CACHED_BYTES:
        file.seek(0)
        cache.set(key, file.read(), CACHE_SECONDS)
    file.seek(0)
    return file


def _cache_key(today: date, indicators, sources, edition) -> str:
    figures = Observation.objects.aggregate(n=Count("id"), last=Max("id"))
    shown = [
        today.isoformat(),
        (edition.pk, edition.title, edition.published_at) if edition else None,
        ImportRun.objects.aggregate(last=Max("id"))["last"],
        figures["n"],
        figures["last"],
        [[getattr(i, f.attname) for f in Indicator._meta.concrete_fields] for i in indicators],
        [[getattr(s, f.attname) for f in Source._meta.concrete_fields] for s in sources],
        list(Metro.objects.order_by("pk").values_list("pk", "cbsa_code", "name")),
    ]
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
    return f"vitals:figures-xlsx:{digest}"


def _build(today: date, indicators, sources, edition):
    book = Workbook(write_only=True)
    about = book.create_sheet("About")
    about.append([TITLE])
    about.append(["Cite as", citation(today, edition)])
    for note in notes():
        about.append(["Note", note])

    areas = dict(Indicator._meta.get_field("area").choices)
    units = dict(Indicator._meta.get_field("unit").choices)

    figures = book.create_sheet("Figures")
    figures.append(FIGURE_COLUMNS)
    by_id = {i.pk: i for i in indicators}
    rows = (
        Observation.objects.order_by("metro__name", "indicator__code", "year", "source__code")
        .values_list(
            "metro__cbsa_code",
            "metro__name",
            "indicator_id",
            "year",
            "period",
            "value",
            "margin_of_error",
            "source__code",
            "vintage",
            "note",
        )
        .iterator(chunk_size=5000)
    )
    for cbsa, metro, indicator_id, year, period, value, moe, source, vintage, note in rows:
        i = by_id[indicator_id]
        figures.append(
            [
                cbsa,
                metro,
                i.code,
                i.name,
                areas.get(i.area, i.area),
                units.get(i.unit, i.unit),
                year,
                period,
                value,
                moe,
                source,
                vintage,
                note,
            ]
        )

    sheet = book.create_sheet("Indicators")
    sheet.append(INDICATOR_COLUMNS)
    for i in indicators:
        sheet.append(
            [
                i.code,
                i.name,
                i.get_area_display(),
                i.get_unit_display(),
                i.get_direction_display(),
                "yes" if i.is_headline else "no",
                i.definition,
                i.source_table,
                i.formula,
            ]
        )

    sheet = book.create_sheet("Sources")
    sheet.append(SOURCE_COLUMNS)
    for s in sources:
        sheet.append([s.code, s.title, s.publisher, s.url, s.licence])

    file = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    book.save(file)
    return file

"""Reading and checking City Vitals import files, before anything is written.

Four kinds of CSV file, told apart by their header: sources, indicators, metros and
observations (the format of `vitals/data/`). `read_import_files()` parses every file and
reports every problem it finds with file, row and column; it never touches the database
except to look up which metros, indicators and sources already exist.
"""

import csv
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .derived import DERIVED_INDICATORS
from .models import Area, Indicator, Metro, Source

KINDS = ("sources", "indicators", "metros", "observations")
REQUIRED_COLUMNS = {
    "sources": ["source_id", "title", "publisher", "url", "licence"],
    "indicators": ["code", "name", "pillar", "unit", "higher_is_better", "definition"],
    "metros": ["cbsa_code", "name"],
    "observations": ["metro_cbsa_code", "indicator", "year", "period", "value", "moe", "source_id"],
}
OPTIONAL_COLUMNS = {
    "sources": ["obtained_via", "series"],
    "indicators": ["source_table", "formula", "caveat", "change_series"],
    "metros": ["kind", "is_1m_plus", "delineation"],
    "observations": ["cbsa_code", "cbsa_name_in_source", "vintage", "note"],
}
POPULATION_COLUMN = re.compile(r"^pop_(\d{4})$")
EXTRA_METRO_COLUMN = re.compile(r"^pop_rank_\d{4}$")
CBSA_CODE = re.compile(r"^\d{5}$")
# metro_cbsa_code of a national (United States) figure: a benchmark, never a metro.
NATIONAL_CODE = "US"
# The largest figure each unit can plausibly take; every unit starts at zero.
UNIT_MAXIMUM = {
    Indicator.Unit.SHARE: 1.0,
    Indicator.Unit.COUNT: 10_000_000,
    Indicator.Unit.PERSONS: 50_000_000,
    Indicator.Unit.USD: 10_000_000,
    Indicator.Unit.PER_10K: 10_000,
    Indicator.Unit.PER_100K: 100_000,
    Indicator.Unit.RATIO: 1_000,
}
UNIT_WORDS = {
    Indicator.Unit.SHARE: "share",
    Indicator.Unit.COUNT: "count",
    Indicator.Unit.PERSONS: "population",
    Indicator.Unit.USD: "dollar amount",
    Indicator.Unit.PER_10K: "rate per 10,000 residents",
    Indicator.Unit.PER_100K: "rate per 100,000 residents",
    Indicator.Unit.RATIO: "ratio",
}
AREA_ALIASES = {
    "core vitality": "core_vitality",
    "metropolitan performance": "metropolitan_performance",
}
DIRECTIONS = {
    "1": "higher",
    "0": "lower",
    "": "none",
    "higher": "higher",
    "lower": "lower",
    "none": "none",
}
STATE_REGIONS = {
    **dict.fromkeys(["CT", "ME", "MA", "NH", "RI", "VT", "NJ", "NY", "PA"], "Northeast"),
    **dict.fromkeys(
        ["IL", "IN", "MI", "OH", "WI", "IA", "KS", "MN", "MO", "NE", "ND", "SD"], "Midwest"
    ),
    **dict.fromkeys(
        [
            *["DE", "DC", "FL", "GA", "MD", "NC", "SC", "VA", "WV", "AL", "KY", "MS", "TN"],
            *["AR", "LA", "OK", "TX"],
        ],
        "South",
    ),
    **dict.fromkeys(
        ["AZ", "CO", "ID", "MT", "NV", "NM", "UT", "WY", "AK", "CA", "HI", "OR", "WA"], "West"
    ),
    "PR": "Puerto Rico",
}


@dataclass(frozen=True)
class Problem:
    file: str
    row: int  # as a spreadsheet shows it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportFile:
    name: str
    kind: str
    rows: list[dict] = field(default_factory=list)
    skipped: int = 0


@dataclass
class ImportData:
    files: list[ImportFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def rows(self, kind: str) -> list[dict]:
        return [row for f in self.files if f.kind == kind for row in f.rows]

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)


def collect_paths(target: Path) -> list[Path]:
    if target.is_dir():
        return sorted(target.glob("*.csv"))
    return [target]


def read_import_files(
    files: Iterable[tuple[str, str]], progress: Callable[[str, int, int], None] | None = None
) -> ImportData:
    """Parse and validate (name, text) pairs; files may come in any order."""
    data = ImportData()
    parsed = []
    for name, text in files:
        parsed_file = _parse(name, text, data.problems)
        if parsed_file:
            parsed.append(parsed_file)
    parsed.sort(key=lambda item: KINDS.index(item[0].kind))
    known = _Known()
    for import_file, raw_rows, header in parsed:
        validate = _VALIDATORS[import_file.kind]
        total = len(raw_rows)
        for index, raw in enumerate(raw_rows):
            row_number = raw.pop("_line")
            report = _Reporter(import_file.name, row_number, data.problems)
            if None in raw:  # more cells than the header has columns
                report(
                    "", f"has {len(header) + len(raw[None])} cells; the header has {len(header)}"
                )
                continue
            row = validate(raw, report, known, import_file)
            if row is not None:
                row["_row"] = row_number
                import_file.rows.append(row)
            if progress and (index + 1) % 5000 == 0:
                progress(import_file.name, index + 1, total)
        if progress:
            progress(import_file.name, total, total)
        data.files.append(import_file)
    return data


def _parse(name: str, text: str, problems: list[Problem]):
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        problems.append(Problem(name, 1, "", "the file is empty"))
        return None
    except csv.Error as error:
        problems.append(Problem(name, 1, "", f"is not readable as CSV ({error})"))
        return None
    kind = _kind_for(name, header)
    missing = [c for c in REQUIRED_COLUMNS[kind] if c not in header]
    if kind == "metros" and not any(POPULATION_COLUMN.match(c) for c in header):
        missing.append("pop_<year>")
    known_columns = set(REQUIRED_COLUMNS[kind]) | set(OPTIONAL_COLUMNS[kind])
    unknown = [
        c
        for c in header
        if c not in known_columns
        and not (kind == "metros" and (POPULATION_COLUMN.match(c) or EXTRA_METRO_COLUMN.match(c)))
    ]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or duplicated:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        if duplicated:
            parts.append(f"repeated column(s) {', '.join(duplicated)}")
        problems.append(
            Problem(
                name,
                1,
                "",
                f"header of {'an' if kind[0] in 'aeiou' else 'a'} {kind} file: {'; '.join(parts)}. Expected: "
                f"{', '.join(REQUIRED_COLUMNS[kind])}",
            )
        )
        return None
    raw_rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            raw = dict.fromkeys(header, "") | dict(zip(header, cells, strict=False))
            raw["_line"] = reader.line_num
            if len(cells) > len(header):
                raw[None] = cells[len(header) :]
            raw_rows.append(raw)
    except csv.Error as error:
        problems.append(Problem(name, reader.line_num, "", f"is not readable as CSV ({error})"))
        return None
    return ImportFile(name=name, kind=kind), raw_rows, header


def _kind_for(name: str, header: list[str]) -> str:
    """The kind whose required columns the header shares most; the file name breaks ties."""
    stem = Path(name).stem.lower()

    def score(kind: str) -> tuple[int, bool]:
        return (len(set(header) & set(REQUIRED_COLUMNS[kind])), kind in stem)

    return max(KINDS, key=score)


class _Reporter:
    def __init__(self, file: str, row: int, problems: list[Problem]):
        self.file, self.row, self.problems, self.failed = file, row, problems, False

    def __call__(self, column: str, message: str) -> None:
        self.failed = True
        self.problems.append(Problem(self.file, self.row, column, message))


class _Known:
    """Codes already in the database plus those defined earlier in this import."""

    def __init__(self):
        self.sources = set(Source.objects.values_list("code", flat=True))
        self.indicators = dict(Indicator.objects.values_list("code", "unit"))
        self.metros = set(Metro.objects.values_list("cbsa_code", flat=True))
        self.seen: dict[tuple, int] = {}

    def first_row(self, key: tuple, row: int) -> int | None:
        if key in self.seen:
            return self.seen[key]
        self.seen[key] = row
        return None


def _number(raw: str, column: str, report: _Reporter, *, required: bool = True) -> float | None:
    text = raw.strip().replace(",", "")
    if not text:
        if required:
            report(column, "is empty; leave the row out when there is no figure")
        return None
    try:
        value = float(text)
    except ValueError:
        report(column, f"{raw.strip()!r} is not a number")
        return None
    if not math.isfinite(value):
        report(column, f"{raw.strip()!r} is not a finite number")
        return None
    return value


def _text(raw: dict, column: str, report: _Reporter, *, max_length: int) -> str:
    value = raw.get(column, "").strip()
    if not value:
        report(column, "is empty")
    elif len(value) > max_length:
        report(column, f"is longer than {max_length} characters")
    return value


def _duplicate(known: _Known, key: tuple, report: _Reporter, column: str, what: str) -> None:
    first = known.first_row(key, report.row)
    if first is not None:
        report(column, f"repeats {what} already given in row {first}")


def _validate_source(raw, report, known, import_file):
    code = _text(raw, "source_id", report, max_length=64)
    if code and not re.fullmatch(r"[-a-zA-Z0-9_]+", code):
        report("source_id", f"{code!r} may only hold letters, digits, - and _")
    row = {
        "code": code,
        "title": _text(raw, "title", report, max_length=300),
        "publisher": _text(raw, "publisher", report, max_length=300),
        "url": _text(raw, "url", report, max_length=500),
        "licence": _text(raw, "licence", report, max_length=300),
        "obtained_via": raw.get("obtained_via", "").strip()[:500],
        "series": raw.get("series", "").strip()[:100],
    }
    if row["url"] and not row["url"].startswith(("https://", "http://")):
        report("url", f"{row['url']!r} is not a web address")
    _duplicate(known, ("source", code), report, "source_id", f"source {code}")
    if report.failed:
        return None
    known.sources.add(code)
    return row


def _validate_indicator(raw, report, known, import_file):
    code = _text(raw, "code", report, max_length=64)
    if code and not re.fullmatch(r"[a-z0-9_]+", code):
        report("code", f"{code!r} may only hold lower-case letters, digits and _")
    area = raw["pillar"].strip().lower()
    area = AREA_ALIASES.get(area, area)
    if area not in _areas():
        report("pillar", f"{raw['pillar'].strip()!r} is not one of {', '.join(_areas())}")
    unit = raw["unit"].strip()
    if unit not in Indicator.Unit.values:
        report("unit", f"{unit!r} is not one of {', '.join(Indicator.Unit.values)}")
    direction = DIRECTIONS.get(raw["higher_is_better"].strip().lower())
    if direction is None:
        report("higher_is_better", f"{raw['higher_is_better']!r} must be 1, 0 or empty")
    row = {
        "code": code,
        "name": _text(raw, "name", report, max_length=120),
        "area": area,
        "unit": unit,
        "direction": direction,
        "definition": _text(raw, "definition", report, max_length=2000),
        "source_table": raw.get("source_table", "").strip()[:300],
        "formula": raw.get("formula", "").strip(),
        "caveat": raw.get("caveat", "").strip(),
        "change_series": raw.get("change_series", "").strip()[:100],
    }
    _duplicate(known, ("indicator", code), report, "code", f"indicator {code}")
    if report.failed:
        return None
    known.indicators[code] = unit
    return row


def _areas() -> list[str]:
    return list(Area.values)


def _validate_metro(raw, report, known, import_file):
    code = raw["cbsa_code"].strip()
    if not CBSA_CODE.match(code):
        report("cbsa_code", f"{code!r} is not a five-digit CBSA code")
    name = _text(raw, "name", report, max_length=200)
    city, _, states = name.partition(",")
    states = states.strip()
    if name and (not states or not re.fullmatch(r"[A-Z]{2}(-[A-Z]{2})*", states)):
        report("name", f"{name!r} should read 'City-Other city, ST-ST'")
    population_column = max(
        (c for c in raw if c and POPULATION_COLUMN.match(c)),
        key=lambda c: POPULATION_COLUMN.match(c)[1],
    )
    population = _number(raw[population_column], population_column, report)
    if population is not None and (
        population < 1 or population > 50_000_000 or not population.is_integer()
    ):
        report(population_column, f"{raw[population_column]!r} is not a plausible population")
    _duplicate(known, ("metro", code), report, "cbsa_code", f"metro {code}")
    if report.failed:
        return None
    known.metros.add(code)
    state_list = states.split("-")
    return {
        "cbsa_code": code,
        "name": name,
        "principal_city": city.split("-")[0].strip(),
        "states": states,
        "region": STATE_REGIONS.get(state_list[0], "Other"),
        "population": int(population),
        "population_year": int(POPULATION_COLUMN.match(population_column).group(1)),
        "delineation": raw.get("delineation", "").strip()[:200],
    }


def _validate_observation(raw, report, known, import_file):
    metro = raw["metro_cbsa_code"].strip()
    if not metro:
        # The source's area has no 2023 metro (micropolitan, Puerto Rico, or retired code).
        import_file.skipped += 1
        return None
    if metro not in known.metros and metro != NATIONAL_CODE:
        report("metro_cbsa_code", f"{metro!r} is not a known metro (CBSA) code")
    indicator = raw["indicator"].strip()
    unit = known.indicators.get(indicator)
    if unit is None:
        report("indicator", f"{indicator!r} is not a known indicator")
    elif indicator in _derived_codes():
        report(
            "indicator", f"{indicator!r} is derived by civicnet; import the figures it is made from"
        )
    source = raw["source_id"].strip()
    if source not in known.sources:
        report("source_id", f"{source!r} is not a known source")
    year = raw["year"].strip()
    if not re.fullmatch(r"(19|20)\d\d", year):
        report("year", f"{year!r} is not a year")
    period = _text(raw, "period", report, max_length=40)
    value = _number(raw["value"], "value", report)
    if value is not None and unit is not None:
        maximum = UNIT_MAXIMUM[unit]
        if not 0 <= value <= maximum:
            report(
                "value",
                f"{raw['value'].strip()} is not plausible for {indicator}: "
                f"a {UNIT_WORDS[unit]} must lie between 0 and {maximum:,g}",
            )
    moe = _number(raw["moe"], "moe", report, required=False)
    if moe is not None and moe < 0:
        report("moe", f"{raw['moe'].strip()} is negative")
    _duplicate(
        known,
        ("observation", metro, indicator, year, source),
        report,
        "",
        f"the figure for metro {metro}, {indicator}, {year}, {source}",
    )
    if report.failed:
        return None
    return {
        "metro": metro,
        "indicator": indicator,
        "source": source,
        "year": int(year),
        "period": period,
        "value": value,
        "margin_of_error": moe,
        "vintage": raw.get("vintage", "").strip()[:100],
        "source_cbsa_code": raw.get("cbsa_code", "").strip()[:5],
        "source_name": raw.get("cbsa_name_in_source", "").strip()[:200],
        "note": raw.get("note", "").strip()[:300],
    }


def _derived_codes() -> set[str]:
    return set(DERIVED_INDICATORS)


_VALIDATORS = {
    "sources": _validate_source,
    "indicators": _validate_indicator,
    "metros": _validate_metro,
    "observations": _validate_observation,
}

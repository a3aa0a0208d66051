"""Census Population Estimates (PEP): the resident population of every CBSA on July 1.

Reads the Census Bureau's documented estimates file of the vintage,
`cbsa-est<vintage>-alldata.csv`, the same file the shipped figures come from (the Census Data
API's PEP datasets change name and shape between vintages). One row per metropolitan and
micropolitan area, metropolitan division and county; columns CBSA, MDIV, STCOU, NAME, LSAD,
POPESTIMATE<year>... The files are Latin-1 text. No key.
"""

import csv
import io

from django.conf import settings

from .common import PUBLIC_DOMAIN, Batch, FetchError, Figure, MetroRef, Skip, http_request, number

AGENCY = "Census PEP"
METROPOLITAN = "Metropolitan Statistical Area"


def source_id(vintage: int) -> str:
    return f"census-pep-v{vintage}"


def file_url(vintage: int) -> str:
    decade = (vintage - 1) // 10 * 10  # Vintage 2020 closes the 2010s series
    return (
        f"{settings.CENSUS_PEP_FILES_BASE}/{decade}-{vintage}/metro/totals/"
        f"cbsa-est{vintage}-alldata.csv"
    )


def fetch(year: int, metros: dict[str, MetroRef], *, vintage: int | None = None) -> Batch:
    vintage = vintage or year
    if vintage < year:
        raise FetchError(f"{AGENCY}: Vintage {vintage} has no estimate for {year}")
    batch = Batch()
    url = file_url(vintage)
    raw = http_request(url, agency=AGENCY, accept="text/csv")
    batch.requests += 1
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    column = f"POPESTIMATE{year}"
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in ["CBSA", "NAME", "LSAD", column] if c not in header]
    if missing:
        raise FetchError(
            f"{AGENCY}: {url} is not the estimates file it should be: no column(s) "
            f"{', '.join(missing)} (it began {text[:80]!r})"
        )
    seen = set()
    try:
        for row in reader:
            if row["LSAD"] != METROPOLITAN:
                continue
            code, name = row["CBSA"].strip(), row["NAME"].strip()
            seen.add(code)
            value = number(row[column])
            if value is None or value < 1:
                batch.skipped.append(
                    Skip(AGENCY, code, name, "population", f"{column} is {row[column]!r}")
                )
                continue
            batch.figures.append(
                Figure(
                    cbsa_code=code,
                    name_in_source=name,
                    indicator="population",
                    year=year,
                    value=value,
                    source_id=source_id(vintage),
                    vintage=f"Vintage {vintage}",
                )
            )
    except csv.Error as error:
        raise FetchError(f"{AGENCY}: {url} is not readable as CSV ({error})") from error
    for code, metro in sorted(metros.items()):
        if code not in seen:
            batch.skipped.append(
                Skip(AGENCY, code, metro.name, "population", "not in the estimates file")
            )
    # The metros' populations follow the newest estimate, never an older one.
    populations = {f.cbsa_code: f.value for f in batch.figures if f.cbsa_code in metros}
    for code, value in sorted(populations.items()):
        metro = metros[code]
        if year >= metro.population_year:
            batch.metros.append(
                {
                    "cbsa_code": code,
                    "name": metro.name,
                    f"pop_{year}": str(int(value)),
                    "delineation": metro.delineation,
                }
            )
    batch.sources.append(
        {
            "source_id": source_id(vintage),
            "title": (
                "Annual Estimates of the Resident Population for CBSAs, "
                f"Vintage {vintage} (cbsa-est{vintage}-alldata)"
            ),
            "publisher": "U.S. Census Bureau, Population Estimates Program",
            "url": "https://www.census.gov/programs-surveys/popest.html",
            "licence": PUBLIC_DOMAIN,
            "obtained_via": "Census Bureau population estimates file",
        }
    )
    return batch

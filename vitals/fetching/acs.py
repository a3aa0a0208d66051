"""American Community Survey 1-year estimates for every CBSA, from the Census Data API.

The API answers a JSON array of rows whose first row is the header; every cell is a string
or null. Negative figures such as -666666666 are annotations (too few sample cases, not
applicable), not estimates. Subject tables (S...) and detailed tables (B...) live at two
addresses, so a year takes two requests.
"""

import math
import re
from urllib.parse import quote, urlencode

from django.conf import settings

from .common import (
    NATIONAL_CODE,
    PUBLIC_DOMAIN,
    Batch,
    FetchError,
    Figure,
    MetroRef,
    MissingKey,
    Skip,
    http_request,
    number,
    parse_json,
)

AGENCY = "Census ACS"
# Since May 2026 every query needs a key; a missing or wrong one gets an HTML page.
KEY_REFUSED = re.compile(rb"Invalid Key|Missing Key|valid <em>key</em> must be included")
GEOGRAPHY = "metropolitan statistical area/micropolitan statistical area"
DETAILED = ["B06009_001", "B06009_025", "B06009_029", "B06009_030", "B19013_001"]
SUBJECT = [
    "S1501_C02_012",
    "S1501_C02_013",
    "S0802_C01_001",
    "S0802_C04_001",
    "S1701_C03_001",
    "S2301_C04_001",
]
INDICATORS = [
    "college_attainment",
    "international_talent",
    "foreign_born_ba_rate",
    "transit_use",
    "median_household_income",
    "poverty_rate",
    "unemployment_rate",
]


def source_id(year: int) -> str:
    return f"acs1-{year}"


def fetch(year: int, metros: dict[str, MetroRef]) -> Batch:
    if not settings.CENSUS_API_KEY:
        raise MissingKey("CENSUS_API_KEY", "Census Data")
    batch = Batch()
    detailed_url = f"{settings.CENSUS_API_BASE}/{year}/acs/acs1"
    subject_url = f"{settings.CENSUS_API_BASE}/{year}/acs/acs1/subject"
    detailed = _table(detailed_url, DETAILED, batch)
    subject = _table(subject_url, SUBJECT, batch)
    # The nation's row (`for=us:1`): the same tables and formulas, so the same series.
    detailed |= _table(detailed_url, DETAILED, batch, national=True)
    subject |= _table(subject_url, SUBJECT, batch, national=True)
    vintage = f"ACS {year} 1-year"
    for code in sorted(set(detailed) | set(subject)):
        row = detailed.get(code, {}) | subject.get(code, {})
        name = row["NAME"]
        for indicator, (value, moe, note) in _indicators(row).items():
            if value is None:
                batch.skipped.append(
                    Skip(AGENCY, code, name, indicator, "no estimate for this area")
                )
                continue
            batch.figures.append(
                Figure(
                    cbsa_code=code,
                    name_in_source=name,
                    indicator=indicator,
                    year=year,
                    value=value,
                    source_id=source_id(year),
                    vintage=vintage,
                    moe=moe,
                    note=note,
                )
            )
    for code, metro in sorted(metros.items()):
        if code not in detailed and code not in subject:
            batch.skipped.append(
                Skip(AGENCY, code, metro.name, "all ACS indicators", "not in the Census answer")
            )
    batch.sources.append(
        {
            "source_id": source_id(year),
            "title": (
                f"American Community Survey {year} 1-year estimates, CBSA level "
                "(tables S1501, S0802, S1701, S2301, B19013, B06009)"
            ),
            "publisher": "U.S. Census Bureau",
            "url": f"https://api.census.gov/data/{year}/acs/acs1.html",
            "licence": PUBLIC_DOMAIN,
            "obtained_via": "Census Data API",
        }
    )
    return batch


def _table(
    address: str, variables: list[str], batch: Batch, *, national: bool = False
) -> dict[str, dict]:
    """The metropolitan rows of one table request, by CBSA code: {"NAME": ..., "B19013_001E": ...};
    national: the United States' row, keyed NATIONAL_CODE."""
    columns = [f"{v}{suffix}" for v in variables for suffix in ("E", "M")]
    geography = "us" if national else GEOGRAPHY
    query = {"get": ",".join(["NAME", *columns]), "for": "us:1" if national else f"{GEOGRAPHY}:*"}
    url = f"{address}?{urlencode(query | {'key': settings.CENSUS_API_KEY}, quote_via=quote, safe=',:*/')}"
    raw = http_request(url, agency=AGENCY)
    if KEY_REFUSED.search(raw):  # an HTML page, after a redirect, with status 200
        raise FetchError(
            f"{AGENCY}: the Census API refused CENSUS_API_KEY (it answered its "
            "'Invalid Key' page); check the key and that it was activated"
        )
    answer = parse_json(raw, url=url, agency=AGENCY)
    batch.requests += 1
    if (
        not isinstance(answer, list)
        or not answer
        or not all(isinstance(row, list) for row in answer)
    ):
        raise FetchError(f"{AGENCY}: {address} did not answer a table (a list of rows)")
    header, *rows = answer
    missing = [c for c in ["NAME", *columns, geography] if c not in header]
    if missing:
        raise FetchError(f"{AGENCY}: {address} left out column(s) {', '.join(missing)}")
    table = {}
    for cells in rows:
        if len(cells) != len(header):
            raise FetchError(
                f"{AGENCY}: {address} gave a row of {len(cells)} cells for {len(header)} columns"
            )
        row = dict(zip(header, cells, strict=True))
        if national:
            table[NATIONAL_CODE] = row
        elif str(row["NAME"]).endswith("Metro Area"):  # micropolitan areas are not metros
            table[str(row[GEOGRAPHY])] = row
    if national and NATIONAL_CODE not in table:
        raise FetchError(f"{AGENCY}: {address} gave no row for the United States (us:1)")
    return table


def _estimate(row: dict, variable: str) -> float | None:
    value = number(row.get(f"{variable}E"))
    return value if value is not None and value >= 0 else None


def _moe(row: dict, variable: str) -> float | None:
    value = number(row.get(f"{variable}M"))
    return value if value is not None and value >= 0 else None


def _sum(row: dict, *variables: str) -> tuple[float | None, float | None]:
    """A sum of estimates and its margin of error (root of the summed squares)."""
    values = [_estimate(row, v) for v in variables]
    moes = [_moe(row, v) for v in variables]
    if None in values:
        return None, None
    moe = math.sqrt(sum(m * m for m in moes)) if None not in moes else None
    return sum(values), moe


def _share(part, part_moe, whole, whole_moe) -> tuple[float | None, float | None]:
    """A proportion and its margin of error, by the ACS handbook's formula for proportions
    (the ratio formula where the proportion's radicand is negative)."""
    if part is None or not whole:
        return None, None
    share = part / whole
    if part_moe is None or whole_moe is None:
        return share, None
    radicand = part_moe**2 - share**2 * whole_moe**2
    if radicand < 0:
        radicand = part_moe**2 + share**2 * whole_moe**2
    return share, math.sqrt(radicand) / whole


def _percent(row: dict, variable: str) -> tuple[float | None, float | None]:
    value, moe = _estimate(row, variable), _moe(row, variable)
    return (value / 100 if value is not None else None), (moe / 100 if moe is not None else None)


def _indicators(row: dict) -> dict[str, tuple[float | None, float | None, str]]:
    """The same values (and margins of error) the shipped data builds from these tables."""
    attainment, attainment_moe = _sum(row, "S1501_C02_012", "S1501_C02_013")
    foreign_ba, foreign_ba_moe = _sum(row, "B06009_029", "B06009_030")
    adults, adults_moe = _estimate(row, "B06009_001"), _moe(row, "B06009_001")
    foreign, foreign_moe = _estimate(row, "B06009_025"), _moe(row, "B06009_025")
    workers, workers_moe = _estimate(row, "S0802_C01_001"), _moe(row, "S0802_C01_001")
    transit, transit_moe = _estimate(row, "S0802_C04_001"), _moe(row, "S0802_C04_001")
    share_note = "moe by the ACS formula for a proportion"
    return {
        "college_attainment": (
            attainment / 100 if attainment is not None else None,
            attainment_moe / 100 if attainment_moe is not None else None,
            "moe approximated as root-sum-square",
        ),
        "international_talent": (
            *_share(foreign_ba, foreign_ba_moe, adults, adults_moe),
            share_note,
        ),
        "foreign_born_ba_rate": (
            *_share(foreign_ba, foreign_ba_moe, foreign, foreign_moe),
            share_note,
        ),
        "transit_use": (
            *_share(transit, transit_moe, workers, workers_moe),
            "S0802 C04 count / C01 count; " + share_note,
        ),
        "median_household_income": (
            _estimate(row, "B19013_001"),
            _moe(row, "B19013_001"),
            "",
        ),
        "poverty_rate": (*_percent(row, "S1701_C03_001"), ""),
        "unemployment_rate": (*_percent(row, "S2301_C04_001"), ""),
    }

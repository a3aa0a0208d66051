"""BLS Local Area Unemployment Statistics: each metro's annual average unemployment rate.

One series a metro, `LAUMT` + state FIPS + CBSA + `000000` + `03` (measure 03 is the rate,
in percent, not seasonally adjusted). The Public Data API v2 takes at most 50 series a
request, so the metros go in batches; with `annualaverage` it adds period M13, the annual
average. An answer's `status` is REQUEST_SUCCEEDED, REQUEST_NOT_PROCESSED or
REQUEST_FAILED, and `message` explains (a series without data is named there).
"""

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
    http_json,
    number,
)

AGENCY = "BLS LAUS"
SERIES_PER_REQUEST = 50
SOURCE_ID = "bls-laus"
INDICATOR = "unemployment_rate_laus"
# The nation's rate: the Current Population Survey's unemployment rate, not seasonally
# adjusted, the total that LAUS estimates for areas are controlled to.
NATIONAL_SERIES = "LNU04000000"
STATE_FIPS = {
    **{"AL": "01", "AK": "02", "AZ": "04", "AR": "05", "CA": "06", "CO": "08", "CT": "09"},
    **{"DE": "10", "DC": "11", "FL": "12", "GA": "13", "HI": "15", "ID": "16", "IL": "17"},
    **{"IN": "18", "IA": "19", "KS": "20", "KY": "21", "LA": "22", "ME": "23", "MD": "24"},
    **{"MA": "25", "MI": "26", "MN": "27", "MS": "28", "MO": "29", "MT": "30", "NE": "31"},
    **{"NV": "32", "NH": "33", "NJ": "34", "NM": "35", "NY": "36", "NC": "37", "ND": "38"},
    **{"OH": "39", "OK": "40", "OR": "41", "PA": "42", "RI": "44", "SC": "45", "SD": "46"},
    **{"TN": "47", "TX": "48", "UT": "49", "VT": "50", "VA": "51", "WA": "53", "WV": "54"},
    **{"WI": "55", "WY": "56", "PR": "72"},
}


def series_id(metro: MetroRef) -> str | None:
    fips = STATE_FIPS.get(metro.states.split("-")[0])
    return f"LAUMT{fips}{metro.cbsa_code}00000003" if fips else None


def fetch(year: int, metros: dict[str, MetroRef]) -> Batch:
    if not settings.BLS_API_KEY:
        raise MissingKey("BLS_API_KEY", "BLS Public Data (v2)")
    batch = Batch()
    wanted = {}
    for metro in sorted(metros.values(), key=lambda m: m.cbsa_code):
        series = series_id(metro)
        if series is None:
            batch.skipped.append(
                Skip(
                    AGENCY,
                    metro.cbsa_code,
                    metro.name,
                    INDICATOR,
                    f"no state code for {metro.states!r}",
                )
            )
        else:
            wanted[series] = metro
    wanted[NATIONAL_SERIES] = MetroRef(NATIONAL_CODE, "United States", "")
    ids = list(wanted)
    answered: dict[str, dict] = {}
    messages: list[str] = []
    for start in range(0, len(ids), SERIES_PER_REQUEST):
        answer = http_json(
            f"{settings.BLS_API_BASE}/timeseries/data/",
            agency=AGENCY,
            body={
                "seriesid": ids[start : start + SERIES_PER_REQUEST],
                "startyear": str(year),
                "endyear": str(year),
                "annualaverage": True,
                "registrationkey": settings.BLS_API_KEY,
            },
        )
        batch.requests += 1
        answered |= _series(answer, messages)
    for series, metro in wanted.items():
        value = _annual_average(answered.get(series), year)
        if value is None:
            said = [m for m in messages if series in m]
            reason = said[0] if said else f"no {year} annual average in the BLS answer"
            batch.skipped.append(Skip(AGENCY, metro.cbsa_code, metro.name, INDICATOR, reason))
            continue
        batch.figures.append(
            Figure(
                cbsa_code=metro.cbsa_code,
                name_in_source=metro.name,
                indicator=INDICATOR,
                year=year,
                value=value / 100,
                source_id=SOURCE_ID,
                vintage=f"LAUS {year} annual average",
                note=f"series {series}"
                + (
                    " (CPS national rate, the LAUS control total)"
                    if series == NATIONAL_SERIES
                    else ""
                ),
            )
        )
    batch.sources.append(
        {
            "source_id": SOURCE_ID,
            "title": "Local Area Unemployment Statistics: metropolitan areas, annual averages",
            "publisher": "U.S. Bureau of Labor Statistics",
            "url": "https://www.bls.gov/lau/",
            "licence": PUBLIC_DOMAIN,
            "obtained_via": "BLS Public Data API",
        }
    )
    batch.indicators.append(
        {
            "code": INDICATOR,
            "name": "Unemployment rate (BLS)",
            "pillar": "metropolitan_performance",
            "unit": "share",
            "higher_is_better": "0",
            "definition": (
                "Unemployed people as a share of the civilian labour force: the annual average "
                "of the monthly Local Area Unemployment Statistics, not seasonally adjusted "
                "(BLS models built from the Current Population Survey, payroll jobs and "
                "unemployment claims; a different measure from the ACS unemployment rate)."
            ),
            "source_table": "BLS LAUS LAUMT<state><CBSA>00000003, period M13 (annual average)",
            "formula": "",
        }
    )
    return batch


def _series(answer, messages: list[str]) -> dict[str, dict]:
    if not isinstance(answer, dict) or "status" not in answer:
        raise FetchError(f"{AGENCY}: the answer is not a BLS response (no status)")
    said = [str(m) for m in answer.get("message") or []]
    if answer["status"] != "REQUEST_SUCCEEDED":
        raise FetchError(f"{AGENCY}: {answer['status']}: {'; '.join(said) or 'no message'}")
    messages += said
    series = (answer.get("Results") or {}).get("series")
    if not isinstance(series, list):
        raise FetchError(f"{AGENCY}: the answer has no Results.series list")
    return {s["seriesID"]: s for s in series if isinstance(s, dict) and "seriesID" in s}


def _annual_average(series: dict | None, year: int) -> float | None:
    for point in (series or {}).get("data") or []:
        if point.get("year") == str(year) and point.get("period") == "M13":
            value = number(point.get("value"))
            return value if value is not None and 0 <= value <= 100 else None
    return None

"""BEA Regional accounts: per capita personal income (table CAINC1, line 3) for every MSA.

The answer is `{"BEAAPI": {"Request": ..., "Results": {"Data": [...], "Notes": [...]}}}`;
each datum has GeoFips, GeoName, TimePeriod, CL_UNIT, UNIT_MULT and DataValue, a string with
thousands separators or a code such as "(NA)" or "(D)". Errors come as
`BEAAPI.Results.Error` or `BEAAPI.Error`, with APIErrorCode and APIErrorDescription.
"""

import re
from urllib.parse import urlencode

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

AGENCY = "BEA"
SOURCE_ID = "bea-cainc1"
INDICATOR = "per_capita_income"
CBSA_CODE = re.compile(r"^[1-9]\d{4}$")  # leaves out 00998, the metropolitan portion of the US
US_FIPS = "00000"  # the United States, asked for in a second request


def fetch(year: int, metros: dict[str, MetroRef]) -> Batch:
    if not settings.BEA_API_KEY:
        raise MissingKey("BEA_API_KEY", "BEA")
    batch = Batch()
    query = {
        "UserID": settings.BEA_API_KEY,
        "method": "GetData",
        "datasetname": "Regional",
        "TableName": "CAINC1",
        "LineCode": "3",
        "GeoFips": "MSA",
        "Year": str(year),
        "ResultFormat": "JSON",
    }
    answer = http_json(f"{settings.BEA_API_BASE}/data?{urlencode(query)}", agency=AGENCY)
    batch.requests += 1
    results = _results(answer)
    national = _results(
        http_json(
            f"{settings.BEA_API_BASE}/data?{urlencode(query | {'GeoFips': US_FIPS})}",
            agency=AGENCY,
        )
    )
    batch.requests += 1
    vintage = _release(results.get("Notes")) or "BEA Regional accounts"
    seen = set()
    for datum in [*results["Data"], *national["Data"]]:
        if not isinstance(datum, dict):
            raise FetchError(f"{AGENCY}: a datum is not an object: {datum!r:.80}")
        code, name = str(datum.get("GeoFips", "")).strip(), str(datum.get("GeoName", "")).strip()
        code = NATIONAL_CODE if code == US_FIPS else code
        if str(datum.get("TimePeriod")) != str(year):
            continue
        if not (CBSA_CODE.match(code) or code == NATIONAL_CODE):
            continue
        seen.add(code)
        value = number(datum.get("DataValue"))
        multiplier = number(datum.get("UNIT_MULT", "0")) or 0
        if value is None or value < 0:
            reason = f"BEA shows {datum.get('DataValue')!r}"
            batch.skipped.append(Skip(AGENCY, code, name, INDICATOR, reason))
            continue
        value *= 10**multiplier
        batch.figures.append(
            Figure(
                cbsa_code=code,
                name_in_source=name,
                indicator=INDICATOR,
                year=year,
                value=value,
                source_id=SOURCE_ID,
                vintage=vintage,
            )
        )
    for code, metro in sorted(metros.items()):
        if code not in seen:
            batch.skipped.append(Skip(AGENCY, code, metro.name, INDICATOR, "not in the BEA answer"))
    if NATIONAL_CODE not in seen:
        raise FetchError(f"{AGENCY}: GeoFips {US_FIPS} gave no {year} figure for the United States")
    batch.sources.append(
        {
            "source_id": SOURCE_ID,
            "title": "Personal income, population and per capita personal income by metropolitan area (CAINC1)",
            "publisher": "U.S. Bureau of Economic Analysis",
            "url": "https://apps.bea.gov/regional/",
            "licence": PUBLIC_DOMAIN,
            "obtained_via": "BEA API",
        }
    )
    return batch


def _results(answer) -> dict:
    root = answer.get("BEAAPI") if isinstance(answer, dict) else None
    if not isinstance(root, dict):
        raise FetchError(f"{AGENCY}: the answer is not a BEA response (no BEAAPI)")
    results = root.get("Results")
    if isinstance(results, list):  # some datasets wrap Results in a list
        results = results[0] if results else {}
    error = root.get("Error") or (results or {}).get("Error")
    if error:
        errors = error if isinstance(error, list) else [error]
        described = "; ".join(
            f"error {e.get('APIErrorCode', '?')}: {e.get('APIErrorDescription', e)}"
            if isinstance(e, dict)
            else str(e)
            for e in errors
        )
        raise FetchError(f"{AGENCY}: {described}")
    if not isinstance(results, dict) or not isinstance(results.get("Data"), list):
        raise FetchError(f"{AGENCY}: the answer has no Results.Data list")
    return results


def _release(notes) -> str:
    """'Last updated: November 14, 2024 -- new statistics for 2023; ...' gives the vintage."""
    for note in notes if isinstance(notes, list) else []:
        text = str(note.get("NoteText", "")) if isinstance(note, dict) else ""
        match = re.search(r"Last updated:\s*([^-;]+?)\s*(--|;|$)", text)
        if match:
            return f"BEA release of {match.group(1)}"[:100]
    return ""

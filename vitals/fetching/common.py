"""What every agency module shares: the figures it returns, its errors, and HTTP with retries."""

import http.client
import json
import logging
import math
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings

from ..importing import NATIONAL_CODE

__all__ = ["NATIONAL_CODE"]
logger = logging.getLogger(__name__)

PUBLIC_DOMAIN = "U.S. Government work, public domain (17 U.S.C. 105)"
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER_SECONDS = 120


class FetchError(Exception):
    """An agency gave no usable answer; nothing is written or imported."""


class MissingKey(FetchError):
    def __init__(self, setting: str, agency: str):
        super().__init__(
            f"{setting} is not set: the {agency} API needs a key. Register for one and set "
            f"{setting} in the environment."
        )


@dataclass(frozen=True)
class Figure:
    """One fetched figure of a year (its period is that year), as an observations row."""

    cbsa_code: str  # as the source gives it
    name_in_source: str
    indicator: str
    year: int
    value: float
    source_id: str
    vintage: str
    moe: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Skip:
    """A figure the agency did not give for a metro, and why."""

    agency: str
    cbsa_code: str
    name: str
    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.agency}: {self.cbsa_code} {self.name}: {self.what} skipped ({self.reason})"


@dataclass
class Batch:
    figures: list[Figure] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)  # rows of sources.csv
    indicators: list[dict] = field(default_factory=list)  # rows of indicators.csv
    metros: list[dict] = field(default_factory=list)  # rows of metros.csv (known metros only)
    requests: int = 0


@dataclass(frozen=True)
class MetroRef:
    """What the fetchers need to know of a City Vitals metro."""

    cbsa_code: str
    name: str
    states: str  # "TN-MS-AR": the first is the state the metro is filed under
    population_year: int = 0  # of the population the metro holds now
    delineation: str = ""


def number(text) -> float | None:
    """A published figure as a number, or None for an empty, "(NA)"-like or annotated one."""
    if text is None:
        return None
    try:
        value = float(str(text).replace(",", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _redact(text: str) -> str:
    """Agencies may echo the request, key included, in an error page."""
    for key in (settings.CENSUS_API_KEY, settings.BLS_API_KEY, settings.BEA_API_KEY):
        if key:
            text = text.replace(key, "[key]")
    return text


def _where(url: str) -> str:
    # Never show the query: it carries the API key.
    return url.split("?", 1)[0]


def http_request(
    url: str, *, agency: str, body: dict | None = None, accept: str = "application/json"
) -> bytes:
    """GET (or POST a JSON body) with a timeout, retrying network errors, 429 and 5xx."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Accept": accept, "User-Agent": "civicnet-fetch-vitals"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    attempts = max(1, settings.VITALS_FETCH_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        wait = settings.VITALS_FETCH_RETRY_SECONDS * 2 ** (attempt - 1)
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (https or loopback in tests)
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.VITALS_FETCH_TIMEOUT_SECONDS
            ) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            detail = _redact(error.read()[:300].decode("utf-8", "replace").strip())
            if error.code not in RETRY_STATUSES:
                raise FetchError(
                    f"{agency}: {_where(url)} answered HTTP {error.code}"
                    + (f": {detail}" if detail else "")
                ) from error
            if attempt == attempts:
                raise FetchError(
                    f"{agency}: {_where(url)} still answered HTTP {error.code} after "
                    f"{attempts} attempts" + (f": {detail}" if detail else "")
                ) from error
            retry_after = number(error.headers.get("Retry-After"))
            if retry_after is not None and retry_after >= 0:
                wait = min(retry_after, MAX_RETRY_AFTER_SECONDS)
            logger.warning("%s answered HTTP %s; retrying in %ss", agency, error.code, wait)
        except (
            urllib.error.URLError,
            http.client.HTTPException,
            TimeoutError,
            ConnectionError,
        ) as error:
            reason = getattr(error, "reason", error)
            if attempt == attempts:
                raise FetchError(
                    f"{agency}: could not reach {_where(url)} after {attempts} attempts ({reason})"
                ) from error
            logger.warning("%s unreachable (%s); retrying in %ss", agency, reason, wait)
        time.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def http_json(url: str, *, agency: str, body: dict | None = None):
    return parse_json(http_request(url, agency=agency, body=body), url=url, agency=agency)


def parse_json(raw: bytes, *, url: str, agency: str):
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        start = _redact(raw[:120].decode("utf-8", "replace").strip())
        raise FetchError(
            f"{agency}: {_where(url)} did not answer JSON ({error}); it began {start!r}"
        ) from error

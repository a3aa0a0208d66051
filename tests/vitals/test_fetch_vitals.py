"""`manage.py fetch_vitals` against the agencies' recorded answers, served on loopback."""

import csv
import io
import json
import math
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.vitals.fake_agencies import FakeAgencies, recording
from vitals.fetching.laus import SERIES_PER_REQUEST
from vitals.models import (
    ImportRun,
    Indicator,
    Metro,
    NationalFigure,
    Observation,
    Ranking,
    Source,
)
from vitals.services import vitals_import

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "vitals" / "data"
METROS = (
    "cbsa_code,name,pop_2023\n"
    '35620,"New York-Newark-Jersey City, NY-NJ",19498249\n'
    '47900,"Washington-Arlington-Alexandria, DC-VA-MD-WV",6304975\n'
    '32820,"Memphis, TN-MS-AR",1335674\n'
    '10180,"Abilene, TX",181591\n'
)


@pytest.fixture
def agencies(settings):
    with FakeAgencies() as fake:
        settings.CENSUS_API_BASE = f"{fake.url}/census"
        settings.CENSUS_PEP_FILES_BASE = f"{fake.url}/pep"
        settings.BLS_API_BASE = f"{fake.url}/bls"
        settings.BEA_API_BASE = f"{fake.url}/bea"
        settings.CENSUS_API_KEY = "census-test-key"
        settings.BLS_API_KEY = "bls-test-key"
        settings.BEA_API_KEY = "bea-test-key"
        settings.VITALS_FETCH_ATTEMPTS = 3
        settings.VITALS_FETCH_RETRY_SECONDS = 0
        settings.VITALS_FETCH_TIMEOUT_SECONDS = 5
        yield fake


@pytest.fixture
def metros(db):
    report = vitals_import(
        files=[
            ("sources.csv", (DATA / "sources.csv").read_text()),
            ("indicators.csv", (DATA / "indicators.csv").read_text()),
            ("metros.csv", METROS),
        ]
    )
    assert report.ok, report.problems


def fetch(tmp_path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "fetch_vitals", "--year", "2023", "--out", str(tmp_path), *args, stdout=out, stderr=err
    )
    return out.getvalue()


def fetch_fails(tmp_path, *args) -> tuple[str, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(
            "fetch_vitals",
            "--year",
            "2023",
            "--out",
            str(tmp_path),
            *args,
            stdout=io.StringIO(),
            stderr=err,
        )
    return str(failure.value), err.getvalue()


def figure(cbsa: str, indicator: str, source: str) -> Observation:
    return Observation.objects.get(
        metro__cbsa_code=cbsa, indicator__code=indicator, year=2023, source__code=source
    )


def snapshot():
    return (
        sorted(Source.objects.values_list("code", "title", "obtained_via")),
        sorted(Indicator.objects.values_list("code", "definition")),
        sorted(Observation.objects.values_list("metro__cbsa_code", "indicator__code", "value")),
        Ranking.objects.count(),
        ImportRun.objects.count(),
    )


def test_fetch_imports_every_agency_and_the_metro_page_shows_the_figures(
    metros, agencies, tmp_path, client
):
    output = fetch(tmp_path)

    new_york = "35620"
    attainment = figure(new_york, "college_attainment", "acs1-2023")
    assert attainment.value == pytest.approx(0.46)
    assert attainment.margin_of_error == pytest.approx(math.hypot(0.3, 0.2) / 100, abs=1e-6)
    assert attainment.vintage == "ACS 2023 1-year" and attainment.period == "2023"
    talent = figure(new_york, "international_talent", "acs1-2023")
    assert talent.value == pytest.approx((704502 + 611215) / 13723548, abs=1e-6)
    assert 0 < talent.margin_of_error < 0.001
    assert figure(new_york, "median_household_income", "acs1-2023").margin_of_error == 645
    assert figure(new_york, "poverty_rate", "acs1-2023").value == pytest.approx(0.123)
    assert figure(new_york, "transit_use", "acs1-2023").value == pytest.approx(
        2698340 / 9432110, abs=1e-6
    )
    population = figure(new_york, "population", "census-pep-v2023")
    assert (population.value, population.vintage) == (19498249, "Vintage 2023")
    income = figure(new_york, "per_capita_income", "bea-cainc1")
    assert (income.value, income.vintage) == (91448, "BEA release of November 14, 2024")
    laus = figure(new_york, "unemployment_rate_laus", "bls-laus")
    assert laus.value == pytest.approx(0.044)
    # Washington's series is filed under its first state, DC.
    assert figure("47900", "unemployment_rate_laus", "bls-laus").value == pytest.approx(0.029)
    assert Indicator.objects.get(code="unemployment_rate_laus").direction == "lower"
    assert Source.objects.get(code="acs1-2023").publisher == "U.S. Census Bureau"

    # What an agency did not give is named, never imported as a figure.
    skipped = (tmp_path / "skipped.txt").read_text()
    assert (
        "BEA: 10180 Abilene, TX (Metropolitan Statistical Area): per_capita_income skipped (BEA shows '(NA)')"
        in skipped
    )
    assert (
        "BEA: 47900 Washington-Arlington-Alexandria, DC-VA-MD-WV: per_capita_income skipped (not in the BEA answer)"
        in skipped
    )
    assert "No Data Available for Series LAUMT481018000000003" in skipped
    assert "10180 Abilene, TX Metro Area: transit_use skipped" in skipped
    assert "skipped" in output
    assert not Observation.objects.filter(metro__cbsa_code="10180", source__code="bea-cainc1")
    assert not Observation.objects.filter(
        metro__cbsa_code="47900", indicator__code="transit_use", margin_of_error=None
    ).exists()

    # Akron is a metropolitan area the site does not know: written, and skipped by the import.
    rows = list(csv.DictReader((tmp_path / "observations.csv").open()))
    akron = [r for r in rows if r["cbsa_code"] == "10420"]
    assert akron and {r["metro_cbsa_code"] for r in akron} == {""}
    assert not [r for r in rows if r["cbsa_code"] in {"10100", "00998"}]  # micropolitan, US
    assert "whose area has no 2023 metro code" in output

    html = client.get("/vitals/metros/new-york-ny/").content.decode()
    assert "$91,448" in html
    assert "46.0%" in html
    download = csv.DictReader(
        io.StringIO(client.get("/vitals/metros/new-york-ny/data.csv").content.decode())
    )
    (unemployment,) = [r for r in download if r["indicator"] == "unemployment_rate_laus"]
    assert float(unemployment["value"]) == pytest.approx(0.044)
    assert unemployment["source_url"] == "https://www.bls.gov/lau/"


def test_every_agency_gets_its_key_and_the_documented_query(metros, agencies, tmp_path):
    fetch(tmp_path)

    census = [r for r in agencies.requests if r["path"].startswith("/census/")]
    assert len(census) == 4 and all(r["query"]["key"] == ["census-test-key"] for r in census)
    assert census[0]["query"]["for"] == [
        "metropolitan statistical area/micropolitan statistical area:*"
    ]
    assert "S1501_C02_012E" in census[1]["query"]["get"][0]
    assert [r["query"]["for"] for r in census[2:]] == [["us:1"], ["us:1"]]  # the nation
    bea, bea_us = [r for r in agencies.requests if r["path"] == "/bea/data"]
    assert bea["query"]["UserID"] == bea_us["query"]["UserID"] == ["bea-test-key"]
    assert bea["query"]["TableName"] == ["CAINC1"] and bea["query"]["LineCode"] == ["3"]
    assert (bea["query"]["GeoFips"], bea_us["query"]["GeoFips"]) == (["MSA"], ["00000"])
    (bls,) = [r for r in agencies.requests if r["path"] == "/bls/timeseries/data/"]
    assert "LNU04000000" in bls["body"]["seriesid"]  # the national rate
    assert bls["body"]["registrationkey"] == "bls-test-key"
    assert bls["body"]["annualaverage"] is True
    assert bls["body"]["startyear"] == bls["body"]["endyear"] == "2023"


def test_a_refused_census_key_is_named(metros, agencies, tmp_path):
    agencies.then("/census/2023/acs/acs1", 200, recording("census_invalid_key.html"))

    message, _ = fetch_fails(tmp_path)

    assert "refused CENSUS_API_KEY" in message
    assert "census-test-key" not in message
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("setting", "others"),
    [
        ("CENSUS_API_KEY", "pep,laus,bea"),
        ("BLS_API_KEY", "acs,pep,bea"),
        ("BEA_API_KEY", "acs,pep,laus"),
    ],
)
def test_a_missing_key_is_named_before_anything_is_fetched(
    metros, agencies, tmp_path, settings, setting, others
):
    setattr(settings, setting, "")

    message, _ = fetch_fails(tmp_path)

    assert setting in message and "Nothing was fetched" in message
    assert agencies.requests == []
    assert "Imported." in fetch(tmp_path, "--only", others)  # the others work without it


def test_running_twice_changes_nothing_the_second_time(metros, agencies, tmp_path):
    fetch(tmp_path)
    before = snapshot()

    output = fetch(tmp_path)

    assert "Nothing changed" in output
    assert snapshot() == before


def test_a_dry_run_fetches_and_checks_but_saves_nothing(metros, agencies, tmp_path):
    before = snapshot()

    output = fetch(tmp_path, "--dry-run")

    assert "Dry run: nothing was saved." in output
    assert (tmp_path / "observations.csv").exists()
    assert snapshot() == before


def test_bls_series_go_fifty_to_a_request(metros, agencies, tmp_path):
    extra = "".join(f'{10001 + i},"Town {i}, TX",{200000 + i}\n' for i in range(55))
    vitals_import(files=[("metros.csv", "cbsa_code,name,pop_2023\n" + extra)])

    fetch(tmp_path, "--only", "laus")

    posts = [r["body"]["seriesid"] for r in agencies.requests if r["method"] == "POST"]
    # 59 metros and the nation's series.
    assert [len(p) for p in posts] == [SERIES_PER_REQUEST, 60 - SERIES_PER_REQUEST]
    assert len({s for p in posts for s in p}) == 60
    assert "LAUMT481000100000003" in posts[0]
    # The recorded metros come last, in the second request, and are imported.
    assert "LAUMT363562000000003" in posts[1]
    assert figure("35620", "unemployment_rate_laus", "bls-laus").value == pytest.approx(0.044)
    assert (
        "No Data Available for Series LAUMT481005500000003"
        in (tmp_path / "skipped.txt").read_text()
    )


def test_a_census_error_stops_everything(metros, agencies, tmp_path):
    before = snapshot()
    agencies.then("/census/2023/acs/acs1/subject", 400, recording("census_error.txt"))

    message, _ = fetch_fails(tmp_path)

    assert "Census ACS" in message and "HTTP 400" in message
    assert "unknown variable 'S1501_C02_012E'" in message
    assert "census-test-key" not in message
    assert "Nothing was written or imported" in message
    assert not (tmp_path / "observations.csv").exists()
    assert snapshot() == before


def test_bls_request_not_processed_is_reported(metros, agencies, tmp_path):
    agencies.then("/bls/timeseries/data/", 200, recording("bls_not_processed.json"))

    message, _ = fetch_fails(tmp_path)

    assert "BLS LAUS: REQUEST_NOT_PROCESSED: The key provided by the User is invalid." in message
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bea_error.json", "BEA: error 3: The UserID provided in the request is not valid."),
        ("bea_results_error.json", "BEA: error 101: Invalid parameter value: Year 1900"),
    ],
)
def test_bea_error_payloads_are_reported(metros, agencies, tmp_path, name, expected):
    agencies.then("/bea/data", 200, recording(name))

    message, _ = fetch_fails(tmp_path)

    assert expected in message
    assert not Observation.objects.exists()


def test_a_server_error_is_retried_then_succeeds(metros, agencies, tmp_path):
    agencies.then("/bea/data", 500, b"Internal Server Error")
    agencies.then("/bea/data", 503, b"")

    fetch(tmp_path, "--only", "bea")

    assert agencies.paths() == ["/bea/data"] * 4  # three tries, then the national request
    assert figure("32820", "per_capita_income", "bea-cainc1").value == 60083


def test_too_many_requests_waits_as_told_then_succeeds(metros, agencies, tmp_path):
    agencies.then("/bls/timeseries/data/", 429, b"Too Many Requests", {"Retry-After": "0"})

    fetch(tmp_path, "--only", "laus")

    assert agencies.paths() == ["/bls/timeseries/data/"] * 2
    assert figure("32820", "unemployment_rate_laus", "bls-laus").value == pytest.approx(0.041)


def test_retries_are_bounded(metros, agencies, tmp_path):
    for _ in range(5):
        agencies.then("/bls/timeseries/data/", 429, b"", {"Retry-After": "0"})

    message, _ = fetch_fails(tmp_path, "--only", "laus")

    assert "still answered HTTP 429 after 3 attempts" in message
    assert agencies.paths() == ["/bls/timeseries/data/"] * 3
    assert not Observation.objects.exists()


def test_an_error_page_that_echoes_the_key_does_not_show_it(metros, agencies, tmp_path):
    agencies.then("/bea/data", 400, b'{"BEAAPI": {"Request": {"USERID": "bea-test-key"}}}')

    message, _ = fetch_fails(tmp_path)

    assert "HTTP 400" in message and '"USERID": "[key]"' in message
    assert "bea-test-key" not in message


def test_a_malformed_answer_is_reported(metros, agencies, tmp_path):
    agencies.then("/bea/data", 200, b'{"BEAAPI": {"Results": {"Data": [')

    message, _ = fetch_fails(tmp_path)

    assert "BEA" in message and "did not answer JSON" in message


def test_an_answer_of_the_wrong_shape_is_reported(metros, agencies, tmp_path):
    agencies.then("/census/2023/acs/acs1", 200, json.dumps({"rows": []}).encode())
    agencies.then(
        "/pep/2020-2023/metro/totals/cbsa-est2023-alldata.csv", 200, b"<html>Moved</html>"
    )

    assert "did not answer a table" in fetch_fails(tmp_path)[0]
    assert (
        "no column(s) CBSA, NAME, LSAD, POPESTIMATE2023"
        in fetch_fails(tmp_path, "--only", "pep")[0]
    )


def test_an_unreachable_agency_is_reported_after_the_retries(metros, agencies, tmp_path, settings):
    with FakeAgencies() as gone:
        closed = gone.url
    settings.BEA_API_BASE = f"{closed}/bea"

    message, _ = fetch_fails(tmp_path, "--only", "bea")

    assert "BEA: could not reach" in message and "after 3 attempts" in message
    assert "bea-test-key" not in message


def test_the_import_changes_nothing_when_any_fetched_row_is_invalid(metros, agencies, tmp_path):
    fetch(tmp_path)
    before = snapshot()
    subject = json.loads(recording("census_acs1_2023_subject.json"))
    subject[4][subject[0].index("S1701_C03_001E")] = "250.0"  # New York: a 250% poverty rate
    agencies.then("/census/2023/acs/acs1/subject", 200, json.dumps(subject).encode())
    agencies.then("/bea/data", 200, recording("bea_cainc1_2023.json").replace(b"91,448", b"91,500"))

    message, errors = fetch_fails(tmp_path)

    assert "problem(s) found; nothing was imported" in message
    assert "observations.csv, row" in errors and "column value" in errors
    assert "2.5 is not plausible for poverty_rate" in errors
    assert snapshot() == before
    assert figure("35620", "per_capita_income", "bea-cainc1").value == 91448


def test_population_can_come_from_a_later_vintage(metros, agencies, tmp_path):
    call_command(
        "fetch_vitals",
        "--year",
        "2022",
        "--pep-vintage",
        "2023",
        "--only",
        "pep",
        "--out",
        str(tmp_path),
        stdout=io.StringIO(),
    )

    population = Observation.objects.get(metro__cbsa_code="32820", year=2022)
    assert (population.value, population.source.code) == (1335947, "census-pep-v2023")
    with pytest.raises(CommandError, match="Vintage 2021 has no estimate for 2022"):
        call_command(
            "fetch_vitals",
            "--year",
            "2022",
            "--pep-vintage",
            "2021",
            "--only",
            "pep",
            stdout=io.StringIO(),
        )


def test_no_metros_yet_says_what_to_import_first(agencies, tmp_path):
    message, _ = fetch_fails(tmp_path)

    assert "import_vitals vitals/data" in message
    assert not Metro.objects.exists() and agencies.requests == []


def test_an_out_directory_with_other_import_files_is_refused(metros, agencies, tmp_path):
    (tmp_path / "metros_2019.csv").write_text("cbsa_code,name,pop_2019\n")

    message, _ = fetch_fails(tmp_path)

    assert "already holds other import files (metros_2019.csv)" in message
    assert agencies.requests == []


# --- national rows and populations ----------------------------------------------------------


def test_the_nations_rows_are_imported_as_national_figures(metros, agencies, tmp_path):
    fetch(tmp_path)

    def us(indicator: str) -> NationalFigure:
        return NationalFigure.objects.get(indicator__code=indicator, year=2023)

    attainment = us("college_attainment")
    assert attainment.value == pytest.approx(0.361)
    assert attainment.margin_of_error == pytest.approx(math.hypot(0.1, 0.1) / 100, abs=1e-6)
    assert attainment.source.code == "acs1-2023"  # the metros' series: shown beside them
    assert us("poverty_rate").value == pytest.approx(0.125)
    assert us("median_household_income").value == 77719
    assert us("unemployment_rate_laus").value == pytest.approx(0.036)
    assert "LNU04000000" in us("unemployment_rate_laus").note
    assert us("per_capita_income").value == 68531
    assert not Metro.objects.filter(cbsa_code="US").exists()
    assert (
        "US,US,United States,college_attainment,2023" in (tmp_path / "observations.csv").read_text()
    )


@pytest.mark.parametrize(
    ("path", "status", "body", "expected"),
    [
        ("/census/2023/acs/acs1#us", 400, "census_error.txt", "HTTP 400"),
        (
            "/census/2023/acs/acs1/subject#us",
            200,
            "census_acs1_2023_subject.json",
            "left out column(s) us",
        ),
        ("/bea/data#us", 200, "bea_results_error.json", "BEA: error 101"),
    ],
)
def test_a_failed_national_request_stops_everything(
    metros, agencies, tmp_path, path, status, body, expected
):
    before = snapshot()
    agencies.then(path, status, recording(body))

    message, _ = fetch_fails(tmp_path)

    assert expected in message and "Nothing was written or imported" in message
    assert snapshot() == before and not NationalFigure.objects.exists()


def test_metro_populations_follow_the_newest_estimates_through_the_import(agencies, tmp_path):
    older = METROS.replace("pop_2023", "pop_2022").replace("1335674", "1337779")
    report = vitals_import(
        files=[
            ("sources.csv", (DATA / "sources.csv").read_text()),
            ("indicators.csv", (DATA / "indicators.csv").read_text()),
            ("metros.csv", older),
        ]
    )
    assert report.ok, report.problems
    Metro.objects.filter(cbsa_code="32820").update(delineation="OMB 2023")

    fetch(tmp_path, "--only", "pep")

    memphis = Metro.objects.get(cbsa_code="32820")
    assert (memphis.population, memphis.population_year) == (1335674, 2023)
    assert memphis.name == "Memphis, TN-MS-AR" and memphis.delineation == "OMB 2023"
    # An older year's estimates never replace a newer population.
    call_command(
        "fetch_vitals",
        "--year",
        "2022",
        "--only",
        "pep",
        "--pep-vintage",
        "2023",
        stdout=io.StringIO(),
    )
    memphis.refresh_from_db()
    assert (memphis.population, memphis.population_year) == (1335674, 2023)

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.vitals.factories import import_files as import_small
from tests.vitals.factories import observations
from vitals.models import (
    ImportRun,
    Indicator,
    Metro,
    Observation,
    ObservationRevision,
    Ranking,
    Source,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "vitals" / "data"
GOOD = observations(
    "10001,college_attainment,2019,2019,0.40,0.01,acs1",
    "10002,college_attainment,2019,2019,0.30,,acs1",
)


def snapshot():
    return (
        list(Source.objects.values_list("code", "title").order_by("code")),
        list(Indicator.objects.values_list("code", "unit").order_by("code")),
        list(Metro.objects.values_list("cbsa_code", "population").order_by("cbsa_code")),
        sorted(
            Observation.objects.values_list("metro__cbsa_code", "indicator__code", "year", "value")
        ),
        sorted(Ranking.objects.values_list("peer_group_id", "observation_id", "rank")),
        ImportRun.objects.count(),
        ObservationRevision.objects.count(),
    )


def test_good_files_import_metros_indicators_observations_and_rankings():
    report = import_small(observations_csv=GOOD)

    assert report.ok and report.changed
    assert Metro.objects.get(cbsa_code="10001").slug == "alpha-ny"
    assert Metro.objects.get(cbsa_code="10001").states == "NY-NJ"
    assert Metro.objects.get(cbsa_code="10001").region == "Northeast"
    assert Observation.objects.count() == 2
    assert Ranking.objects.filter(peer_group__slug="1m-plus").count() == 2
    assert ImportRun.objects.count() == 1


def test_reimporting_the_same_files_changes_nothing():
    import_small(observations_csv=GOOD)
    before = snapshot()

    report = import_small(observations_csv=GOOD)

    assert report.ok and not report.changed
    assert report.counts["observations"].unchanged == 2
    assert snapshot() == before


def test_a_corrected_value_updates_the_figure_and_records_the_old_one():
    import_small(observations_csv=GOOD)
    corrected = GOOD.replace("0.30,,acs1", "0.35,,acs1")

    report = import_small(observations_csv=corrected)

    assert report.counts["observations"].updated == 1
    observation = Observation.objects.get(metro__cbsa_code="10002")
    assert observation.value == 0.35
    revision = ObservationRevision.objects.get()
    assert (revision.observation, revision.old_value, revision.new_value) == (
        observation,
        0.30,
        0.35,
    )
    assert revision.import_run.updated_count == 1
    assert report.corrections[0].old_value == 0.30
    # The corrected figure now ranks first.
    assert Ranking.objects.get(peer_group__slug="1m-plus", observation=observation).rank == 2
    import_small(observations_csv=corrected.replace("0.35", "0.45"))
    assert Ranking.objects.get(peer_group__slug="1m-plus", observation=observation).rank == 1


def test_dry_run_reports_the_changes_and_saves_nothing():
    before = snapshot()

    report = import_small(observations_csv=GOOD, dry_run=True)

    assert report.counts["observations"].created == 2
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "bad header",
            "metro,indicator,year,period,value,moe,source_id\n10001,college_attainment,2019,2019,0.4,,acs1\n",
            "observations.csv, row 1: header of an observations file: missing column(s) "
            "metro_cbsa_code; unknown column(s) metro. Expected: metro_cbsa_code, indicator, year, "
            "period, value, moe, source_id",
        ),
        (
            "unknown metro",
            observations("99999,college_attainment,2019,2019,0.4,,acs1"),
            "observations.csv, row 2, column metro_cbsa_code: '99999' is not a known metro (CBSA) code",
        ),
        (
            "text in a number",
            observations("10001,college_attainment,2019,2019,forty percent,,acs1"),
            "observations.csv, row 2, column value: 'forty percent' is not a number",
        ),
        (
            "duplicate rows",
            observations(
                "10001,college_attainment,2019,2019,0.4,,acs1",
                "10002,college_attainment,2019,2019,0.3,,acs1",
                "10001,college_attainment,2019,2019,0.41,,acs1",
            ),
            "observations.csv, row 4: repeats the figure for metro 10001, college_attainment, 2019, "
            "acs1 already given in row 2",
        ),
        (
            "a share of 7.3",
            observations("10001,college_attainment,2019,2019,7.3,,acs1"),
            "observations.csv, row 2, column value: 7.3 is not plausible for college_attainment: "
            "a share must lie between 0 and 1",
        ),
        (
            "unknown indicator",
            observations("10001,happiness,2019,2019,0.4,,acs1"),
            "observations.csv, row 2, column indicator: 'happiness' is not a known indicator",
        ),
        (
            "unknown source",
            observations("10001,college_attainment,2019,2019,0.4,,gallup"),
            "observations.csv, row 2, column source_id: 'gallup' is not a known source",
        ),
    ],
)
def test_a_broken_file_reports_its_problem_and_changes_nothing(name, text, expected):
    import_small(observations_csv=GOOD)
    before = snapshot()

    # The good files come along: one broken file stops them all.
    report = import_small(observations_csv=text.replace("0.3,", "0.31,").replace("0.4,", "0.42,"))

    assert not report.ok
    assert expected in [str(problem) for problem in report.problems], report.problems
    assert snapshot() == before


def test_every_problem_is_reported_with_file_row_and_column():
    text = observations(
        "10001,college_attainment,2019,2019,abc,,acs1",
        "10002,college_attainment,20x9,2019,0.3,-1,acs1",
        "88888,college_attainment,2019,2019,0.3,,acs1",
    )

    report = import_small(observations_csv=text)

    assert {(p.file, p.row, p.column) for p in report.problems} == {
        ("observations.csv", 2, "value"),
        ("observations.csv", 3, "year"),
        ("observations.csv", 3, "moe"),
        ("observations.csv", 4, "metro_cbsa_code"),
    }
    assert Metro.objects.count() == 0  # the good metros file was not applied either


def test_rows_without_a_2023_metro_are_skipped_and_counted():
    report = import_small(observations_csv=GOOD + ",college_attainment,2019,2019,0.2,,acs1\n")

    assert report.ok and report.skipped == 1


def test_command_prints_every_problem_and_fails(tmp_path):
    (tmp_path / "observations.csv").write_text(
        observations("10001,college_attainment,2019,2019,7.3,,acs1")
    )
    err = io.StringIO()

    with pytest.raises(CommandError, match="3 problem"):
        call_command("import_vitals", str(tmp_path), stderr=err, stdout=io.StringIO())

    assert (
        "observations.csv, row 2, column metro_cbsa_code: '10001' is not a known metro"
        in err.getvalue()
    )


def test_command_dry_run_then_import_then_reimport_of_the_shipped_data():
    out = io.StringIO()
    call_command("import_vitals", str(DATA), dry_run=True, stdout=out, verbosity=0)
    assert "Dry run" in out.getvalue()
    assert Observation.objects.count() == 0

    call_command("import_vitals", str(DATA), stdout=io.StringIO(), verbosity=0)
    assert Metro.objects.count() == 387
    assert Metro.objects.filter(population__gte=1_000_000).count() == 54
    counts = snapshot()

    out = io.StringIO()
    call_command("import_vitals", str(DATA), stdout=out, verbosity=0)
    assert "Nothing changed" in out.getvalue()
    assert snapshot() == counts


def test_a_single_file_can_be_imported_on_its_own(tmp_path):
    import_small(observations_csv=GOOD)
    path = tmp_path / "more.csv"
    path.write_text(observations("10003,college_attainment,2019,2019,0.2,,acs1"))

    call_command("import_vitals", str(path), stdout=io.StringIO(), verbosity=0)

    assert Observation.objects.count() == 3


def test_import_tells_the_page_cache_every_page_changed(django_capture_on_commit_callbacks):
    from core.signals import public_pages_changed

    calls = []

    def listener(sender, paths=None, **kwargs):
        calls.append(paths)

    public_pages_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            import_small(observations_csv=GOOD)
        with django_capture_on_commit_callbacks(execute=True):
            import_small(observations_csv=GOOD)  # nothing changed: nothing to clear
    finally:
        public_pages_changed.disconnect(listener)

    assert calls == [None]  # None: every page

"""National figures in the Wagtail admin: staff with the permission add and correct them; a
correction keeps the earlier figure with who, when and why, and never reaches a published
edition."""

import csv
import io
import json
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.members.factories import UserFactory
from tests.vitals.factories import import_files, observations
from vitals.editions import edition_create, edition_publish
from vitals.models import EditionSeries, Indicator, NationalFigure, NationalFigureRevision

pytestmark = pytest.mark.django_db
LIST = "/admin/snippets/vitals/nationalfigure/"
ROWS = [
    "10001,college_attainment,2019,2019,0.40,0.01,acs1",
    "10002,college_attainment,2019,2019,0.30,0.01,acs1",
    "10003,college_attainment,2019,2019,0.25,,acs1",
    "10004,college_attainment,2019,2019,0.20,,acs1",
    "US,college_attainment,2019,2019,0.33,0.001,acs1",
]


@pytest.fixture
def national():
    report = import_files(observations_csv=observations(*ROWS))
    assert report.ok, report.problems
    Indicator.objects.filter(code="college_attainment").update(is_headline=True)
    return NationalFigure.objects.get()


def edit_url(figure) -> str:
    return f"{LIST}edit/{figure.pk}/"


@pytest.fixture
def editor(db):
    """Staff in the City Vitals editors group (migration 0003 and 0009 grant it)."""
    user = UserFactory(email="editor@example.org", is_staff=True)
    user.groups.add(Group.objects.get(name="City Vitals editors"))
    return user


@pytest.fixture
def other_staff(db):
    """Staff who may use the admin but not City Vitals' national figures."""
    user = UserFactory(email="other@example.org", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user


def form_data(figure, **changes) -> dict:
    data = {
        "indicator": figure.indicator_id,
        "source": figure.source_id,
        "year": figure.year,
        "period": figure.period,
        "value": figure.value,
        "margin_of_error": figure.margin_of_error,
        "vintage": figure.vintage,
        "note": figure.note,
        "reason": "",
    }
    return {**data, **changes}


def test_anonymous_members_and_other_staff_are_refused(client, member, other_staff, national):
    for url in [LIST, edit_url(national), f"{LIST}add/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for user in [member, other_staff]:
        client.force_login(user)
        for url in [LIST, edit_url(national), f"{LIST}add/"]:
            assert client.get(url).status_code in {302, 403}, (user, url)
        response = client.post(edit_url(national), form_data(national, value=0.5, reason="x"))
        assert response.status_code in {302, 403}
    national.refresh_from_db()
    assert national.value == 0.33 and not NationalFigureRevision.objects.exists()


def test_an_editor_lists_and_opens_national_figures(client, editor, national):
    client.force_login(editor)
    assert client.get(LIST).status_code == 200
    response = client.get(edit_url(national))
    assert response.status_code == 200
    assert b"Why the figure changes" in response.content


def test_a_correction_needs_a_reason_and_keeps_the_earlier_figure(client, editor, national):
    client.force_login(editor)

    response = client.post(edit_url(national), form_data(national, value=0.335))
    assert response.status_code == 200
    assert b"Say why the figure is corrected" in response.content
    response = client.post(edit_url(national), form_data(national, value=1.7, reason="Typo"))
    assert b"must lie between 0 and 1" in response.content
    national.refresh_from_db()
    assert national.value == 0.33

    response = client.post(
        edit_url(national),
        form_data(national, value=0.335, margin_of_error=0.002, reason="Census errata 2021-04"),
    )
    assert response.status_code == 302
    national.refresh_from_db()
    assert (national.value, national.margin_of_error) == (0.335, 0.002)
    revision = national.revisions.get()
    assert (revision.old_value, revision.new_value) == (0.33, 0.335)
    assert (revision.old_margin_of_error, revision.new_margin_of_error) == (0.001, 0.002)
    assert revision.changed_by == editor and revision.changed_by_name == editor.get_username()
    assert revision.reason == "Census errata 2021-04" and revision.changed_at is not None

    # Saving a note alone is no correction: no reason asked, no revision.
    response = client.post(edit_url(national), form_data(national, note="Table S1501"))
    assert response.status_code == 302
    assert national.revisions.count() == 1


def test_a_correction_after_publishing_never_changes_the_edition(client, editor, national):
    edition = edition_publish(edition=edition_create(title="City Vitals 2026", slug="2026"))
    assert EditionSeries.objects.filter(national_value=0.33, national_period="2019").exists()
    client.force_login(editor)
    response = client.post(
        edit_url(national), form_data(national, value=0.36, reason="Census revision")
    )
    assert response.status_code == 302

    frozen = client.get(edition.get_absolute_url()).content.decode()
    assert "US 2019: 33.0%" in frozen and "36.0%" not in frozen
    frozen = client.get(f"{edition.get_absolute_url()}?indicator=college_attainment").content
    assert b"United States (national figure, not ranked)" in frozen and b"33.0%" in frozen
    live = client.get("/vitals/indicators/college-attainment/").content.decode()
    assert "US 2019: 36.0%" in live
    assert national.revisions.get().old_value == 0.33


def test_an_import_that_corrects_a_national_figure_keeps_a_revision(national):
    corrected = [
        r.replace("US,college_attainment,2019,2019,0.33", "US,college_attainment,2019,2019,0.34")
        for r in ROWS
    ]
    report = import_files(observations_csv=observations(*corrected))

    revision = NationalFigure.objects.get().revisions.get()
    assert (revision.old_value, revision.new_value) == (0.33, 0.34)
    assert revision.import_run_id == report.import_run_id
    assert "import" in revision.reason.lower()


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_edition_downloads_carry_the_frozen_national_figure_and_never_change(
    client, editor, national
):
    # Transit use has metro figures but no national one: its national columns stay empty.
    transit = [f"1000{n},transit_use,2019,2019,0.0{n},,acs1" for n in range(1, 5)]
    assert import_files(observations_csv=observations(*ROWS, *transit)).ok
    edition = edition_publish(edition=edition_create(title="City Vitals 2026", slug="2026"))
    csv_url, json_url = (f"{edition.get_absolute_url()}figures.{ext}" for ext in ["csv", "json"])
    csv_before, json_before = download(client, csv_url), download(client, json_url)

    rows = list(csv.DictReader(io.StringIO(csv_before.decode())))
    assert list(rows[0])[-1] == "citation" and rows[0]["citation"].startswith("civicnet, ")
    attainment = [r for r in rows if r["indicator"] == "college_attainment"]
    assert len(attainment) == 4
    assert {
        (r["national_period"], r["national_value"], r["national_margin_of_error"])
        for r in attainment
    } == {("2019", "0.33", "0.001")}
    assert {
        (r["national_period"], r["national_value"], r["national_margin_of_error"])
        for r in rows
        if r["indicator"] == "transit_use"
    } == {("", "", "")}
    body = json.loads(json_before)
    national = {i["code"]: i["national"] for i in body["indicators"]}
    assert national == {
        "college_attainment": {
            "year": 2019,
            "period": "2019",
            "value": 0.33,
            "margin_of_error": 0.001,
        },
        "transit_use": None,
    }
    assert {r["national_period"] for r in body["rows"] if r["indicator"] == "transit_use"} == {""}
    assert body["citation"]["title"] == "City Vitals 2026"

    # The live figure is re-imported with a new value, then corrected by staff.
    corrected = [r.replace(",0.33,0.001,", ",0.34,0.002,") for r in ROWS]
    assert import_files(observations_csv=observations(*corrected, *transit)).ok
    client.force_login(editor)
    national_figure = NationalFigure.objects.get()
    response = client.post(
        edit_url(national_figure),
        form_data(national_figure, value=0.36, reason="Census revision"),
    )
    assert response.status_code == 302
    assert NationalFigure.objects.get().value == 0.36
    assert NationalFigureRevision.objects.count() == 2
    client.logout()

    assert download(client, f"{csv_url}?again=1") == csv_before
    assert download(client, f"{json_url}?again=1") == json_before


def test_an_editor_sees_a_figures_corrections_on_its_edit_page(client, editor, national):
    client.force_login(editor)
    page = client.get(edit_url(national)).content.decode()
    assert "Corrections" in page and "Not corrected since it was added." in page
    assert "Corrections" not in client.get(f"{LIST}add/").content.decode()

    corrected = [r.replace(",0.33,0.001,", ",0.34,0.002,") for r in ROWS]
    report = import_files(observations_csv=observations(*corrected))
    national.refresh_from_db()
    response = client.post(
        edit_url(national),
        form_data(national, value=0.335, margin_of_error="", reason="Census errata 2021-04"),
    )
    assert response.status_code == 302

    with CaptureQueriesContext(connection) as queries:
        page = client.get(edit_url(national)).content.decode()
    history = page[page.index("Corrections of this national figure") :]
    history = history[: history.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", history.split("<tbody>")[1], re.S)
    assert len(rows) == 2
    newest, oldest = (re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)) for row in rows)
    # Newest first: the editor's correction, with who and why.
    assert "0.34 (34.0%) → 0.335 (33.5%)" in newest
    assert "0.002 (±0.2 pts) → none" in newest
    assert f" {editor.get_username()} " in newest and "Census errata 2021-04" in newest
    # Then the import's, naming it and its files.
    assert "0.33 (33.0%) → 0.34 (34.0%)" in oldest
    assert "0.001 (±0.1 pts) → 0.002 (±0.2 pts)" in oldest
    assert f"Import {report.import_run_id} (" in oldest and "observations.csv" in oldest
    assert "Corrected by import" in oldest
    # Editors may inspect import runs: the import links to its record.
    link = f"/admin/snippets/vitals/importrun/inspect/{report.import_run_id}/"
    assert link in oldest or link in history
    # One query for the history, however many corrections.
    for value in [0.336, 0.337, 0.338]:
        national.refresh_from_db()
        client.post(
            edit_url(national), form_data(national, value=value, margin_of_error="", reason="Again")
        )
    with CaptureQueriesContext(connection) as more:
        page = client.get(edit_url(national)).content.decode()
    assert page.count("Again") == 3
    assert len(more) == len(queries)

    # Staff who may correct national figures but not see import runs: named, not linked.
    figures_only = UserFactory(email="figures@example.org", is_staff=True)
    figures_only.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["access_admin", "view_nationalfigure", "change_nationalfigure"]
        )
    )
    client.force_login(figures_only)
    page = client.get(edit_url(national)).content.decode()
    assert f"Import {report.import_run_id} (" in page and link not in page

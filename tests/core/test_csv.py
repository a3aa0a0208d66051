"""Every CSV the site writes goes through core.csv, and no cell can be a spreadsheet formula."""

import ast
import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from core.csv import csv_response, safe_cell
from events import services as event_services
from events.models import Event
from members.models import Membership
from members.services import cluster_join, profile_update
from tests.events.factories import EventFactory
from tests.members.factories import make_cluster, make_member, make_plan
from tests.vitals.factories import import_files, observations
from vitals.editions import edition_create, edition_publish
from vitals.models import Metro, Source

ROOT = Path(settings.BASE_DIR)
FORMULA = re.compile(r"^[=+\-@\t\r\n]")
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
# Every URL that answers with a CSV, and how to fill its parameters. A new CSV route fails
# test_every_csv_route_is_known until it is added here, and so gets the formula check below.
CSV_ROUTES = {
    "members_admin:report_csv": {},
    "events:attendees_csv": {"slug": "risky-meeting"},
    "vitals:rankings_csv": {},
    "vitals:metro_csv": {"slug": "alpha-ny"},
    "vitals:edition_csv": {"slug": "risky"},
    "network_dashboard_csv": {},
}


def _project_modules():
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in (".venv", "tests", "node_modules") or "migrations" in parts:
            continue
        yield path


def test_safe_cell_neutralises_every_formula_prefix_and_keeps_numbers():
    for risky in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", "\n=1"):
        assert safe_cell(risky) == "'" + risky
    assert safe_cell("Cleveland") == "Cleveland"
    assert safe_cell(-3.5) == -3.5
    assert safe_cell(None) == ""
    assert safe_cell(True) == "yes"


def test_csv_response_streams_safe_rows():
    response = csv_response("x.csv", ["name"], [["=cmd|' /C calc'!A0"], ["ok"]])

    text = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(text))) == [["name"], ["'=cmd|' /C calc'!A0"], ["ok"]]
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert "no-store" in response["Cache-Control"]


def test_no_module_but_core_csv_writes_csv():
    """A CSV made with csv.writer (or by hand, as text/csv) elsewhere would skip the escaping."""
    offenders = []
    for path in _project_modules():
        if path == ROOT / "core" / "csv.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "csv"
                and node.attr in ("writer", "DictWriter")
            ) or (
                isinstance(node, ast.ImportFrom)
                and node.module == "csv"
                and {a.name for a in node.names} & {"writer", "DictWriter"}
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if (
                isinstance(node, ast.keyword)
                and node.arg == "content_type"
                and isinstance(node.value, ast.Constant)
                and "csv" in str(node.value.value)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.value.lineno} (text/csv)")
    assert offenders == []


def _csv_route_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _csv_route_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and ".csv" in str(pattern.pattern):
            yield f"{namespace}{pattern.name}"


def test_every_csv_route_is_known():
    assert set(_csv_route_names()) == set(CSV_ROUTES)


@pytest.fixture
def risky_data(db, settings, tmp_path):
    """People, an event and City Vitals figures whose text looks like formulas."""
    settings.MEDIA_ROOT = tmp_path / "media"
    person = make_member(
        email="=cmd@example.org",
        organisation="+SUM(1,2)",
        home_city="@HYPERLINK(evil)",
        title="-2+3",
    )
    person.first_name = "=HYPERLINK"
    person.last_name = "\tname"
    person.save()
    event = EventFactory(slug="risky-meeting", kind=Event.Kind.NATIONAL_MEETING)
    event_services.registration_create(event=event, user=person)
    cluster_join(cluster=make_cluster(), user=person)
    profile_update(user=person, home_city="@HYPERLINK(evil)")
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,0.01,acs1",
            "10002,college_attainment,2019,2019,0.30,,acs1",
        )
    )
    Metro.objects.filter(cbsa_code="10001").update(name="=1+1 Metro")
    Membership.objects.filter(user=person).update(plan=make_plan(name="=Founders"))
    Source.objects.update(title="@SUM(A1)", licence="-1+1")
    edition_publish(edition=edition_create(title="City Vitals =1+1", slug="risky"))
    return person


@pytest.mark.parametrize("name", sorted(CSV_ROUTES))
def test_no_csv_download_has_a_formula_cell(client, staff, risky_data, name):
    from django.urls import reverse

    client.force_login(staff)
    response = client.get(reverse(name, kwargs=CSV_ROUTES[name]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(body.decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert len(rows) > 1
    assert any(cell.startswith("'") for cell in cells)  # the risky data is in this file
    assert [c for c in cells if FORMULA.match(c) and not NUMBER.match(c)] == []

"""The network dashboard's kept admin sidebar: Wagtail's own, for this person, drawn again
whenever what its menu shows may have changed."""

import json
import re
from pathlib import Path

import pytest
import wagtail
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail.admin.templatetags.wagtailadmin_tags import sidebar_props
from wagtail.models import GroupPagePermission, Page
from wagtail.users.models import UserProfile

from civicnet import dashboard_sidebar
from civicnet.dashboard import data_version
from tests.core.test_table_versions import tables_read, tables_watched_by
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

TRIGGER = "civicnet_dashboard_data_changed"
DASHBOARD = "/admin/reports/network/"
OURS = Path(__file__).resolve().parents[2] / "templates/civicnet/admin/admin_page.html"
WAGTAILS = Path(wagtail.__file__).parent / "admin/templates/wagtailadmin/base.html"
OUR_HOME = OURS.parents[2] / "wagtailadmin/home.html"
WAGTAILS_HOME = WAGTAILS.with_name("home.html")


def _furniture(template: str) -> str:
    """The furniture block: the last block of both templates, from its start to the end."""
    return template[template.index("{% block furniture %}") :].strip()


def test_the_dashboards_furniture_is_wagtails_own_but_for_the_kept_sidebar():
    """Fails when a Wagtail upgrade changes its admin page's furniture: copy the block again
    into templates/civicnet/admin/admin_page.html, with {% kept_sidebar_props %} for
    {% sidebar_props %} and {{ block.super }} in its empty inner blocks."""
    wagtails = _furniture(WAGTAILS.read_text())
    ours = _furniture(OURS.read_text())

    assert wagtails.count("{% sidebar_props %}") == 1
    copied = wagtails.replace("{% sidebar_props %}", "{% kept_sidebar_props %}")
    # Its inner blocks are empty there and filled in by the templates in between.
    copied = re.sub(
        r"{% block (\w+) %}{% endblock %}", r"{% block \1 %}{{ block.super }}{% endblock %}", copied
    )
    assert ours == copied


def test_the_admin_home_is_wagtails_own_on_the_page_with_the_kept_sidebar():
    """Fails when a Wagtail upgrade changes its admin home: copy it again into
    templates/wagtailadmin/home.html, under our first two lines."""
    wagtails = WAGTAILS_HOME.read_text().splitlines()
    ours = OUR_HOME.read_text().splitlines()

    assert wagtails[0] == '{% extends "wagtailadmin/generic/base.html" %}'
    assert ours[0] == '{% extends "civicnet/admin/admin_page.html" %}'
    assert ours[2:] == wagtails[1:]


@pytest.fixture
def lead():
    """A network lead: the dashboard through a group, no staff flag, no superuser."""
    person = UserFactory(email="lead@example.org", first_name="Lena")
    person.groups.add(Group.objects.get(name="Network leads"))
    return person


def _sidebar(html: str) -> dict:
    found = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', html
    )
    return json.loads(found.group(1))


def _menu(client) -> str:
    """The sidebar's props on the dashboard, as text (labels, links, the person's name)."""
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return json.dumps(_sidebar(response.content.decode()))


def test_the_dashboard_shows_the_sidebar_wagtail_builds_for_the_person(client, lead):
    client.force_login(lead)
    client.get(DASHBOARD)

    request = RequestFactory().get(DASHBOARD)
    request.user = lead
    assert _sidebar(client.get(DASHBOARD).content.decode()) == _sidebar(
        sidebar_props({"request": request})
    )
    assert _sidebar(client.get(DASHBOARD).content.decode()) == _sidebar(
        client.get("/admin/").content.decode()
    )


def test_the_kept_sidebar_follows_the_persons_permissions_groups_and_name(client, lead, staff):
    client.force_login(lead)
    assert "Import City Vitals" not in _menu(client)

    lead.user_permissions.add(Permission.objects.get(codename="import_vitals"))
    assert "Import City Vitals" in _menu(client)

    group = Group.objects.create(name="Complimentary")
    group.permissions.add(Permission.objects.get(codename="grant_complimentary"))
    assert "Complimentary members" not in _menu(client)
    lead.groups.add(group)
    assert "Complimentary members" in _menu(client)
    group.permissions.clear()
    assert "Complimentary members" not in _menu(client)

    assert '"Pages"' not in _menu(client)
    GroupPagePermission.objects.create(
        group=group, page=Page.get_first_root_node(), permission_type="change"
    )
    assert '"Pages"' in _menu(client)

    lead.first_name = "Magdalena"
    lead.save()
    assert "Magdalena" in _menu(client)

    client.force_login(staff)  # another person: their own sidebar
    assert "Magdalena" not in _menu(client)


def test_a_kept_sidebar_asks_nothing_of_the_pages(client, lead):
    """The explorer's start page (two queries) is in the kept sidebar."""
    client.force_login(lead)
    client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as kept:
        client.get(DASHBOARD)
    tables = {t for q in kept.captured_queries for t in re.findall(r'FROM\s+"(\w+)"', q["sql"])}

    assert not tables & {"wagtailcore_grouppagepermission", "wagtailcore_page"}


def test_the_admin_home_shows_the_kept_sidebar(client, lead, monkeypatch):
    built = []
    monkeypatch.setattr(
        dashboard_sidebar,
        "sidebar_props",
        lambda context: built.append(1) or sidebar_props(context),
    )
    client.force_login(lead)
    first = _sidebar(client.get("/admin/").content.decode())
    again = _sidebar(client.get("/admin/").content.decode())

    assert len(built) == 1
    assert first == again == _sidebar(client.get(DASHBOARD).content.decode())
    assert len(built) == 1


def test_every_table_the_sidebar_reads_moves_the_data_version(lead):
    request = RequestFactory().get(DASHBOARD)
    request.user = type(lead).objects.get(pk=lead.pk)  # nothing remembered on it yet
    with CaptureQueriesContext(connection) as queries:
        sidebar_props({"request": request})
    read = tables_read(queries)
    watched = tables_watched_by(TRIGGER)

    assert {"auth_permission", "wagtailcore_grouppagepermission"} <= read
    assert read <= watched, read - watched


@pytest.mark.parametrize(
    "change",
    [
        lambda lead: lead.wagtail_userprofile.save(),
        lambda lead: Group.objects.create(name="New"),
        lambda lead: lead.groups.clear(),
    ],
)
def test_writes_to_the_menus_tables_move_the_data_version(lead, change):
    UserProfile.get_for_user(lead)
    version = data_version()
    change(lead)
    assert data_version() > version

"""Each staff tool checks its own permission; each group reaches exactly its tools."""

import inspect
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group

from core.staff import STAFF_TOOL_ATTR
from tests.security.staff_world import personas, staff_objects
from tests.security.url_inventory import url_patterns

pytestmark = pytest.mark.django_db

OUR_APPS = ("members", "vitals", "events", "blog", "library", "civicnet", "core")


def tools(world) -> dict[str, tuple[str, str, dict]]:
    """tool name: (method, url, data)"""
    event, challenge, edition = world["event"].slug, world["challenge"].slug, world["edition"].pk
    return {
        "vitals import": ("get", "/admin/vitals-import/", {}),
        "vitals import confirm": ("post", "/admin/vitals-import/confirm/", {"token": "gone"}),
        "vitals import status": ("get", "/admin/vitals-import/unknown-token/", {}),
        "vitals editions": ("get", "/admin/vitals-editions/", {}),
        "members report": ("get", "/admin/members/report/", {}),
        "members report csv": ("get", "/admin/members/report.csv", {}),
        "complimentary": ("get", "/admin/members/complimentary/", {}),
        "join requests": ("get", "/admin/members/join-requests/", {}),
        "feedback report": ("get", "/admin/reports/page-feedback/", {}),
        "downloads report": ("get", "/admin/reports/library-downloads/", {}),
        "network dashboard": ("get", "/admin/reports/network/?days=90", {}),
        "network dashboard csv": ("get", "/admin/reports/network.csv?days=90", {}),
        "network dashboard members": ("get", "/admin/reports/network/members/?kind=new", {}),
        "network dashboard readers": (
            "get",
            f"/admin/reports/network/newsletter/?edition={edition}&show=sent",
            {},
        ),
        "newsletter send page": ("get", f"/admin/newsletter/editions/{edition}/send/", {}),
        "newsletter test send": (
            "post",
            f"/admin/newsletter/editions/{edition}/send/",
            {"action": "test", "email": "me@example.org"},
        ),
        "newsletter progress": ("get", f"/admin/newsletter/editions/{edition}/progress.json", {}),
        "draft edition": ("get", f"/newsletter/editions/{edition}/", {}),
        "attendees": ("get", f"/events/{event}/attendees/", {}),
        "check-in": (
            "post",
            f"/events/{event}/attendees/",
            {"registration": world["registration"].pk, "checked_in": "1"},
        ),
        "attendees csv": ("get", f"/events/{event}/attendees.csv", {}),
        "challenge results": ("get", f"/challenges/{challenge}/results/", {}),
        "entry attachment": ("get", f"/challenges/attachments/{world['attachment'].pk}/", {}),
    }


EVENT_TOOLS = {"attendees", "check-in", "attendees csv", "challenge results", "entry attachment"}
VITALS_TOOLS = {
    "vitals import",
    "vitals import confirm",
    "vitals import status",
    "vitals editions",
}
NEWSLETTER_TOOLS = {
    "newsletter send page",
    "newsletter test send",
    "newsletter progress",
    "draft edition",
}
NETWORK_LEAD_TOOLS = {
    "network dashboard",
    "network dashboard csv",
    "network dashboard members",
    "members report",
    "members report csv",
    "feedback report",
    "downloads report",
}
EXPECTED = {
    "superuser": None,  # every tool
    "bare staff": set(),
    "library editor": set(),
    "vitals editor": VITALS_TOOLS,
    "newsletter sender": NEWSLETTER_TOOLS,
    "event staff": EVENT_TOOLS,
    "network lead": NETWORK_LEAD_TOOLS,
}


# The admin's "permission denied" (to the dashboard), its "no admin access" (to its login,
# which sends on to allauth's) and allauth's sign-in.
DENIED_REDIRECTS = {"/admin/", "/admin/login/", "/accounts/login/"}


def reached(response, url: str) -> bool:
    """Denied is a 403, a 404 where the page also serves others (an entrant's file, a sent
    edition), or the Wagtail admin's "permission denied" redirect to the dashboard. Inside
    the admin a 404 (an unknown import token) means the permission check was passed."""
    if response.status_code == 403:
        return False
    if response.status_code == 404:
        return url.startswith("/admin/")
    if response.status_code == 302:
        return response["Location"].split("?")[0] not in DENIED_REDIRECTS
    return response.status_code == 200


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_group_reaches_exactly_its_staff_tools(client, home_page, who):
    people = personas(home_page)
    world = staff_objects()
    client.force_login(people[who])
    all_tools = tools(world)

    reachable = set()
    for name, (method, url, data) in all_tools.items():
        response = getattr(client, method)(url, data)
        if reached(response, url):
            reachable.add(name)

    expected = set(all_tools) if EXPECTED[who] is None else EXPECTED[who]
    assert reachable == expected


def test_an_editions_readers_need_the_dashboard_and_the_right_to_see_subscribers(client, home_page):
    from django.contrib.auth.models import Permission

    lead = personas(home_page)["network lead"]
    url = f"/admin/reports/network/newsletter/?edition={staff_objects()['edition'].pk}&show=sent"
    client.force_login(lead)
    assert not reached(client.get(url), url)  # the dashboard, but no subscribers

    lead.user_permissions.add(Permission.objects.get(codename="view_subscriber"))
    assert client.get(url).status_code == 200


def test_a_library_editor_cannot_import_city_vitals_or_read_the_reports(client, home_page):
    """Finding 4: these views checked only wagtailadmin.access_admin."""
    client.force_login(personas(home_page)["library editor"])

    for url in (
        "/admin/vitals-import/",
        "/admin/reports/page-feedback/",
        "/admin/reports/library-downloads/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/", url
    response = client.post("/admin/vitals-import/confirm/", {"token": "x"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200  # the library itself stays theirs


def test_event_staff_may_see_attendees_but_check_in_needs_its_own_permission(client, home_page):
    from django.contrib.auth.models import Permission

    world = staff_objects()
    person = personas(home_page)["event staff"]
    person.groups.clear()
    person.user_permissions.add(
        Permission.objects.get(codename="view_attendees"),
    )
    client.force_login(person)
    url = f"/events/{world['event'].slug}/attendees/"

    assert client.get(url).status_code == 200
    assert client.get(f"/events/{world['event'].slug}/attendees.csv").status_code == 403
    response = client.post(url, {"registration": world["registration"].pk, "checked_in": "1"})
    assert response.status_code == 403
    world["registration"].refresh_from_db()
    assert world["registration"].checked_in_at is None


def test_the_data_migrations_created_the_staff_groups_with_their_permissions():
    def codenames(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    assert {"access_admin", "import_vitals", "change_indicator"} <= codenames("City Vitals editors")
    assert {"access_admin", "send_edition", "change_edition"} <= codenames("Newsletter senders")
    assert {
        "access_admin",
        "view_attendees",
        "check_in_attendees",
        "export_attendees",
        "view_challenge_results",
        "view_submission_files",
    } <= codenames("Event staff")
    assert {
        "access_admin",
        "view_network_dashboard",
        "view_members_report",
        "view_feedback_report",
        "view_download_report",
    } <= codenames("Network leads")
    for name in ("City Vitals editors", "Newsletter senders", "Event staff"):
        assert not {
            "view_members_report",
            "view_feedback_report",
            "view_download_report",
            "view_network_dashboard",
        } & (codenames(name))


def test_admin_menu_shows_each_tool_only_to_those_who_hold_its_permission(client, home_page):
    client.force_login(personas(home_page)["vitals editor"])

    html = client.get("/admin/").content.decode()

    assert "Import City Vitals" in html
    for label in (
        "Members report",
        "Complimentary members",
        "Page feedback",
        "Library downloads",
        "Network dashboard",
    ):
        assert label not in html


# --- Every staff view uses core.staff ----------------------------------------------------

# Views that serve staff and others (the entrant's own file, a judge's entry, a sent
# edition): their staff branch must go through core.staff.staff_can().
MIXED_VIEWS = {"events.views.submissions.attachment_download", "newsletter.views.web_version"}
STAFF_CHECK = re.compile(
    r"is_staff|is_superuser|has_perm|permission_required|user_passes_test|access_admin"
)


def _source(callback) -> str:
    view = inspect.unwrap(callback)
    view = getattr(view, "view_class", view)
    try:
        return inspect.getsource(view)
    except (OSError, TypeError):
        return ""


def _name(callback) -> str:
    view = inspect.unwrap(callback)
    qualname = getattr(view, "__qualname__", type(view).__qualname__)  # feeds are instances
    return f"{view.__module__}.{qualname}"


def test_every_staff_view_checks_its_own_permission_through_staff_tool():
    """New staff pages cannot forget: any of our views in the Wagtail admin, or anywhere that
    looks at staff status or permissions, must use @staff_tool (or staff_can when it also
    serves non-staff people)."""
    missing = []
    for path, callback, _ in url_patterns():
        if not callback.__module__.startswith(OUR_APPS):
            continue
        name = _name(callback)
        if getattr(callback, STAFF_TOOL_ATTR, None):
            continue
        if name in MIXED_VIEWS:
            assert "staff_can(" in _source(callback), name
            continue
        if path.startswith("/admin/") or STAFF_CHECK.search(_source(callback)):
            missing.append((path, name))

    assert missing == []


def test_staff_checks_in_app_code_go_through_core_staff():
    """`is_staff` and friends outside core/staff.py would be a staff check that skips the
    tool permission. The directory's "staff see member lists" is the one reviewed exception
    (the middleware gives it the second factor)."""
    allowed = {"members/selectors.py"}
    offenders = []
    root = Path(django_settings.BASE_DIR)
    for app in OUR_APPS:
        for file in (root / app).rglob("*.py"):
            relative = file.relative_to(root).as_posix()
            if "/migrations/" in relative or relative.endswith("demo.py"):
                continue
            if relative in allowed or relative == "core/staff.py":
                continue
            text = file.read_text()
            if re.search(r"\.is_staff|\.is_superuser|permission_required\(|user_passes_test", text):
                offenders.append(relative)

    assert offenders == []


@pytest.mark.parametrize(
    ("who", "opens", "denied"),
    [
        (
            "vitals editor",
            ["wagtailsnippets_vitals_indicator:list", "wagtailsnippets_vitals_importrun:list"],
            ["wagtailsnippets_newsletter_edition:list", "wagtailsnippets_events_event:list"],
        ),
        (
            "newsletter sender",
            ["wagtailsnippets_newsletter_edition:list", "wagtailsnippets_newsletter_edition:add"],
            ["wagtailsnippets_newsletter_subscriber:list", "wagtailsnippets_vitals_metro:list"],
        ),
        (
            "event staff",
            ["wagtailsnippets_events_event:list", "wagtailsnippets_events_judgeassignment:list"],
            ["wagtailsnippets_members_plan:list", "wagtailsnippets_newsletter_edition:list"],
        ),
    ],
)
def test_each_group_edits_its_own_records_in_the_admin_and_no_others(
    client, home_page, who, opens, denied
):
    from django.urls import reverse

    client.force_login(personas(home_page)[who])

    for name in opens:
        assert client.get(reverse(name)).status_code == 200, name
    for name in denied:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == "/admin/", name

"""Staff tools: complimentary memberships with a reason, the members report and its CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Membership, MembershipEvent, Sector
from members.selectors import membership_is_active
from members.services import membership_set, profile_update
from tests.members.factories import UserFactory, make_member, make_plan

pytestmark = pytest.mark.django_db


def test_staff_grant_a_complimentary_membership_with_a_reason(client, staff, registered):
    client.force_login(staff)

    response = client.post(
        "/admin/members/complimentary/",
        {
            "grant-person": registered.email,
            "grant-reason": "Keynote speaker 2027",
            "grant-until": "",
        },
    )

    assert response.status_code == 302
    registered = type(registered).objects.get(pk=registered.pk)
    assert membership_is_active(registered)
    event = registered.membership.history.first()
    assert (event.source, event.actor, event.to_status) == ("staff", staff, "active")
    assert "Keynote speaker 2027" in event.note
    assert "Keynote speaker 2027" in client.get("/admin/members/complimentary/").content.decode()


def test_a_grant_needs_a_reason_and_an_existing_account(client, staff):
    client.force_login(staff)

    response = client.post(
        "/admin/members/complimentary/",
        {"grant-person": "nobody@example.org", "grant-reason": ""},
    )

    assert response.status_code == 200
    errors = response.context["grant_form"].errors
    assert "person" in errors and "reason" in errors
    assert not Membership.objects.exists()


def test_staff_revoke_a_complimentary_membership(client, staff, registered):
    client.force_login(staff)
    client.post(
        "/admin/members/complimentary/",
        {"grant-person": registered.email, "grant-reason": "Partner"},
    )

    client.post(
        "/admin/members/complimentary/",
        {"revoke-person": registered.email, "revoke-reason": "Partnership ended"},
    )

    membership = Membership.objects.get(user=registered)
    assert membership.status == Membership.Status.EXPIRED
    assert not membership_is_active(type(registered).objects.get(pk=registered.pk))
    assert [e.note for e in membership.history.all()][0].endswith("Partnership ended")


def test_revoking_a_paid_membership_is_refused(client, staff, member):
    Membership.objects.filter(user=member).update(is_complimentary=False)
    client.force_login(staff)

    response = client.post(
        "/admin/members/complimentary/",
        {"revoke-person": member.email, "revoke-reason": "Because"},
    )

    assert "no complimentary membership" in str(response.context["revoke_form"].errors)
    assert membership_is_active(member)


def test_non_staff_cannot_use_the_staff_tools(client, member):
    client.force_login(member)

    for path in (
        "/admin/members/complimentary/",
        "/admin/members/report/",
        "/admin/members/report.csv",
    ):
        assert client.get(path).status_code in (302, 403)


def test_members_report_counts_by_state_plan_sector_and_month(client, staff):
    plan = make_plan()
    for n, sector in enumerate([Sector.PUBLIC, Sector.PUBLIC, Sector.ACADEMIC]):
        user = make_member(email=f"m{n}@example.org", sector=sector, home_city="Akron, OH")
        membership_set(user=user, status="active", current_period_end=None, plan=plan)
    make_member(email="gone@example.org", status=Membership.Status.EXPIRED)
    client.force_login(staff)

    report = client.get("/admin/members/report/").context["report"]

    assert report["active_total"] == 3
    assert {"label": "Expired", "total": 1} in report["by_status"]
    assert report["by_plan"] == [{"label": "Individual", "total": 3}]
    assert report["by_sector"][0] == {"label": "Public sector", "total": 2}
    assert report["by_place"] == [{"label": "Akron, OH", "total": 3}]
    this_month = report["by_month"][0]
    assert (this_month["new"], this_month["lapsed"]) == (3, 1)


def test_the_report_lists_recent_changes_with_who_and_why(client, staff, registered):
    from members.services import membership_grant_complimentary

    membership_grant_complimentary(user=registered, actor=staff, reason="Panel chair")
    client.force_login(staff)

    html = client.get("/admin/members/report/").content.decode()

    assert "registered@example.org" in html
    assert "Panel chair" in html
    assert "staff@example.org" in html


@pytest.mark.usefixtures("site_evening")  # the dates are the site's, not UTC's (a day ahead)
def test_members_report_csv_has_a_row_per_member(client, staff, django_assert_max_num_queries):
    for n in range(3):
        make_member(email=f"m{n}@example.org", organisation=f"Org {n}")
    client.force_login(staff)

    with django_assert_max_num_queries(12):
        response = client.get("/admin/members/report.csv")

    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                b"".join(response).decode() if response.streaming else response.content.decode()
            )
        )
    )
    assert sorted(row["email"] for row in rows) == [
        "m0@example.org",
        "m1@example.org",
        "m2@example.org",
    ]
    assert {row["organisation"] for row in rows} == {"Org 0", "Org 1", "Org 2"}
    assert {row["joined"] for row in rows} == {timezone.localdate().isoformat()}


def test_every_membership_change_is_in_the_history():
    user = UserFactory(email="h@example.org")
    membership_set(
        user=user, status="active", current_period_end=timezone.now() + timedelta(days=1)
    )
    membership_set(user=user, status="expired", current_period_end=None)
    profile_update(user=user, sector=Sector.MEDIA)

    statuses = [(e.from_status, e.to_status) for e in MembershipEvent.objects.order_by("pk")]

    assert statuses == [("", "active"), ("active", "expired")]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/snippets/members/plan/",
        "/admin/snippets/members/plan/add/",
        "/admin/snippets/members/cluster/",
        "/admin/snippets/members/cluster/add/",
    ],
)
def test_staff_edit_plans_and_clusters_as_snippets(client, staff, path):
    make_plan()
    client.force_login(staff)

    assert client.get(path).status_code == 200


def test_staff_create_a_cluster_with_a_lead_in_the_admin(client, staff, member):
    from members.models import Cluster

    client.force_login(staff)

    response = client.post(
        "/admin/snippets/members/cluster/add/",
        {
            "name": "Twin Cities",
            "slug": "twin-cities",
            "region": "Minneapolis-St. Paul, MN",
            "description": "Members across the Twin Cities.",
            "lead": member.pk,
        },
    )

    assert response.status_code == 302
    assert Cluster.objects.get(slug="twin-cities").lead == member

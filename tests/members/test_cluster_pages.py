"""A City Cluster's page: its metro and figures, its events, the lead's updates and
invitations, the sector mix; and who may do what there."""

import re

import pytest
from django.core import mail

from events.models import Event
from members.models import ClusterInvitation, ClusterMembership, ClusterUpdate, Sector
from members.services import cluster_join, cluster_update_post
from tests.events.factories import EventFactory
from tests.members.factories import UserFactory, make_cluster, make_member
from tests.vitals.factories import import_files, observations
from vitals.models import Indicator, Metro

pytestmark = pytest.mark.django_db
PERSONAS = ["visitor", "registered", "member", "lead", "staff"]


@pytest.fixture
def eager_tasks():
    from civicnet.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def metro_data(db):
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,,acs1",
            "10002,college_attainment,2019,2019,0.30,,acs1",
            "10001,transit_use,2019,2019,0.01,,acs1",
            "10002,transit_use,2019,2019,0.02,,acs1",
            "10001,poverty_rate,2019,2019,0.15,,acs1",
            "10002,poverty_rate,2019,2019,0.10,,acs1",
        )
    )
    Indicator.objects.filter(code__in=["college_attainment", "transit_use", "poverty_rate"]).update(
        is_headline=True
    )
    return Metro.objects.get(cbsa_code="10002")


@pytest.fixture
def lead(db):
    person = make_member(email="lead@example.org", directory_opt_in=True, sector=Sector.CIVIC)
    person.first_name, person.last_name = "Lee", "Dunn"
    person.save()
    return person


@pytest.fixture
def cluster(lead):
    cluster = make_cluster(lead=lead)
    cluster_join(cluster=cluster, user=lead)
    return cluster


def persona_client(request, client, persona):
    if persona != "visitor":
        client.force_login(request.getfixturevalue(persona))
    return client


def test_the_page_links_the_metro_to_city_vitals_with_three_headline_figures(
    client, cluster, metro_data
):
    cluster.metro = metro_data
    cluster.save()

    html = client.get("/clusters/greater-cleveland/").content.decode()

    assert f'href="/vitals/metros/{metro_data.slug}/"' in html
    figures = re.search(r'<dl class="cluster-figures">(.*?)</dl>', html, re.S).group(1)
    assert figures.count("<dt>") == 3
    assert "College attainment" in figures and "30.0%" in figures


def test_the_page_lists_the_clusters_upcoming_events_only(client, cluster):
    from datetime import timedelta

    from django.utils import timezone

    EventFactory(title="Cleveland walk", cluster=cluster)
    EventFactory(title="Some other webinar")
    EventFactory(
        title="Last year's walk",
        cluster=cluster,
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30, hours=-1),
    )
    EventFactory(title="Unpublished walk", cluster=cluster, is_published=False)

    html = client.get("/clusters/greater-cleveland/").content.decode()

    assert "Upcoming events" in html and "Cleveland walk" in html
    for absent in ("Some other webinar", "Last year&#x27;s walk", "Unpublished walk"):
        assert absent not in html


def test_the_lead_posts_updates_that_members_read(client, cluster, lead, member):
    client.force_login(lead)
    assert (
        'action="/clusters/greater-cleveland/updates/"'
        in client.get("/clusters/greater-cleveland/").content.decode()
    )

    response = client.post("/clusters/greater-cleveland/updates/", {"body": "We meet Tuesday."})

    assert response.status_code == 302
    assert ClusterUpdate.objects.get().author == lead
    client.force_login(member)
    html = client.get("/clusters/greater-cleveland/").content.decode()
    assert "We meet Tuesday." in html
    assert 'action="/clusters/greater-cleveland/updates/"' not in html


def test_updates_are_for_members_not_visitors(client, cluster, lead):
    cluster_update_post(cluster=cluster, author=lead, body="Members-only note.")

    assert "Members-only note." not in client.get("/clusters/greater-cleveland/").content.decode()


def test_an_empty_update_is_a_400_with_the_reason(client, cluster, lead):
    client.force_login(lead)

    response = client.post("/clusters/greater-cleveland/updates/", {"body": "  "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ClusterUpdate.objects.exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("visitor", 403), ("registered", 403), ("member", 403), ("lead", 302), ("staff", 403)],
)
def test_only_the_lead_posts_updates_and_invites(request, client, cluster, persona, expected):
    client = persona_client(request, client, persona)

    posted = client.post("/clusters/greater-cleveland/updates/", {"body": "Hello."})
    invited = client.post("/clusters/greater-cleveland/invite/", {"email": "new@example.org"})

    assert (posted.status_code, invited.status_code) == (expected, expected)
    assert ClusterUpdate.objects.exists() is (expected == 302)
    assert ClusterInvitation.objects.exists() is (expected == 302)


def invitation_link(email) -> str:
    return re.search(
        r"https?://[^/\s]+(/clusters/greater-cleveland/accept/\S+/)", email.body
    ).group(1)


def test_the_lead_invites_by_email_and_a_member_accepts_with_the_signed_link(
    client, cluster, lead, eager_tasks, django_capture_on_commit_callbacks
):
    invitee = make_member(email="invitee@example.org")
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/clusters/greater-cleveland/invite/", {"email": invitee.email})

    assert response.status_code == 302
    (email,) = mail.outbox
    assert email.to == ["invitee@example.org"]
    assert email.subject == "civicnet: Lee Dunn invites you to Greater Cleveland"
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and "Join Greater Cleveland" in html
    link = invitation_link(email)
    client.force_login(invitee)
    assert client.get(link).status_code == 200

    joined = client.post(link)

    assert joined.status_code == 302
    assert ClusterMembership.objects.filter(cluster=cluster, user=invitee).exists()
    assert ClusterInvitation.objects.get().accepted_by == invitee


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("visitor", 403), ("registered", 403), ("member", 200), ("lead", 200), ("staff", 403)],
)
def test_an_invitation_link_is_accepted_by_members_only(
    request, client, cluster, lead, persona, expected
):
    from members.services import cluster_invitation_token, cluster_invite

    invitation = cluster_invite(cluster=cluster, invited_by=lead, email="x@example.org")
    client = persona_client(request, client, persona)

    response = client.get(
        f"/clusters/greater-cleveland/accept/{cluster_invitation_token(invitation)}/"
    )

    assert response.status_code == expected


def test_a_forged_or_foreign_invitation_link_is_a_400(client, cluster, lead, member):
    from members.services import cluster_invitation_token, cluster_invite

    other = make_cluster(name="Akron", slug="akron")
    invitation = cluster_invite(cluster=other, invited_by=lead, email="x@example.org")
    client.force_login(member)

    for token in ("forged", cluster_invitation_token(invitation)):
        response = client.post(f"/clusters/greater-cleveland/accept/{token}/")
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not ClusterMembership.objects.filter(user=member).exists()


def test_a_bad_invitation_address_is_a_400(client, cluster, lead):
    client.force_login(lead)

    response = client.post("/clusters/greater-cleveland/invite/", {"email": "not-an-address"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_the_cluster_page_runs_a_fixed_number_of_queries_with_ten_times_the_people(
    client, cluster, lead, metro_data, django_assert_max_num_queries
):
    cluster.metro = metro_data
    cluster.save()
    EventFactory(title="Cleveland walk", cluster=cluster)

    def add_people(start, count):
        for n in range(start, start + count):
            person = make_member(
                email=f"p{n}@example.org", directory_opt_in=True, sector=Sector.PUBLIC
            )
            cluster_join(cluster=cluster, user=person)
            cluster_update_post(cluster=cluster, author=lead, body=f"Update {n}")

    add_people(0, 3)
    client.force_login(lead)
    with django_assert_max_num_queries(60) as few:
        client.get("/clusters/greater-cleveland/")
    add_people(3, 30)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/clusters/greater-cleveland/")

    assert len(response.context["people"]) == 34
    assert len(response.context["updates"]) == 5
    assert Event.objects.filter(cluster=cluster).count() == 1


def test_a_lead_who_lapsed_no_longer_posts(client, cluster, lead):
    from members.models import Membership
    from members.services import membership_set

    membership_set(user=lead, status=Membership.Status.EXPIRED, current_period_end=None)
    client.force_login(lead)

    assert client.post("/clusters/greater-cleveland/updates/", {"body": "x"}).status_code == 403


def test_a_non_lead_is_told_who_may_post(client, cluster, member):
    UserFactory(email="someone@example.org")
    client.force_login(member)

    response = client.post("/clusters/greater-cleveland/updates/", {"body": "x"})

    assert response.status_code == 403
    assert "Only the lead of Greater Cleveland" in response.content.decode()


def test_a_changed_event_is_not_served_from_the_page_cache_of_its_cluster(client, cluster):
    from core.signals import public_pages_changed
    from events.services import PUBLIC_EVENT_PATHS

    event = EventFactory(title="Cleveland walk", cluster=cluster)
    client.get("/clusters/greater-cleveland/")
    assert client.get("/clusters/greater-cleveland/").get("X-Page-Cache") == "hit"
    Event.objects.filter(pk=event.pk).update(title="Cleveland bike ride")

    public_pages_changed.send(sender=Event, paths=PUBLIC_EVENT_PATHS)  # as an edit does

    assert "Cleveland bike ride" in client.get("/clusters/greater-cleveland/").content.decode()


def test_the_metro_figures_are_kept_until_city_vitals_figures_change(
    client, cluster, lead, metro_data, django_capture_on_commit_callbacks
):
    cluster.metro = metro_data
    cluster.save()
    client.force_login(lead)
    assert "30.0%" in client.get("/clusters/greater-cleveland/").content.decode()

    # A change behind City Vitals' back (no import) is not seen: the figure is cached.
    from vitals.models import Observation

    Observation.objects.filter(metro=metro_data, indicator__code="college_attainment").update(
        value=0.55
    )
    assert "30.0%" in client.get("/clusters/greater-cleveland/").content.decode()

    # An import is what changes figures, and it forgets the cached ones.
    with django_capture_on_commit_callbacks(execute=True):
        import_files(
            observations_csv=observations(
                "10001,college_attainment,2019,2019,0.40,,acs1",
                "10002,college_attainment,2019,2019,0.35,,acs1",
            )
        )
    html = client.get("/clusters/greater-cleveland/").content.decode()
    assert "35.0%" in html and "30.0%" not in html


def test_a_signed_in_view_of_the_cluster_page_does_not_rank_the_metros_again(
    client, cluster, lead, metro_data, django_assert_num_queries
):
    """The figures are computed once; later views cost a fixed, small number of queries,
    none of them on City Vitals' figures."""
    cluster.metro = metro_data
    cluster.save()
    client.force_login(lead)
    client.get("/clusters/greater-cleveland/")

    with django_assert_num_queries(7) as captured:
        response = client.get("/clusters/greater-cleveland/")

    assert response.status_code == 200
    figures = ("vitals_ranking", "vitals_observation", "vitals_indicator", "vitals_peergroup")
    assert not [q for q in captured.captured_queries if any(t in q["sql"] for t in figures)]

"""The National Network directory, profiles and City Clusters."""

import pytest
from django.utils.text import slugify

from members.models import ClusterMembership, Sector
from members.services import cluster_join, profile_update
from tests.members.factories import UserFactory, make_cluster, make_member

pytestmark = pytest.mark.django_db


def make_metro(city: str):
    from vitals.models import Metro

    name, _, state = city.partition(", ")
    metro, _ = Metro.objects.get_or_create(
        slug=slugify(city),
        defaults={
            "cbsa_code": str(10000 + Metro.objects.count()),
            "name": f"{name}, {state} Metro Area",
            "principal_city": name,
            "states": state,
            "region": "Midwest",
            "population": 700_000,
            "population_year": 2024,
        },
    )
    return metro


def listed(email, **profile):
    defaults = {"directory_opt_in": True, "organisation": "Somewhere", "sector": Sector.PUBLIC}
    return make_member(email=email, **{**defaults, **profile})


def test_members_see_only_opted_in_active_members(client, member, lapsed):
    listed("listed@example.org", organisation="Listed Org")
    make_member(email="hidden@example.org", organisation="Hidden Org", directory_opt_in=False)
    profile_update(user=lapsed, directory_opt_in=True, organisation="Lapsed Org")
    client.force_login(member)

    response = client.get("/network/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "Listed Org" in html
    assert "Hidden Org" not in html
    assert "Lapsed Org" not in html


def test_directory_search_and_filters(client, member):
    cleveland = make_metro("Cleveland, OH")
    listed(
        "ana@example.org",
        organisation="Lakefront Transit",
        sector=Sector.PUBLIC,
        home_metro=cleveland,
    )
    listed(
        "bo@example.org", organisation="Bo Ventures", sector=Sector.PRIVATE, home_metro=cleveland
    )
    listed(
        "cy@example.org",
        organisation="Cy Foundation",
        sector=Sector.PHILANTHROPY,
        home_city="Bend, OR",
    )
    client.force_login(member)

    def names(**params):
        return [p.organisation for p in client.get("/network/", params).context["page_obj"]]

    assert names(q="lakefront") == ["Lakefront Transit"]
    assert sorted(names(metro="cleveland-oh")) == ["Bo Ventures", "Lakefront Transit"]
    assert names(metro="cleveland-oh", sector="private") == ["Bo Ventures"]
    assert names(city="Bend, OR") == ["Cy Foundation"]


def test_directory_pages_in_a_fixed_number_of_queries(
    client, member, django_assert_max_num_queries
):
    client.force_login(member)
    for n in range(3):
        listed(f"few{n}@example.org", home_metro=make_metro("Akron, OH"))
    with django_assert_max_num_queries(14) as few:
        client.get("/network/")
    for n in range(30):
        listed(f"many{n}@example.org", home_metro=make_metro("Toledo, OH"))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/network/")

    assert len(response.context["page_obj"]) == 24
    assert response.context["page_obj"].paginator.num_pages == 2


def test_profile_page_shows_a_listed_member_to_members(client, member):
    person = listed("pat@example.org", bio="Runs the Akron heat map.")

    client.force_login(member)
    response = client.get(f"/network/{person.username}/")

    assert response.status_code == 200
    assert "Runs the Akron heat map." in response.content.decode()


def test_profile_of_an_unlisted_member_is_not_found(client, member):
    person = make_member(email="quiet@example.org", directory_opt_in=False)
    client.force_login(member)

    assert client.get(f"/network/{person.username}/").status_code == 404


def test_non_members_get_the_join_page_never_the_data(client, registered):
    person = listed("pat@example.org", organisation="Secret Org")
    client.force_login(registered)

    for path in ("/network/", f"/network/{person.username}/"):
        response = client.get(path)
        assert response.status_code == 403
        assert "private" in response["Cache-Control"]
        assert "Secret Org" not in response.content.decode()
        assert "Become a member" in response.content.decode()


def test_clusters_list_and_page_show_the_sector_mix_to_everyone(client):
    cluster = make_cluster()
    for email, sector in [
        ("a@x.org", Sector.PUBLIC),
        ("b@x.org", Sector.PUBLIC),
        ("c@x.org", Sector.MEDIA),
    ]:
        cluster_join(cluster=cluster, user=listed(email, sector=sector))

    assert "Greater Cleveland" in client.get("/clusters/").content.decode()
    response = client.get("/clusters/greater-cleveland/")

    assert response.context["sector_mix"] == [
        {"label": "Public sector", "total": 2},
        {"label": "Media", "total": 1},
    ]
    assert response.context["people"] is None  # the roster is for members
    assert "Become a member to join" in response.content.decode()


def test_members_see_the_roster_and_the_lead_and_can_join_and_leave(client, member):
    lead = listed("lead@example.org")
    cluster = make_cluster(lead=lead)
    cluster_join(cluster=cluster, user=lead)
    client.force_login(member)

    page = client.get("/clusters/greater-cleveland/")
    assert "private" in page["Cache-Control"]
    assert list(page.context["people"]) == [lead]
    assert "Led by" in page.content.decode()

    client.post("/clusters/greater-cleveland/join/")
    assert ClusterMembership.objects.filter(cluster=cluster, user=member).exists()
    client.post("/clusters/greater-cleveland/leave/")
    assert not ClusterMembership.objects.filter(cluster=cluster, user=member).exists()


def test_non_members_cannot_join_a_cluster(client, registered):
    cluster = make_cluster()
    client.force_login(registered)

    response = client.post("/clusters/greater-cleveland/join/")

    assert response.status_code == 403
    assert not cluster.memberships.exists()


def test_cluster_listing_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for n in range(5):
        make_cluster(name=f"Cluster {n}", slug=f"cluster-{n}", lead=UserFactory())
    with django_assert_max_num_queries(8):
        client.get("/clusters/")


def test_home_page_counters_count_metros_and_cities_of_active_members():
    from members.selectors import cities_represented_count, member_count

    akron = make_metro("Akron, OH")
    listed("a@x.org", home_metro=akron)
    listed("b@x.org", home_metro=akron, home_city="Akron")
    listed("c@x.org", home_city="Bend, OR")
    listed("d@x.org", home_city="bend, or ")

    assert member_count() == 4
    assert cities_represented_count() == 2

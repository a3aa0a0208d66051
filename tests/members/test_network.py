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
    assert [card.username for card in page.context["people"]] == [lead.username]
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


# --- Only active members, and only what each person shows (audit finding 7) ---------------
def seat_holder(email: str, *, admin_email: str = "admin@org.example"):
    """A person covered by a seat on an active organisation membership."""
    from members.models import Membership
    from members.services import membership_set, seat_add
    from tests.members.factories import make_plan

    plan = make_plan(slug="org", kind="organisation", seats=5, stripe_price_id="price_org")
    admin = make_member(email=admin_email)
    membership_set(user=admin, status=Membership.Status.ACTIVE, current_period_end=None, plan=plan)
    seat_add(membership=admin.membership, email=email.lower())
    return UserFactory(email=email)


def test_cluster_roster_shows_only_listed_active_members_and_counts_the_rest(
    client, member, lapsed
):
    cluster = make_cluster()
    shown = listed("shown@example.org", organisation="Shown Org")
    quiet = make_member(email="quiet@example.org", organisation="Quiet Org")
    profile_update(user=lapsed, directory_opt_in=True, organisation="Lapsed Org")
    seat = seat_holder("Seat.Holder@Example.org")
    profile_update(user=seat, directory_opt_in=True, organisation="Seat Org")
    for person in (shown, quiet, lapsed, seat):
        cluster_join(cluster=cluster, user=person)
    client.force_login(member)

    page = client.get("/clusters/greater-cleveland/")

    html = page.content.decode()
    assert sorted(card.username for card in page.context["people"]) == sorted(
        [shown.username, seat.username]
    )
    assert "Shown Org" in html and "Seat Org" in html
    assert "Quiet Org" not in html and "Lapsed Org" not in html
    assert "1 member not listed" in html
    assert "3 members." in html  # the lapsed person is not counted


def test_roster_and_profile_show_only_the_fields_a_person_chose(client, member):
    cluster = make_cluster()
    person = listed(
        "private@example.org",
        organisation="Hidden Employer",
        title="Hidden Title",
        home_city="Hidden City",
        bio="Hidden bio.",
        website_url="https://hidden.example.org/",
        show_organisation=False,
        show_title=False,
        show_city=False,
        show_bio=False,
        show_links=False,
    )
    cluster_join(cluster=cluster, user=person)
    client.force_login(member)

    for path in ("/clusters/greater-cleveland/", f"/network/{person.username}/", "/network/"):
        html = client.get(path).content.decode()
        assert person.get_full_name() in html, path
        for hidden in ("Hidden Employer", "Hidden Title", "Hidden City", "Hidden bio", "hidden."):
            assert hidden not in html, (path, hidden)


def test_directory_search_never_finds_a_person_by_what_they_hide(client, member):
    from members.selectors import directory_profiles

    cleveland = make_metro("Cleveland, OH")
    listed("open@example.org", organisation="Acme Open", home_metro=cleveland)
    listed(
        "closed@example.org",
        organisation="Acme Closed",
        sector=Sector.MEDIA,
        home_metro=make_metro("Akron, OH"),
        show_organisation=False,
        show_sector=False,
        show_city=False,
    )
    client.force_login(member)

    def emails(**params):
        return [p.user.email for p in client.get("/network/", params).context["page_obj"]]

    assert emails(q="acme") == ["open@example.org"]
    assert emails(sector="media") == []
    assert not directory_profiles(metro="akron-oh").exists()
    assert [
        slug for slug, _ in client.get("/network/").context["form"].fields["metro"].choices
    ] == [
        "",
        "cleveland-oh",
    ]


def test_cluster_lead_is_named_only_to_members_and_only_when_listed(client, member, registered):
    listed_lead = listed("listed-lead@example.org")
    listed_lead.first_name, listed_lead.last_name = "Lena", "Listed"
    listed_lead.save()
    quiet_lead = make_member(email="quiet-lead@example.org")
    quiet_lead.first_name, quiet_lead.last_name = "Quinn", "Quiet"
    quiet_lead.save()
    make_cluster(lead=listed_lead)
    make_cluster(name="Akron", slug="akron", lead=quiet_lead)

    for viewer in (None, registered, member):
        if viewer:
            client.force_login(viewer)
        pages = "".join(
            client.get(path).content.decode()
            for path in ("/clusters/", "/clusters/greater-cleveland/", "/clusters/akron/")
        )
        assert "Quinn Quiet" not in pages
        assert ("Lena Listed" in pages) == (viewer == member)


def test_directory_lists_seat_holders_whatever_the_case_of_their_email(client, member):
    seat = seat_holder("Mixed.Case@Example.org")
    profile_update(user=seat, directory_opt_in=True, organisation="Seat Org")
    client.force_login(member)

    assert "Seat Org" in client.get("/network/").content.decode()
    assert client.get(f"/network/{seat.username}/").status_code == 200


def test_home_counters_count_seat_holders_and_never_lapsed_people(lapsed):
    from members.selectors import cities_represented_count, member_count

    seat = seat_holder("seat@example.org")
    profile_update(user=seat, home_city="Bend, OR")
    profile_update(user=lapsed, home_city="Lapsed Town")

    assert member_count() == 2  # the organisation's admin and the seat holder
    assert cities_represented_count() == 1


def test_members_only_newsletters_reach_seat_holders_and_never_lapsed_people(member, lapsed):
    from newsletter.models import Edition
    from newsletter.selectors import audience_subscribers
    from newsletter.services import subscription_set_for_user

    seat = seat_holder("Seat.Reader@Example.org")
    for person in (member, lapsed, seat):
        subscription_set_for_user(user=person, topics=["research"])
    edition = Edition(subject="Members' news", body=[], audience=Edition.Audience.MEMBERS)

    assert sorted(s.email for s in audience_subscribers(edition)) == [
        "member@example.org",
        "seat.reader@example.org",
    ]


def test_cluster_page_runs_a_fixed_number_of_queries_however_long_the_roster(
    client, member, django_assert_max_num_queries
):
    cluster = make_cluster()
    for n in range(3):
        cluster_join(cluster=cluster, user=listed(f"few{n}@example.org"))
    client.force_login(member)
    with django_assert_max_num_queries(20) as few:
        client.get("/clusters/greater-cleveland/")
    for n in range(20):
        cluster_join(cluster=cluster, user=listed(f"many{n}@example.org"))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/clusters/greater-cleveland/")

    assert len(response.context["people"]) == 23


@pytest.mark.parametrize("value", ["", "b-x", "not-listed"])
def test_the_directory_filter_lists_render_as_django_selects_do(value):
    from django import forms
    from django.test.html import parse_html

    from members.forms import PlainSelect

    choices = [("", "All metros"), ("a-x", "A & <Co>"), ("b-x", "B")]
    ours = PlainSelect(choices=choices).render("metro", value, attrs={"id": "id_metro"})
    django = forms.Select(choices=choices).render("metro", value, attrs={"id": "id_metro"})
    assert parse_html(ours) == parse_html(django)
    assert "A &amp; &lt;Co&gt;" in ours

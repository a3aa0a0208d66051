"""Directory privacy field by field: what a person hides is in no page other members see,
and no filter or search finds them by it; they and staff still see everything."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from members.models import DIRECTORY_FIELDS, Profile, Sector
from members.selectors import directory_profiles
from members.services import cluster_join, profile_update
from tests.members.factories import UserFactory, make_cluster, make_member
from tests.members.test_network import make_metro

pytestmark = pytest.mark.django_db


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (60, 60), "teal").save(out, "PNG")
    return SimpleUploadedFile("face.png", out.getvalue(), content_type="image/png")


def private_person(hidden: str):
    """A listed member with a telling value in every field, hiding only `hidden`."""
    person = make_member(
        email="private@example.org",
        directory_opt_in=True,
        organisation="Zephyr Works",
        title="Quasar Officer",
        sector=Sector.PHILANTHROPY,
        home_metro=make_metro("Yreka, CA"),
        bio="Restores xylophone factories.",
        website_url="https://web.linkhidden.example.org/",
        social_url="https://social.linkhidden.example.org/",
        **{f"show_{hidden}": False},
    )
    person.first_name, person.last_name = "Pria", "Vate"
    person.save()
    profile_update(user=person, photo=png())
    return person


def telltales(person, field: str) -> list[str]:
    """What would give `field` away in a page's HTML."""
    profile = Profile.objects.get(user=person)
    return {
        "organisation": ["Zephyr Works"],
        "title": ["Quasar Officer"],
        "city": ["Yreka"],
        "sector": ["Philanthropy"],
        "bio": ["xylophone"],
        "photo": [profile.photo.url],
        "links": ["linkhidden"],
    }[field]


def shown_to_others(html: str, name: str) -> str:
    """The part of a page that shows this person: their directory item or profile article
    (the filter form lists every sector whoever shows one)."""
    for pattern in (r'<li class="directory__item">.*?</li>', r"<article.*?</article>"):
        for block in re.findall(pattern, html, flags=re.S):
            if name in block:
                return block
    raise AssertionError(f"{name} is not on the page")


FIELDS = list(DIRECTORY_FIELDS)


@pytest.mark.parametrize("field", FIELDS)
def test_a_hidden_field_is_on_no_page_other_members_see(client, member, field):
    person = private_person(field)
    cluster = make_cluster()
    cluster_join(cluster=cluster, user=person)
    client.force_login(member)

    for path in ("/network/", f"/network/{person.username}/", "/clusters/greater-cleveland/"):
        html = client.get(path).content.decode()
        block = shown_to_others(html, "Pria Vate")
        for telltale in telltales(person, field):
            assert telltale not in block, (path, field)
        on_cards = {"organisation", "title", "city", "sector", "photo"}  # bio, links: profile
        for other in (set(FIELDS) if "/network/p" in path else on_cards) - {field}:
            for telltale in telltales(person, other):
                assert telltale in block, (path, other)  # only the hidden field goes
        if field != "sector":
            for telltale in telltales(person, field):
                assert telltale not in html, (path, field)


@pytest.mark.parametrize(
    ("field", "params"),
    [
        ("organisation", {"q": "zephyr"}),
        ("title", {"q": "quasar"}),
        ("sector", {"sector": Sector.PHILANTHROPY}),
        ("city", {"metro": "yreka-ca"}),
        ("bio", {"q": "xylophone"}),
        ("links", {"q": "linkhidden"}),
    ],
)
def test_no_filter_or_search_finds_a_person_by_a_field_they_hide(client, member, field, params):
    person = private_person(field)
    client.force_login(member)

    response = client.get("/network/", params)

    query = {"query": params["q"]} if "q" in params else params
    assert not directory_profiles(**query).filter(user=person).exists()
    if response.context["form"].is_valid():
        assert person.pk not in [p.user_id for p in response.context["page_obj"]]
    else:  # a metro nobody shows is not offered, so the filter is refused
        assert list(response.context["form"].errors) == list(params)


@pytest.mark.parametrize(
    ("params"),
    [{"q": "zephyr"}, {"q": "quasar"}, {"sector": Sector.PHILANTHROPY}, {"metro": "yreka-ca"}],
)
def test_filters_find_a_person_by_what_they_show(client, member, params):
    person = private_person("photo")
    client.force_login(member)

    found = client.get("/network/", params).context["page_obj"]

    assert [profile.user_id for profile in found] == [person.pk]


def test_a_hidden_city_is_not_offered_as_a_filter(client, member):
    make_member(
        email="town@example.org", directory_opt_in=True, home_city="Hidden Hollow", show_city=False
    )
    private_person("city")
    client.force_login(member)

    form = client.get("/network/").context["form"]

    assert "city" not in form.fields  # no city shown by anyone, so no city filter
    assert [slug for slug, _ in form.fields["metro"].choices] == [""]
    assert not directory_profiles(city="Hidden Hollow").exists()
    assert not directory_profiles(metro="yreka-ca").exists()


def test_a_hidden_sector_is_left_out_of_the_cluster_sector_mix(client):
    cluster = make_cluster()
    cluster_join(cluster=cluster, user=private_person("sector"))

    assert client.get("/clusters/greater-cleveland/").context["sector_mix"] == []


def test_the_person_sees_their_whole_profile_and_what_others_do_not(client):
    person = private_person("organisation")
    profile_update(user=person, show_bio=False)
    client.force_login(person)

    html = client.get(f"/network/{person.username}/").content.decode()

    assert "Zephyr Works" in html and "xylophone" in html
    assert "Other members do not see: Organisation, Bio." in html


def test_an_unlisted_member_still_sees_their_own_profile(client):
    person = make_member(email="quiet@example.org", organisation="Quiet Org")
    client.force_login(person)

    response = client.get(f"/network/{person.username}/")

    assert response.status_code == 200
    assert "Quiet Org" in response.content.decode()
    assert "other members do not see it" in response.content.decode()


def test_staff_see_every_field_on_the_persons_admin_page(client, staff):
    person = private_person("organisation")
    profile_update(user=person, show_bio=False, show_links=False)
    client.force_login(staff)

    html = client.get(f"/admin/users/edit/{person.pk}/").content.decode()

    assert "Zephyr Works" in html and "xylophone" in html and "linkhidden" in html
    assert "Hidden from other members: Organisation, Bio, Website and social links." in html


def test_the_profile_form_saves_each_choice_as_a_checkbox(client, member):
    client.force_login(member)
    page = client.get("/account/profile/").content.decode()
    for field in FIELDS:
        assert f'type="checkbox" name="show_{field}"' in page

    response = client.post(
        "/account/profile/",
        {
            "first_name": "Maya",
            "last_name": "Member",
            "directory_opt_in": "on",
            "show_title": "on",
            "show_bio": "on",
        },
    )

    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    assert [field for field in FIELDS if profile.shows(field)] == ["title", "bio"]


def test_the_data_export_lists_each_choice(client, member):
    profile_update(user=member, show_city=False)
    client.force_login(member)

    shows = client.get("/account/export.json").json()["profile"]["directory_shows"]

    assert shows == {field: field != "city" for field in FIELDS}


def test_a_new_profile_shows_every_field_once_listed():
    profile = profile_update(user=UserFactory(email="new@example.org"), directory_opt_in=True)

    assert all(profile.shows(field) for field in FIELDS)


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_what_each_person_chose():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("members", "0007_retention_emails")]
    executor = MigrationExecutor(connection)
    # Every app's latest: going back to members 0007 also undoes what depends on members
    # (the civicnet dashboard's and the directory's versions), which later tests need.
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    old = MigrationExecutor(connection).loader.project_state(before).apps
    OldUser = old.get_model("auth", "User")
    OldProfile = old.get_model("members", "Profile")
    choices = {
        "open": {},
        "no-work": {"show_work": False},
        "no-about-place": {"show_about": False, "show_place": False},
    }
    for username, hidden in choices.items():
        OldProfile.objects.create(user=OldUser.objects.create(username=username), **hidden)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)

    def hidden(username):
        profile = Profile.objects.get(user__username=username)
        return [field for field in FIELDS if not profile.shows(field)]

    assert hidden("open") == []
    assert hidden("no-work") == ["organisation", "title", "sector"]
    assert hidden("no-about-place") == ["city", "bio", "links"]

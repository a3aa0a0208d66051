"""The /account/ dashboard, the profile form and the membership page."""

import io
import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from members.models import Membership, Profile, Sector
from members.services import membership_set
from tests.members.factories import make_member, make_plan

pytestmark = pytest.mark.django_db


def image_upload(fmt="PNG", size=(1200, 800), name="me.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 140)).save(out, fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def profile_data(**overrides):
    data = {
        "first_name": "Alex",
        "last_name": "Rivera",
        "title": "Chief resilience officer",
        "organisation": "City of Akron",
        "sector": Sector.PUBLIC,
        "home_city": "Akron, OH",
        "bio": "Floods, heat and the budget.",
        "website_url": "https://akron.example.org",
        "social_url": "",
        "directory_opt_in": "on",
    }
    data.update(overrides)
    return data


def test_dashboard_is_private_and_shows_membership_renewal_date(client, member):
    end = timezone.now() + timedelta(days=40)
    membership_set(
        user=member, status=Membership.Status.ACTIVE, current_period_end=end, plan=make_plan()
    )
    client.force_login(member)

    response = client.get("/account/")

    assert "private" in response["Cache-Control"]
    html = response.content.decode()
    assert "Renews on" in html and f"{timezone.localtime(end):%Y}" in html
    assert "Individual plan" in html


def test_dashboard_of_a_lapsed_member_offers_renewal(client, lapsed):
    client.force_login(lapsed)

    html = client.get("/account/").content.decode()

    assert "Renew your membership" in html


def test_dashboard_of_someone_who_never_joined_invites_them(client, registered):
    client.force_login(registered)

    assert "Become a member" in client.get("/account/").content.decode()


def test_dashboard_needs_a_login(client):
    response = client.get("/account/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_profile_form_saves_the_profile_and_resizes_the_photo(client, registered):
    client.force_login(registered)

    response = client.post(
        "/account/profile/", {**profile_data(), "photo": image_upload()}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/account/"
    profile = Profile.objects.get(user=registered)
    assert (profile.organisation, profile.sector, profile.directory_opt_in) == (
        "City of Akron",
        Sector.PUBLIC,
        True,
    )
    registered.refresh_from_db()
    assert registered.get_full_name() == "Alex Rivera"
    with Image.open(profile.photo.path) as stored:
        assert stored.size == (400, 400)
        assert stored.format == "JPEG"


def test_directory_opt_in_is_off_unless_ticked(client, registered):
    client.force_login(registered)
    data = profile_data()
    del data["directory_opt_in"]

    client.post("/account/profile/", data)

    assert Profile.objects.get(user=registered).directory_opt_in is False


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (image_upload("GIF", name="me.gif"), "not allowed"),
        (SimpleUploadedFile("me.png", b"not an image at all", content_type="image/png"), "image"),
        (image_upload("BMP", name="me.png"), "JPEG, PNG or WebP"),
    ],
)
def test_profile_photo_must_be_a_real_small_image(client, registered, upload, message):
    client.force_login(registered)

    response = client.post("/account/profile/", {**profile_data(), "photo": upload})

    assert response.status_code == 200
    assert message in str(response.context["form"].errors["photo"])
    assert not Profile.objects.get(user=registered).photo


def test_profile_photo_over_the_size_limit_is_refused(client, registered):
    client.force_login(registered)
    out = io.BytesIO()
    Image.frombytes("RGB", (1200, 1000), os.urandom(1200 * 1000 * 3)).save(out, "PNG")
    big = SimpleUploadedFile("big.png", out.getvalue(), content_type="image/png")
    assert big.size > 3 * 1024 * 1024

    response = client.post("/account/profile/", {**profile_data(), "photo": big})

    assert "larger than 3 MB" in str(response.context["form"].errors["photo"])


def test_home_metro_can_be_chosen_from_city_vitals(client, registered):
    from tests.members.test_network import make_metro

    metro = make_metro("Akron, OH")
    client.force_login(registered)

    client.post("/account/profile/", profile_data(home_metro=metro.pk, home_city=""))

    assert Profile.objects.get(user=registered).home_metro == metro


def test_membership_page_says_payments_are_not_configured_without_stripe_keys(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    make_plan()

    html = client.get("/membership/").content.decode()

    assert "Online payments are not configured" in html
    assert "$120 a year" in html
    assert "/membership/checkout/" not in html


def test_membership_page_offers_checkout_when_stripe_is_configured(client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    make_plan()
    make_plan(
        slug="organisation-yearly",
        name="Organisation",
        kind="organisation",
        price_cents=90000,
        seats=10,
        stripe_price_id="price_org_year",
    )

    html = client.get("/membership/").content.decode()

    assert "Online payments are not configured" not in html
    assert 'href="/membership/checkout/individual-yearly/"' in html
    assert "Covers 10 people" in html


def test_checkout_without_stripe_keys_sends_to_the_ask_to_join_form(client, registered, settings):
    settings.STRIPE_SECRET_KEY = ""
    make_plan()
    client.force_login(registered)

    response = client.post("/membership/checkout/individual-yearly/", follow=True)

    # Issue 14: it used to bounce to /membership/ with the same notice twice.
    assert response.redirect_chain[-1][0] == "/membership/join/?plan=individual-yearly"
    assert "not taking payments online yet" in response.content.decode()


def test_organisation_admin_names_colleagues_who_then_count_as_members(client):
    from members.selectors import membership_is_active
    from tests.members.factories import UserFactory

    plan = make_plan(slug="org", kind="organisation", seats=3, stripe_price_id="price_org")
    admin = make_member(email="admin@org.example")
    membership_set(user=admin, status=Membership.Status.ACTIVE, current_period_end=None, plan=plan)
    colleague = UserFactory(email="colleague@org.example")
    client.force_login(admin)

    client.post("/account/seats/", {"email": "Colleague@org.example"})
    client.post("/account/seats/", {"email": "second@org.example"})
    full = client.post("/account/seats/", {"email": "third@org.example"})

    assert membership_is_active(colleague)
    assert "All 3 seats" in full.content.decode()
    membership_set(user=admin, status=Membership.Status.EXPIRED, current_period_end=None)
    assert not membership_is_active(type(colleague).objects.get(pk=colleague.pk))

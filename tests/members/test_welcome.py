"""After confirming the address: signed in, on a welcome step offered once; the person's name
everywhere, never a username made from their address."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from members.models import DIRECTORY_FIELDS, Profile, Sector
from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
EMAIL = "newcomer.welcome@example.org"


def sign_up_and_confirm(client):
    """allauth's real flow: sign up, read the email, open and post the confirmation link."""
    client.post("/accounts/signup/", {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD})
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", message.body).group(1)
    assert client.get(link).status_code == 200
    return client.post(link)


def test_confirming_the_address_signs_in_and_lands_on_the_welcome_step(client):
    from vitals.models import Metro

    metro = Metro.objects.create(
        slug="akron-oh",
        cbsa_code="10420",
        name="Akron, OH Metro Area",
        principal_city="Akron",
        states="OH",
        region="Midwest",
        population=700_000,
        population_year=2024,
    )

    confirmed = sign_up_and_confirm(client)

    assert confirmed.status_code == 302 and confirmed["Location"] == "/account/welcome/"
    page = client.get("/account/welcome/")
    html = page.content.decode()
    assert page.status_code == 200 and "Welcome to civicnet" in html
    for field in DIRECTORY_FIELDS:
        assert f'name="show_{field}"' in html
    saved = client.post(
        "/account/welcome/",
        {
            "first_name": "Ana",
            "last_name": "Okafor",
            "sector": Sector.CIVIC,
            "home_metro": metro.pk,
            "directory_opt_in": "on",
            "show_title": "on",
            "show_city": "on",
        },
    )

    assert saved.status_code == 302 and saved["Location"] == "/account/"
    user = get_user_model().objects.get(email=EMAIL)
    profile = Profile.objects.get(user=user)
    assert (user.get_full_name(), profile.sector, profile.home_metro) == (
        "Ana Okafor",
        Sector.CIVIC,
        metro,
    )
    assert profile.directory_opt_in and profile.welcomed_at is not None
    assert [field for field in DIRECTORY_FIELDS if profile.shows(field)] == ["title", "city"]
    account = client.get("/account/").content.decode()
    assert "Welcome to civicnet, Ana." in account and "Ana Okafor" in account
    # Shown once.
    assert client.get("/account/welcome/")["Location"] == "/account/"


def test_the_welcome_step_can_be_skipped_and_is_not_offered_again(client):
    sign_up_and_confirm(client)

    skipped = client.post("/account/welcome/", {"skip": "1"})

    assert skipped.status_code == 302 and skipped["Location"] == "/account/"
    assert client.get("/account/welcome/")["Location"] == "/account/"
    assert Profile.objects.get(user__email=EMAIL).directory_opt_in is False


def test_a_welcome_without_a_name_is_a_400_with_the_reason(client):
    sign_up_and_confirm(client)

    response = client.post("/account/welcome/", {"first_name": "", "last_name": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Profile.objects.get(user__email=EMAIL).welcomed_at is None


def test_the_generated_username_says_nothing_of_the_address_and_is_never_shown(client):
    sign_up_and_confirm(client)
    client.post("/account/welcome/", {"first_name": "Ana", "last_name": "Okafor"})
    user = get_user_model().objects.get(email=EMAIL)

    assert user.username.startswith("member-") and "newcomer" not in user.username
    for path in ("/account/", "/account/profile/", f"/network/{user.username}/", "/"):
        html = client.get(path, follow=True).content.decode()
        visible = re.sub(r'(href|action)="[^"]*"', "", html)  # links may carry it
        assert user.username not in visible, path


def test_signing_in_greets_the_person_by_name(client):
    UserFactory(email="named@example.org", first_name="Ana", last_name="Okafor")

    response = client.post(
        "/accounts/login/", {"login": "named@example.org", "password": PASSWORD}, follow=True
    )

    assert "You are logged in as Ana Okafor." in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("visitor", 302), ("registered", 200), ("member", 200), ("lapsed", 200), ("staff", 200)],
)
def test_the_welcome_step_is_for_signed_in_people(request, client, persona, expected):
    if persona != "visitor":
        client.force_login(request.getfixturevalue(persona))

    response = client.get("/account/welcome/")

    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/accounts/login/")

"""Sign in with a code emailed to the address (allauth's login by code), in the site's words."""

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail

from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

REQUEST = "/accounts/login/code/"
CONFIRM = "/accounts/login/code/confirm/"
LOGIN_PAGES = ("/accounts/login/", "/admin/login/", "/django-admin/login/")
CODE = r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$"


def request_code(client, email: str):
    return client.post(REQUEST, {"email": email})


def code_from(message) -> str:
    return re.search(CODE, message.body, re.MULTILINE).group(1)


def test_the_login_page_offers_a_code_and_the_words_match_the_header(client):
    page = client.get("/accounts/login/").content.decode()

    assert REQUEST in page
    assert "Log in" in page and "Keep me logged in on this device" in page
    for framework_words in ("Sign In", "Sign Up", "Remember Me"):
        assert framework_words not in page
    signup = client.get("/accounts/signup/").content.decode()
    assert "Create your account" in signup and "Sign Up" not in signup


def test_a_member_asks_for_a_code_reads_it_from_the_email_and_is_signed_in(client, member):
    member.first_name = "Ana"
    member.save()

    response = request_code(client, member.email)

    assert response.status_code == 302 and response["Location"] == CONFIRM
    (message,) = mail.outbox
    assert message.to == [member.email]
    assert message.subject == "civicnet: Your sign-in code"
    assert "Hello Ana," in message.body and "The civicnet team" in message.body
    assert member.username not in message.body
    html = message.alternatives[0][0]
    assert "civicnet" in html and code_from(message) in html  # the site's email layout
    assert "_auth_user_id" not in client.session

    response = client.post(CONFIRM, {"code": code_from(message)})

    assert response.status_code == 302 and response["Location"] == "/account/"
    assert client.session["_auth_user_id"] == str(member.pk)
    assert client.get("/account/").status_code == 200


def test_an_unknown_address_is_not_told_apart_and_gets_no_code(client):
    response = request_code(client, "nobody@example.org")

    assert response.status_code == 302 and response["Location"] == CONFIRM
    (message,) = mail.outbox  # allauth's "no account here" note, never a code
    assert not re.search(CODE, message.body, re.MULTILINE)
    assert "_auth_user_id" not in client.session


def test_wrong_codes_are_limited_and_the_right_one_no_longer_works_after(client, member):
    request_code(client, member.email)
    right = code_from(mail.outbox[0])

    for _ in range(3):
        response = client.post(CONFIRM, {"code": "AAAA-AAAA"})
    assert "_auth_user_id" not in client.session

    response = client.post(CONFIRM, {"code": right})

    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)


def test_asking_for_codes_is_rate_limited_per_address(client, member):
    for _ in range(3):
        assert request_code(client, member.email).status_code == 302
        client.cookies.clear()  # a fresh attempt each time, as a script would
    assert len(mail.outbox) == 3

    response = request_code(client, member.email)

    assert response.status_code == 200  # the form again, with the reason
    assert b"Too many failed login attempts" in response.content
    assert len(mail.outbox) == 3


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_staff_signed_in_by_code_still_need_their_second_factor(client, settings, home_page):
    settings.STAFF_REQUIRE_2FA = True
    staff = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    request_code(client, staff.email)
    response = client.post(CONFIRM, {"code": code_from(mail.outbox[0])})

    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session  # the code alone signs nobody in
    for url in ("/admin/", "/account/", "/django-admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(LOGIN_PAGES), url

    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/admin/").status_code == 200


def test_staff_without_an_authenticator_who_signed_in_by_code_reach_only_account_pages(
    client, settings, home_page
):
    settings.STAFF_REQUIRE_2FA = True
    staff = UserFactory(email="bare@example.org", is_staff=True)

    request_code(client, staff.email)
    client.post(CONFIRM, {"code": code_from(mail.outbox[0])})

    assert client.session["_auth_user_id"] == str(staff.pk)
    for url in ("/admin/", "/account/", "/network/", "/django-admin/", "/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/accounts/2fa/totp/activate/", url

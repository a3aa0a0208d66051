"""Every email allauth sends and every page of it the site shows, in the site's words: sent
through allauth's own flows (its adapter for the two-factor notices), each read from the
outbox: the site's name, a plain-text and an HTML part in the site's layout, and no host,
framework greeting or username."""

import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.core.context import request_context
from django.core import mail
from django.test import RequestFactory

from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = PASSWORD + "-new"
FRAMEWORK_WORDS = (
    "example.com",
    "127.0.0.1",
    "Hello from",
    "Thank you for using",
    "Sign In",
    "Sign Up",
    "Remember Me",
    "username",
    "{%",
    "{{",
)
PAGE_WORDS = ("example.com", "127.0.0.1", "Sign In", "Sign Up", "Remember Me", "for user")


@pytest.fixture(autouse=True)
def public_address(settings):
    settings.SITE_URL = "https://civicnet.example"


def link_in(message, path: str) -> str:
    return re.search(rf"https?://[^/\s]+({re.escape(path)}\S*)", message.body).group(1)


def sent_through_allauth(client) -> dict[str, object]:
    """Run every flow that sends an allauth email; the messages by template."""
    sent = {}
    seen = [0]
    # Notices name the address a change came from: not the loopback, so a leaked host shows.
    client.defaults["REMOTE_ADDR"] = "203.0.113.9"

    def take(name, to):
        assert len(mail.outbox) == seen[0] + 1, name  # one new message
        seen[0] = len(mail.outbox)
        message = mail.outbox[-1]
        assert message.to == [to], name
        sent[name] = message

    client.post(
        "/accounts/signup/",
        {"email": "newcomer@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    take("email_confirmation_signup", "newcomer@example.org")
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    take("unknown_account", "nobody@example.org")

    person = UserFactory(email="ana.okafor@example.org", first_name="Ana", last_name="Okafor")
    client.post(
        "/accounts/signup/",
        {"email": person.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    take("account_already_exists", person.email)
    client.post("/accounts/login/code/", {"email": person.email})
    take("login_code", person.email)
    client.get("/accounts/logout/")  # leave the pending code login
    client.post("/accounts/password/reset/", {"email": person.email})
    take("password_reset_key", person.email)
    reset = client.get(link_in(mail.outbox[-1], "/accounts/password/reset/key/"), follow=True)
    client.post(reset.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    take("password_reset", person.email)

    person.refresh_from_db()  # its new password
    client.force_login(person)
    client.post(
        "/accounts/password/change/",
        {"oldpassword": NEW_PASSWORD, "password1": PASSWORD, "password2": PASSWORD},
    )
    take("password_changed", person.email)
    client.post("/accounts/email/", {"action_add": "", "email": "ana@elsewhere.org"})
    take("email_confirmation", "ana@elsewhere.org")
    client.post(link_in(mail.outbox[-1], "/accounts/confirm-email/"))
    take("email_changed", person.email)

    no_password = UserFactory(email="invited@example.org", first_name="Ira")
    no_password.set_unusable_password()
    no_password.save()
    client.force_login(no_password)
    client.post("/accounts/password/set/", {"password1": PASSWORD, "password2": PASSWORD})
    take("password_set", no_password.email)

    request = RequestFactory().get(
        "/accounts/2fa/", HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.9"
    )
    with request_context(request):
        for notice in ("totp_activated", "totp_deactivated", "recovery_codes_generated"):
            get_adapter().send_notification_mail(f"mfa/email/{notice}", person)
            take(notice, "ana@elsewhere.org")
    return sent


def test_every_allauth_email_is_in_the_sites_words_and_layout(client):
    sent = sent_through_allauth(client)

    assert len(sent) == 13
    for name, message in sent.items():
        html = message.alternatives[0][0]
        assert message.subject.startswith("civicnet: "), name
        assert "The civicnet team" in message.body, name
        assert "Contact us" in html and 'href="https://civicnet.example/"' in html, name
        for username in ("newcomer", "ana.okafor", "invited"):
            assert f"user {username}" not in message.body, name
        for text in (message.subject, message.body, html):
            for words in FRAMEWORK_WORDS:
                assert words not in text, (name, words)
    assert "Hello Ana," in sent["password_changed"].body
    assert "Your email address changed from ana.okafor@example.org" in sent["email_changed"].body
    login_link = sent["account_already_exists"].body
    assert "https://civicnet.example/accounts/login/" in login_link


def test_the_allauth_pages_people_reach_are_in_the_sites_words(client):
    person = UserFactory(email="ana.okafor@example.org")
    pages = [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/accounts/login/code/",
        "/accounts/confirm-email/",
        "/accounts/confirm-email/not-a-key/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        for words in PAGE_WORDS:
            assert words not in text, (path, words)
    client.post("/accounts/login/code/", {"email": person.email})
    confirm = client.get("/accounts/login/code/confirm/").content.decode()
    for words in PAGE_WORDS:
        assert words not in confirm, words
    confirm = client.get("/accounts/login/code/confirm/").content.decode()
    assert "We have emailed a code to ana.okafor@example.org" in confirm

    client.get("/accounts/logout/")
    client.force_login(person)
    for path in ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"):
        text = client.get(path).content.decode()
        for words in PAGE_WORDS:
            assert words not in text, (path, words)
        assert person.username not in text.replace(person.email, ""), path


def test_the_messages_allauth_shows_use_the_headers_words_and_say_things_once(client, home_page):
    UserFactory(email="named@example.org", first_name="Ana", last_name="Okafor")

    logged_in = client.post(
        "/accounts/login/", {"login": "named@example.org", "password": PASSWORD}, follow=True
    ).content.decode()
    logged_out = client.post("/accounts/logout/", follow=True).content.decode()
    client.post("/accounts/login/code/", {"email": "named@example.org"})
    code_page = client.get("/accounts/login/code/confirm/").content.decode()

    assert "You are logged in as Ana Okafor." in logged_in
    assert "You are logged out." in logged_out
    assert code_page.count("named@example.org") == 1  # the page says where the code went

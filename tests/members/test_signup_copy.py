"""Sign-up in the site's own words, and the confirmation link signs the person in."""

import re

import pytest
from django.core import mail

from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_confirmation_email_is_ours_and_the_link_signs_the_person_in(client):
    client.post(
        "/accounts/signup/",
        {"email": "newcomer.audit@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    (message,) = mail.outbox
    body = message.body
    assert message.subject.startswith("civicnet: ")
    for framework_words in ("Hello from", "Thank you for using", "testserver!", "user "):
        assert framework_words not in body
    assert "newcomer.audit" not in body.split("http", 1)[0]  # no generated username
    assert "Welcome to civicnet" in body and "The civicnet team" in body
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", body).group(1)

    response = client.post(link)

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_password_reset_email_names_no_username(client, registered):
    client.post("/accounts/password/reset/", {"email": registered.email})

    (message,) = mail.outbox
    assert "Hello Alex," in message.body
    assert "username" not in message.body and registered.username not in message.body
    assert "/accounts/password/reset/key/" in message.body


def test_the_account_page_shows_the_persons_name_never_the_generated_username(client):
    member = UserFactory(email="newcomer.audit@example.org", first_name="", last_name="")
    client.force_login(member)

    page = client.get("/account/").content.decode()

    assert member.username not in page.replace(member.email, "")
    assert "A civicnet member" in page and "add your name" in page

    member.first_name, member.last_name = "Ana", "Okafor"
    member.save()
    page = client.get("/account/").content.decode()

    assert "Ana Okafor" in page and "add your name" not in page

"""Contact, privacy and terms: editable pages made by the content loaders, linked from the
footer; the contact form keeps the message, emails staff and is limited per client."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from civicnet import demo
from civicnet.contact import CONTACT_MESSAGES_PER_HOUR, ContactMessage, contact_message_send
from civicnet.models import ContactPage, StandardPage
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(home_page):
    demo.load(io.StringIO())


@pytest.fixture
def eager_tasks():
    from civicnet.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def reader(db):
    user = UserFactory(email="office@civicnet.example")
    user.user_permissions.add(Permission.objects.get(codename="view_contactmessage"))
    return user


def send(client, **fields):
    data = {"name": "Ines Park", "email": "ines@example.org", "topic": "press"}
    data["message"] = "Could we interview your research lead about City Vitals?"
    data.update(fields)
    return client.post("/contact/", data)


def test_contact_privacy_and_terms_are_editable_pages_linked_from_the_footer(client, pages):
    demo.load(io.StringIO())  # a second run adds nothing

    assert ContactPage.objects.count() == 1
    assert set(StandardPage.objects.values_list("slug", flat=True)) >= {"privacy", "terms"}
    for path, words in [
        ("/privacy/", "We do not sell or rent personal data"),
        ("/terms/", "renew automatically"),
        ("/contact/", "Send message"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert words in html, path
        footer = html.split('class="site-footer"', 1)[1]
        for link in ('href="/contact/"', 'href="/privacy/"', 'href="/terms/"'):
            assert link in footer


def test_a_message_is_kept_emailed_to_staff_with_reply_to_and_thanked(
    client, pages, reader, eager_tasks, django_capture_on_commit_callbacks
):
    UserFactory(email="not-a-reader@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client)

    assert response.status_code == 302
    assert response["Location"] == "/contact/?sent=1"
    message = ContactMessage.objects.get()
    assert (message.name, message.topic, message.emailed_at is not None) == (
        "Ines Park",
        "press",
        True,
    )
    (email,) = mail.outbox
    assert email.to == ["office@civicnet.example"]
    assert email.reply_to == ["ines@example.org"]
    assert email.subject == "civicnet contact: Press and partnerships from Ines Park"
    assert "interview your research lead" in email.body
    assert "interview your research lead" in email.alternatives[0][0]
    assert "Your message is with our team" in client.get("/contact/?sent=1").content.decode()


def test_the_staff_email_goes_once_however_often_the_task_runs(client, pages, reader):
    send(client)
    message = ContactMessage.objects.get()

    assert contact_message_send(contact_message_id=message.pk) is True
    assert contact_message_send(contact_message_id=message.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"email": "nope"}, "Enter a valid email address."),
        ({"message": ""}, "This field is required."),
        ({"topic": "lottery"}, "Select a valid choice."),
        ({"message": "x" * 5001}, "at most 5000 characters"),
        ({"website": "spam"}, "it is there to stop robots"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client, pages, fields, error):
    response = send(client, **fields)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not ContactMessage.objects.exists()


def test_the_contact_form_is_limited_per_client(client, pages):
    for _ in range(CONTACT_MESSAGES_PER_HOUR):
        assert send(client).status_code == 302

    refused = send(client)
    elsewhere = client.post(
        "/contact/",
        {"name": "B", "email": "b@example.org", "topic": "other", "message": "Hello"},
        REMOTE_ADDR="198.51.100.7",
    )

    assert refused.status_code == 429
    assert "Too many messages" in refused.content.decode()
    assert elsewhere.status_code == 302
    assert ContactMessage.objects.count() == CONTACT_MESSAGES_PER_HOUR + 1


def test_a_signed_in_person_finds_the_form_filled_and_the_page_is_private(
    client, pages, registered
):
    client.force_login(registered)

    response = client.get("/contact/")

    assert 'value="registered@example.org"' in response.content.decode()
    assert "private" in response["Cache-Control"]

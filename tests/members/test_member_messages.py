"""Members write to each other from a directory profile: by email, Reply-To the sender, the
recipient's address never shown; members can turn it off; limited, logged and reportable."""

import re

import pytest
from django.core import mail

from members import messaging
from members.models import MemberMessage, MessageReport
from members.services import profile_update
from tests.members.factories import make_member

pytestmark = pytest.mark.django_db

RECIPIENT_EMAIL = "Recipient.Hidden@Example.org"


@pytest.fixture
def eager_tasks():
    from civicnet.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def recipient(db):
    person = make_member(email=RECIPIENT_EMAIL, directory_opt_in=True, organisation="Pier Trust")
    person.first_name, person.last_name = "Rae", "Cipient"
    person.save()
    return person


def write(client, person, **fields):
    data = {"subject": "Heat maps", "body": "Could we compare notes on heat maps?", **fields}
    return client.post(f"/network/{person.username}/message/", data)


def test_a_member_writes_to_another_by_email_with_their_address_as_reply_to(
    client, member, recipient, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(member)
    page = client.get(f"/network/{recipient.username}/").content.decode()
    assert "Write to Rae Cipient" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = write(client, recipient)

    assert response.status_code == 302
    (email,) = mail.outbox
    assert email.to == [RECIPIENT_EMAIL]
    assert email.reply_to == [member.email]
    assert email.subject == "civicnet: Alex Rivera wrote to you: Heat maps"
    assert "Could we compare notes on heat maps?" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and "Report it to our team" in html and "civicnet" in html
    logged = MemberMessage.objects.get()
    assert (logged.sender, logged.recipient, logged.emailed_at is not None) == (
        member,
        recipient,
        True,
    )
    followed = client.get(response["Location"]).content.decode()
    assert "Your message is on its way to Rae Cipient." in followed
    for html in (page, followed):
        assert RECIPIENT_EMAIL.lower() not in html.lower()


def test_the_email_goes_once_however_often_the_task_runs(client, member, recipient):
    client.force_login(member)
    write(client, recipient)  # the task is queued on commit: run it by hand, twice
    message = MemberMessage.objects.get()

    assert messaging.member_message_deliver(message_id=message.pk) is True
    assert messaging.member_message_deliver(message_id=message.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"body": ""}, "This field is required."),
        ({"subject": ""}, "This field is required."),
        ({"body": "x" * 3001}, "at most 3000 characters"),
    ],
)
def test_bad_input_is_a_400_with_the_reason_and_sends_nothing(
    client, member, recipient, fields, error
):
    client.force_login(member)

    response = write(client, recipient, **fields)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not MemberMessage.objects.exists() and not mail.outbox


def test_a_member_who_turned_messages_off_gets_none_and_no_form_is_shown(client, member, recipient):
    profile_update(user=recipient, accepts_messages=False)
    client.force_login(member)

    assert "Write to" not in client.get(f"/network/{recipient.username}/").content.decode()
    response = write(client, recipient)

    assert response.status_code == 403
    assert "does not take messages" in response.content.decode()
    assert not MemberMessage.objects.exists()


def test_the_profile_form_turns_messages_off(client, recipient):
    client.force_login(recipient)
    data = {"first_name": "Rae", "last_name": "Cipient", "directory_opt_in": "on"}

    client.post("/account/profile/", data)

    recipient.profile.refresh_from_db()
    assert recipient.profile.accepts_messages is False


def test_nobody_writes_to_themselves_or_to_an_unlisted_member(client, member, recipient):
    quiet = make_member(email="quiet@example.org")
    client.force_login(recipient)

    assert write(client, recipient).status_code == 403
    assert write(client, quiet).status_code == 404
    assert not MemberMessage.objects.exists()


def test_a_sender_is_limited_per_day(client, member, recipient):
    client.force_login(member)
    for _ in range(messaging.MESSAGES_PER_DAY):
        assert write(client, recipient).status_code == 302

    response = write(client, recipient)

    assert response.status_code == 429
    assert "the most we allow" in response.content.decode()
    assert MemberMessage.objects.count() == messaging.MESSAGES_PER_DAY


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("visitor", 403), ("registered", 403), ("lapsed", 403), ("member", 302), ("staff", 302)],
)
def test_only_members_and_staff_may_write(request, client, recipient, persona, expected):
    if persona != "visitor":
        client.force_login(request.getfixturevalue(persona))

    response = write(client, recipient)

    assert response.status_code == expected
    assert MemberMessage.objects.exists() is (expected == 302)
    assert RECIPIENT_EMAIL.lower() not in response.content.decode().lower()


def test_writing_needs_a_post(client, member, recipient):
    client.force_login(member)

    assert client.get(f"/network/{recipient.username}/message/").status_code == 405


def report_link(email) -> str:
    return re.search(r"https?://[^/\s]+(/network/messages/report/\S+/)", email.body).group(1)


def test_the_recipient_reports_a_message_from_the_email_link_without_signing_in(
    client, member, recipient, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        write(client, recipient)
    client.logout()
    link = report_link(mail.outbox[0])

    page = client.get(link)
    assert page.status_code == 200 and "Heat maps" in page.content.decode()
    done = client.post(link, {"reason": "I do not know this person."})

    assert done.status_code == 200
    assert "we have your report" in done.content.decode()
    report = MessageReport.objects.get()
    assert report.message.recipient == recipient
    assert report.reason == "I do not know this person."
    client.post(link, {"reason": ""})
    assert MessageReport.objects.count() == 1


def test_a_forged_report_link_is_a_400(client, member, recipient):
    client.force_login(member)
    write(client, recipient)
    token = messaging.report_token(MemberMessage.objects.get())

    for bad in (token[:-2] + "xx", "1", "not-a-token"):
        response = client.post(f"/network/messages/report/{bad}/", {"reason": "x"})
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not MessageReport.objects.exists()


def test_staff_see_reports_and_the_message_in_the_admin(client, member, recipient, staff):
    client.force_login(member)
    write(client, recipient)
    report = messaging.message_report(message=MemberMessage.objects.get(), reason="Spam")
    client.force_login(staff)

    listing = client.get("/admin/snippets/members/messagereport/")
    edit = client.get(f"/admin/snippets/members/messagereport/edit/{report.pk}/")

    assert listing.status_code == 200 and "Heat maps" in listing.content.decode()
    assert "Could we compare notes on heat maps?" in edit.content.decode()


def test_the_senders_data_export_lists_their_messages_without_the_recipients_address(
    client, member, recipient
):
    client.force_login(member)
    write(client, recipient)

    data = client.get("/account/export.json")

    (sent,) = data.json()["messages_sent"]
    assert (sent["to"], sent["subject"]) == ("Rae Cipient", "Heat maps")
    assert RECIPIENT_EMAIL.lower() not in data.content.decode().lower()

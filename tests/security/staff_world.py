"""The staff personas and one object behind every staff tool, shared by the staff tests."""

import time

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from events import services as event_services
from library.demo import _library_editors
from tests.events.factories import EventFactory, make_challenge
from tests.library.factories import make_library
from tests.members.factories import UserFactory, make_member
from tests.newsletter.factories import make_edition

PDF = b"%PDF-1.7\n%test\n"
ENTRY = {
    "title": "Slow zones",
    "city": "Dayton, OH",
    "summary": "20 mph zones around twelve schools.",
    "plan": "Signs, paint, and enforcement in term time.",
    "budget": "120000",
}


def person(email: str, *, groups=(), **fields):
    user = UserFactory(email=email, **fields)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def personas(home_page) -> dict:
    """Who holds which staff capability. Group members are not `is_staff`: the groups alone
    decide what they reach."""
    _library_editors(make_library(home_page))
    return {
        "superuser": person("root@example.org", is_staff=True, is_superuser=True),
        "bare staff": person("bare@example.org", is_staff=True),
        "library editor": person("librarian@example.org", groups=["Library editors"]),
        "vitals editor": person("vitals@example.org", groups=["City Vitals editors"]),
        "newsletter sender": person("sender@example.org", groups=["Newsletter senders"]),
        "event staff": person("events@example.org", groups=["Event staff"]),
        "network lead": person("lead@example.org", groups=["Network leads"]),
    }


def staff_objects() -> dict:
    """An event with an attendee, a challenge with a submitted entry and its attachment, and
    a draft edition: what the staff tools show."""
    attendee = make_member(email="attendee@example.org")
    event = EventFactory(slug="fall-meeting", capacity=10)
    registration = event_services.registration_create(event=event, user=attendee)
    challenge = make_challenge()
    submission = event_services.submission_save(
        challenge=challenge, user=attendee, fields=ENTRY, submit=True
    )
    attachment = event_services.submission_attach(
        submission=submission, user=attendee, upload=SimpleUploadedFile("plan.pdf", PDF)
    )
    edition = make_edition(subject="Draft for members")
    return {
        "event": event,
        "registration": registration,
        "challenge": challenge,
        "attachment": attachment,
        "edition": edition,
        "attendee": attendee,
    }


def sign_in_with_second_factor(client, user) -> None:
    """A session as allauth leaves it after a password and an authenticator code."""
    if not user.authenticator_set.filter(type="totp").exists():
        TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    session = client.session
    now = time.time()
    session["account_authentication_methods"] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "id": 1, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()

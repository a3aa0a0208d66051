"""Staff two-factor: every URL, every staff capability, and a session that used the factor."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.db import connection

from core.staff import has_authenticator
from tests.members.factories import PASSWORD, UserFactory
from tests.security.staff_world import personas, sign_in_with_second_factor, staff_objects
from tests.security.url_inventory import url_patterns

pytestmark = pytest.mark.django_db

SET_UP = "/accounts/2fa/totp/activate/"


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def two_factor_on(settings):
    settings.STAFF_REQUIRE_2FA = True


@pytest.fixture
def people(home_page):
    return personas(home_page)


@pytest.fixture
def world(db):
    return staff_objects()


def finding_urls(world) -> list[str]:
    """The pages the audit read with a password alone (finding 3), and their neighbours."""
    event, challenge = world["event"].slug, world["challenge"].slug
    return [
        f"/events/{event}/attendees/",
        f"/events/{event}/attendees.csv",
        f"/challenges/{challenge}/results/",
        f"/challenges/attachments/{world['attachment'].pk}/",
        f"/newsletter/editions/{world['edition'].pk}/",
        "/challenges/judging/",
        "/network/",
        "/admin/",
        "/admin/members/report/",
        "/admin/members/report.csv",
        "/admin/vitals-import/",
        "/admin/reports/page-feedback/",
        "/admin/reports/library-downloads/",
        f"/admin/newsletter/editions/{world['edition'].pk}/send/",
        "/django-admin/",
    ]


@pytest.mark.parametrize(
    "who", ["superuser", "bare staff", "library editor", "vitals editor", "event staff"]
)
def test_staff_without_an_authenticator_reach_no_staff_page_and_are_sent_to_set_one_up(
    client, two_factor_on, people, world, who
):
    client.force_login(people[who])

    for url in finding_urls(world):
        response = client.get(url)
        assert response.status_code == 302, (who, url)
        assert response["Location"] == SET_UP, (who, url)
        assert b"attendee@example.org" not in response.content


def test_every_url_of_the_site_asks_staff_for_the_second_factor_first(
    client, two_factor_on, people
):
    """Whatever the URL (admin, app, Wagtail page, or none at all), the only pages open to a
    staff session without its second factor are allauth's account pages (the admin's login
    and password-reset pages only redirect there)."""
    client.force_login(people["library editor"])
    paths = {path for path, _, _ in url_patterns()} | {"/some/wagtail/page/", "/nowhere/"}
    open_paths = set()

    for path in sorted(paths):
        response = client.get(path)
        if response.status_code != 302 or not response["Location"].startswith("/accounts/"):
            open_paths.add(path)

    assert open_paths and all(path.startswith("/accounts/") for path in open_paths), sorted(
        p for p in open_paths if not p.startswith("/accounts/")
    )
    assert len(paths) > 300  # the Wagtail admin's patterns are in the walk


def test_a_session_without_the_second_factor_must_enter_a_code_even_with_an_authenticator(
    client, two_factor_on, people, world
):
    """A password-only session (signed in before enrolling, or by any path that skipped the
    code) is not a second-factor session."""
    staff = people["superuser"]
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    client.force_login(staff)
    csv_url = f"/events/{world['event'].slug}/attendees.csv"

    response = client.get(csv_url)
    assert response.status_code == 302
    assert (
        response["Location"] == f"/accounts/2fa/reauthenticate/?next={csv_url.replace('/', '%2F')}"
    )

    response = client.post(response["Location"], {"code": totp_code(secret)})
    assert response.status_code == 302 and response["Location"] == csv_url
    assert b"attendee@example.org" in b"".join(client.get(csv_url).streaming_content)


def test_staff_signed_in_with_password_and_code_reach_their_tools(
    client, two_factor_on, people, world
):
    staff = people["superuser"]
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    response = client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    for url in finding_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url


def test_the_second_factor_is_checked_once_a_request(client, two_factor_on, people):
    """The middleware and the staff view's decorator both ask: the authenticator is looked up
    once, and a page of a person without the factor is still refused."""
    staff = people["superuser"]
    sign_in_with_second_factor(client, staff)
    authenticator_lookups = []

    def note(execute, sql, params, many, context):
        if "mfa_authenticator" in sql:
            authenticator_lookups.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        assert client.get("/admin/reports/network/").status_code == 200
    assert len(authenticator_lookups) == 1

    client.force_login(people["bare staff"])  # no authenticator: no pass kept from before
    assert client.get("/admin/reports/network/")["Location"] == SET_UP


def test_group_members_who_are_not_staff_reach_the_admin_only_with_the_second_factor(
    client, two_factor_on, people
):
    editor = people["library editor"]
    client.force_login(editor)
    assert client.get("/admin/")["Location"] == SET_UP

    sign_in_with_second_factor(client, editor)
    assert client.get("/admin/").status_code == 200


def test_staff_without_an_authenticator_can_still_set_one_up_and_sign_out(
    client, two_factor_on, people
):
    client.force_login(people["superuser"])

    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get(SET_UP)["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_members_and_judges_without_staff_capability_are_not_asked_for_a_second_factor(
    client, two_factor_on, member
):
    client.force_login(member)

    assert client.get("/account/").status_code == 200
    assert client.get("/challenges/judging/").status_code == 200
    assert "/accounts/2fa/" not in client.get("/admin/").get("Location", "")


def test_with_the_setting_off_staff_work_without_a_second_factor(client, settings, people):
    settings.STAFF_REQUIRE_2FA = False
    client.force_login(people["superuser"])

    assert client.get("/admin/").status_code == 200


# --- Enrolling, changing and removing an authenticator ------------------------------------


def notices_to(email: str) -> list[str]:
    return [message.subject for message in mail.outbox if email in message.to]


@pytest.mark.django_db(transaction=True)  # the notice is sent when the change commits
def test_enrolling_an_authenticator_needs_a_fresh_password_and_mails_the_owner(
    client, two_factor_on
):
    staff = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    client.force_login(staff)  # a session signed in a while ago, with the password alone

    response = client.get(SET_UP)
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = client.post(
        "/accounts/2fa/totp/activate/", {"code": "123456"}
    )  # posting straight to it does not skip the check
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not staff.authenticator_set.exists()

    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    secret = client.get(SET_UP).context["form"].secret
    mail.outbox.clear()
    response = client.post(SET_UP, {"code": totp_code(secret)})

    assert response.status_code == 302
    assert staff.authenticator_set.filter(type="totp").exists()
    assert notices_to(staff.email) == ["civicnet: Two-factor authentication is on"]


def test_a_reauthentication_older_than_five_minutes_does_not_count(client, two_factor_on, people):
    staff = people["superuser"]
    client.force_login(staff)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= 301
    session.save()

    assert client.get(SET_UP)["Location"].startswith("/accounts/reauthenticate/")


def test_removing_the_authenticator_needs_a_fresh_code_and_mails_the_owner(
    client, two_factor_on, people
):
    staff = people["superuser"]
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    sign_in_with_second_factor(client, staff)  # signed in with a code, but not just now
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= 3600
    session.save()

    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert staff.authenticator_set.filter(type="totp").exists()

    client.post("/accounts/2fa/reauthenticate/", {"code": totp_code(secret)})
    mail.outbox.clear()
    client.post("/accounts/2fa/totp/deactivate/")

    assert not staff.authenticator_set.filter(type="totp").exists()
    assert notices_to(staff.email) == ["civicnet: Two-factor authentication is off"]
    # Without an authenticator the staff session is sent to set one up again.
    assert client.get("/admin/")["Location"] == SET_UP


@pytest.mark.django_db(transaction=True)  # the notice is sent when the change commits
def test_new_recovery_codes_need_a_fresh_reauthentication_and_mail_the_owner(client, two_factor_on):
    staff = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    sign_in_with_second_factor(client, staff)
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= 3600
    session.save()

    response = client.post("/accounts/2fa/recovery-codes/generate/")
    assert "reauthenticate" in response["Location"]

    client.post("/accounts/2fa/reauthenticate/", {"code": totp_code(secret)})
    mail.outbox.clear()
    client.post("/accounts/2fa/recovery-codes/generate/")

    assert notices_to(staff.email) == ["civicnet: New recovery codes for your account"]


def test_recovery_codes_alone_are_not_an_authenticator(staff):
    assert not has_authenticator(staff)
    Authenticator.objects.create(user=staff, type=Authenticator.Type.RECOVERY_CODES, data={})
    assert not has_authenticator(staff)
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={})
    assert has_authenticator(staff)

"""Accounts through allauth: verified sign-up, no enumeration, rate limits, TOTP, staff 2FA."""

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core import mail

from tests.members.factories import PASSWORD, UserFactory
from tests.security.staff_world import sign_in_with_second_factor

pytestmark = pytest.mark.django_db
User = get_user_model()


def signup(client, email):
    return client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_sign_up_needs_email_verification_before_login(client):
    response = signup(client, "new@example.org")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="new@example.org")
    assert user.username  # generated: people sign in with their email only
    (message,) = mail.outbox
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", message.body).group(0)

    client.logout()
    login = client.post("/accounts/login/", {"login": "new@example.org", "password": PASSWORD})
    assert login["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    client.post(path)
    login = client.post("/accounts/login/", {"login": "new@example.org", "password": PASSWORD})
    assert login["Location"] == "/account/"
    assert client.get("/account/").status_code == 200


def test_sign_up_with_a_taken_email_looks_the_same_and_tells_the_owner_by_email(client, registered):
    fresh = signup(client, "someone-new@example.org")
    client.logout()
    mail.outbox.clear()

    taken = signup(client, registered.email)

    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    assert User.objects.filter(email__iexact=registered.email).count() == 1
    (message,) = mail.outbox
    assert message.to == [registered.email]
    assert "already" in message.body.lower()


def test_login_errors_do_not_reveal_whether_an_account_exists(client, registered):
    unknown = client.post("/accounts/login/", {"login": "nobody@example.org", "password": "x" * 12})
    wrong = client.post("/accounts/login/", {"login": registered.email, "password": "x" * 12})

    assert unknown.status_code == wrong.status_code == 200
    assert unknown.context["form"].errors == wrong.context["form"].errors


def test_password_reset_answers_the_same_for_unknown_addresses(client, registered):
    known = client.post("/accounts/password/reset/", {"email": registered.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"


def test_repeated_failed_logins_lock_the_account_for_that_client(client, registered):
    for _ in range(5):
        client.post("/accounts/login/", {"login": registered.email, "password": "wrong-password"})

    response = client.post("/accounts/login/", {"login": registered.email, "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_failed_logins_from_elsewhere_do_not_lock_the_owner_out(registered):
    from django.test import Client

    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(12):
        attacker.post("/accounts/login/", {"login": registered.email, "password": "wrong-password"})
    owner = Client(REMOTE_ADDR="198.51.100.7")

    response = owner.post("/accounts/login/", {"login": registered.email, "password": PASSWORD})

    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(registered.pk)


def test_behind_a_proxy_the_lockout_follows_the_client_address_it_reports(registered, settings):
    from django.test import Client

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy)
    for _ in range(5):
        attacker.post("/accounts/login/", {"login": registered.email, "password": "wrong-password"})
    owner = Client(HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)

    locked = attacker.post("/accounts/login/", {"login": registered.email, "password": PASSWORD})
    signed_in = owner.post("/accounts/login/", {"login": registered.email, "password": PASSWORD})

    assert "Too many failed login attempts" in locked.content.decode()
    assert signed_in.status_code == 302
    assert owner.session["_auth_user_id"] == str(registered.pk)


class CountingHasher(PBKDF2PasswordHasher):
    """The real hasher, counting how often a password is hashed."""

    iterations = 1000
    calls = 0

    def encode(self, password, salt, iterations=None):
        CountingHasher.calls += 1
        return super().encode(password, salt, iterations)


def test_sign_up_hashes_the_password_whether_or_not_the_address_is_taken(
    client, registered, settings
):
    settings.PASSWORD_HASHERS = ["tests.members.test_accounts.CountingHasher"]
    CountingHasher.calls = 0
    signup(client, "brand-new@example.org")
    client.logout()
    for_new = CountingHasher.calls

    CountingHasher.calls = 0
    signup(client, registered.email)
    for_taken = CountingHasher.calls

    assert for_new >= 1
    assert for_taken == for_new


def test_sign_up_takes_about_as_long_for_a_taken_address_as_for_a_new_one(
    client, registered, settings
):
    """With Django's real hasher (the audit measured a 20x gap); generous bounds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    fresh, taken = [], []
    for n in range(3):
        started = time.perf_counter()
        signup(client, f"timing-{n}@example.org")
        fresh.append(time.perf_counter() - started)
        client.logout()
        started = time.perf_counter()
        signup(client, registered.email)
        taken.append(time.perf_counter() - started)
        client.logout()

    ratio = sorted(taken)[1] / sorted(fresh)[1]
    assert 0.4 < ratio < 2.5, (fresh, taken)


def test_rate_limits_count_per_client_address_reported_by_the_proxy(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}

    def attempt(n, ip):
        return client.post(
            "/accounts/login/",
            {"login": f"nobody{n}@example.org", "password": "wrong-password"},
            HTTP_X_FORWARDED_FOR=ip,
        )

    for n in range(3):
        assert "Too many" not in attempt(n, "203.0.113.7").content.decode()

    assert "Too many failed login attempts" in attempt(99, "203.0.113.7").content.decode()
    # Another client behind the same proxy is not held back.
    assert "Too many" not in attempt(100, "198.51.100.4").content.decode()


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/admin/login/", "/accounts/login/?next=%2Fadmin%2F"),
        ("/admin/login/?next=/admin/pages/", "/accounts/login/?next=%2Fadmin%2Fpages%2F"),
        ("/django-admin/login/", "/accounts/login/?next=%2Fdjango-admin%2F"),
        ("/admin/password_reset/", "/accounts/password/reset/"),
    ],
)
def test_admin_logins_go_through_allauth(client, path, target):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == target


@pytest.mark.parametrize(
    ("path", "home"), [("/admin/login/", "/admin/"), ("/django-admin/login/", "/django-admin/")]
)
def test_signed_in_staff_at_an_admin_login_go_to_the_admin(client, staff, path, home):
    client.force_login(staff)

    response = client.get(path)

    assert response.status_code == 302 and response["Location"] == home


@pytest.mark.parametrize("path", ["/admin/", "/django-admin/"])
def test_a_signed_in_member_asking_for_an_admin_is_refused_not_sent_round_in_circles(
    client, member, path
):
    client.force_login(member)

    response = client.get(path, follow=True)  # a redirect loop raises RedirectCycleError

    assert response.status_code == 403


def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, staff, settings):
    settings.STAFF_REQUIRE_2FA = True
    client.force_login(staff)

    for path in ("/admin/", "/django-admin/", "/account/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/accounts/2fa/").status_code == 200  # where they set one up


def test_staff_with_totp_sign_in_with_a_code_and_reach_the_admin(client, staff, settings):
    settings.STAFF_REQUIRE_2FA = True
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    response = client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_members_can_turn_on_totp_from_their_account(client, member):
    client.force_login(member)
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith(
        "/accounts/reauthenticate/"
    )
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret

    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})

    assert response.status_code == 302
    assert member.authenticator_set.filter(type="totp").exists()


def test_email_change_waits_for_the_new_address_to_be_verified(client):
    user = UserFactory(email="old@example.org")
    client.force_login(user)

    client.post("/accounts/email/", {"action_add": "", "email": "new-address@example.org"})

    user.refresh_from_db()
    assert user.email == "old@example.org"
    assert any("new-address@example.org" in m.to for m in mail.outbox)


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
)
def test_allauth_pages_use_the_site_layout(client, path):
    html = client.get(path).content.decode()

    assert 'class="account-page"' in html
    assert "css/members.css" in html
    assert 'class="button' in html


def test_staff_with_totp_reach_the_django_admin_too(client, staff, settings):
    settings.STAFF_REQUIRE_2FA = True
    sign_in_with_second_factor(client, staff)

    assert client.get("/django-admin/").status_code == 200


def test_members_who_are_not_staff_are_not_asked_for_totp_by_the_admin_guard(
    client, member, settings
):
    settings.STAFF_REQUIRE_2FA = True
    client.force_login(member)

    response = client.get("/admin/")

    assert "/accounts/2fa/" not in response.get("Location", "")

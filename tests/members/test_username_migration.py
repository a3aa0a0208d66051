"""Usernames allauth once derived from email addresses become the random `member-…` form of
new accounts (members 0012), and their owners still log in with their address."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.members.factories import PASSWORD

BEFORE = [("members", "0011_billing_retention_and_payments")]
AFTER = [("members", "0012_usernames_not_from_email_addresses")]


@pytest.mark.django_db(transaction=True)
def test_usernames_made_from_addresses_are_renamed_and_the_person_still_logs_in(client):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    OldUser = old.get_model("auth", "User")
    from django.contrib.auth.hashers import make_password

    rows = {
        "ana.okafor": "ana.okafor@example.org",  # allauth's local part
        "ana.okafor2": "Ana.Okafor@elsewhere.org",  # with the number added when taken
        "jo@example.org": "jo@example.org",  # the address itself
        "admin": "ops@example.org",  # chosen by a person: kept
        "member-0a1b2c3d4e": "kept@example.org",  # already random: kept
    }
    for username, email in rows.items():
        OldUser.objects.create(username=username, email=email, password=make_password(PASSWORD))
    OldUser.objects.create(username="deleted-abc", email="")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    usernames = dict(get_user_model().objects.values_list("email", "username"))
    for email in ("ana.okafor@example.org", "Ana.Okafor@elsewhere.org", "jo@example.org"):
        assert usernames[email].startswith("member-"), email
        assert email.split("@")[0].lower() not in usernames[email]
    assert len({usernames[e] for e in rows.values()}) == len(rows)
    assert usernames["ops@example.org"] == "admin"
    assert usernames["kept@example.org"] == "member-0a1b2c3d4e"
    assert get_user_model().objects.filter(username="deleted-abc").exists()

    from allauth.account.models import EmailAddress

    person = get_user_model().objects.get(email="ana.okafor@example.org")
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    response = client.post(
        "/accounts/login/", {"login": "ana.okafor@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)

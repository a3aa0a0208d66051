"""Usernames that allauth derived from email addresses ("ana.okafor", "ana.okafor2") are in
directory addresses (/network/<username>/) and say who the person is: give them the random
`member-…` form new accounts get (members.accounts.new_username).

Nothing keys on a username: people log in with their email address (allauth's
ACCOUNT_LOGIN_METHODS), the demo finds its people by address, and profile links are built
from the current username. Usernames people or staff chose (e.g. "admin") are kept, as are
the placeholders of deleted accounts and the demo history's `history-…` people.
"""

import re

from django.conf import settings
from django.db import migrations

from members.accounts import new_username


def derived_from_email(username: str, email: str) -> bool:
    """allauth's candidates from an address: the address itself, or its local part (cleaned
    of what a username cannot hold, lower-cased), with a number added when taken."""
    if not email or "@" not in email or username.startswith(("member-", "deleted-")):
        return False
    username, email = username.lower(), email.lower()
    local = email.split("@", 1)[0]
    cleaned = re.sub(r"[^\w.@+-]", "", local)
    return username == email or any(
        part and re.fullmatch(re.escape(part) + r"\d*", username) for part in {local, cleaned}
    )


def rename(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    taken = set(User.objects.values_list("username", flat=True))
    for user in User.objects.exclude(email="").only("pk", "username", "email").iterator():
        if derived_from_email(user.username, user.email):
            user.username = new_username(taken=taken.__contains__)
            taken.add(user.username)
            user.save(update_fields=["username"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0011_billing_retention_and_payments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]

"""The National Network directory's version (core.table_versions): a number that moves on
whenever a table the directory shows is written. members.views.network keys its kept
fragments on it (tests/members/test_directory_cache.py checks every table)."""

from django.db import migrations

from core.table_versions import run_sql, version_sql

VERSION = "members_directory"
# Who is listed and what they show: names, profiles and their privacy, memberships and
# seats (who is a member), and the metros people say they work in.
TABLES = [
    "auth_user",
    "members_membership",
    "members_profile",
    "members_seat",
    "vitals_metro",
]
FORWARD, BACKWARD = version_sql(VERSION, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("members", "0013_payment_refund_charge"),
        ("vitals", "0009_national_figure_revisions"),
    ]

    operations = [migrations.RunPython(run_sql(FORWARD), run_sql(BACKWARD))]

"""A number that moves on whenever a table the network dashboard reads is written.

Each table gets a statement-level trigger that takes the sequence's next value: inserts,
updates, deletes and truncates, from services, the admin, bulk updates and raw SQL alike. A
sequence is never locked nor rolled back, so the writers of these tables (a newsletter send,
downloads) never wait on one another for it. civicnet.dashboard keys its cached figures on it.

PostgreSQL only: on SQLite (a developer's laptop) there is no version and nothing is cached.
"""

from django.db import migrations

SEQUENCE = "civicnet_dashboard_data_version"
FUNCTION = "civicnet_dashboard_data_changed"
# Every table the dashboard's queries read (tests/civicnet/test_dashboard_cache.py checks).
TABLES = [
    "auth_user",
    "civicnet_pagefeedback",
    "events_event",
    "events_registration",
    "library_resourcedownload",
    "library_resourcepage",
    "members_membership",
    "members_membershipevent",
    "members_payment",
    "members_plan",
    "members_profile",
    "newsletter_delivery",
    "newsletter_edition",
    "newsletter_subscriber",
    "wagtailcore_page",
]

FORWARD = [
    f"CREATE SEQUENCE {SEQUENCE}",
    # From a random place: a database made afresh never repeats the numbers of the one before,
    # whose figures may still be in the cache.
    f"SELECT setval('{SEQUENCE}', 1 + floor(random() * 1e15)::bigint)",
    f"""CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM nextval('{SEQUENCE}');
            RETURN NULL;
        END
    $$""",
    *(
        f"CREATE TRIGGER {FUNCTION} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        for table in TABLES
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {FUNCTION} ON {table}" for table in TABLES),
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
    f"DROP SEQUENCE IF EXISTS {SEQUENCE}",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailcore", "0001_initial"),
        ("civicnet", "0004_network_dashboard_permission"),
        ("events", "0013_series_waitlist_offers"),
        ("library", "0004_reading_done"),
        ("members", "0013_payment_refund_charge"),
        ("newsletter", "0006_unsubscribed_from_edition"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]

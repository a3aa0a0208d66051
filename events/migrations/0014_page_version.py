"""The event page's version (core.table_versions): a number that moves on whenever a table
an event page shows is written. events.views.public.event_detail keys its kept fragments on it
(tests/events/test_event_page_cache.py checks every table)."""

from django.db import migrations

from core.table_versions import run_sql, version_sql

VERSION = "events_page"
# The event, its series, sessions, speakers, topics, tickets and questions, the places its
# registrations hold, and what its rich text links to (pages, documents, images).
TABLES = [
    "events_event",
    "events_event_speakers",
    "events_event_topics",
    "events_eventseries",
    "events_eventsession",
    "events_registration",
    "events_registrationquestion",
    "events_speaker",
    "events_tickettype",
    "events_topic",
    "wagtailcore_page",
    "wagtaildocs_document",
    "wagtailimages_image",
]
FORWARD, BACKWARD = version_sql(VERSION, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0013_series_waitlist_offers"),
        ("wagtailcore", "0001_initial"),
        ("wagtaildocs", "0001_initial"),
        ("wagtailimages", "0001_initial"),
    ]

    operations = [migrations.RunPython(run_sql(FORWARD), run_sql(BACKWARD))]

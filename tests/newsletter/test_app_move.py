"""The newsletter moved from blog/newsletter/ to its own top-level app: same label, same
tables, and a database from before the move (with data) migrates on and keeps it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from newsletter.models import Edition, Subscriber

BEFORE = [("newsletter", "0003_send_permission_newsletter_senders_group")]


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_migrates_with_its_data():
    executor = MigrationExecutor(connection)
    latest = [key for key in executor.loader.graph.leaf_nodes() if key[0] == "newsletter"]
    executor.migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    old.get_model("newsletter", "Subscriber").objects.create(
        email="kept@example.org", status="subscribed", wants_events=False
    )
    # The body's blocks are rebuilt from the import paths recorded in the migrations.
    old.get_model("newsletter", "Edition").objects.create(
        subject="Before the move", body=[("intro", "<p>Still here.</p>")]
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)

    subscriber = Subscriber.objects.get(email="kept@example.org")
    assert (subscriber.status, subscriber.wants_events) == ("subscribed", False)
    edition = Edition.objects.get(subject="Before the move")
    assert edition.body[0].block_type == "intro"
    assert "Still here." in str(edition.body[0].value)
    assert Subscriber._meta.db_table == "newsletter_subscriber"
    assert Edition._meta.app_label == "newsletter"

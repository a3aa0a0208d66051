"""Signals `members` sends so that apps above it can take part in account export and
deletion without `members` importing them (dependencies point downwards).

Each app connects its receivers in its AppConfig.ready().
"""

from django.dispatch import Signal

# Sent by selectors.account_export(user=...). Each receiver returns a dict of JSON-ready
# sections ({"event_registrations": [...]}) that are merged into the person's export.
account_exporting = Signal()

# Sent by services.account_delete(user=..., placeholder=...) inside its transaction, before the
# user row is deleted. Each receiver deletes what belongs to the person alone and moves the
# records the network must keep (attendance, judged entries, scores) onto `placeholder`, an
# inactive account with no name or email. Files are removed with transaction.on_commit.
account_deleting = Signal()

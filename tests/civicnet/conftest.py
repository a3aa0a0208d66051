"""Fixtures of the civicnet tests: time travel for the services that write history."""

from datetime import timedelta

import pytest
from django.utils import timezone

REAL_NOW = timezone.now


@pytest.fixture
def days_ago(monkeypatch):
    """Run the services as if it were that many days ago (the history is written with the
    time the service reads)."""

    def travel(days):
        moment = REAL_NOW() - timedelta(days=days)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    yield travel
    monkeypatch.setattr(timezone, "now", REAL_NOW)

"""A task really travels through Redis to a real worker and back."""

import pytest
from django.core.cache import cache

from civicnet.selectors import HOME_COUNTERS_CACHE_KEY
from civicnet.tasks import refresh_home_counters
from tests.conftest import wait_for
from tests.members.factories import make_member

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_task_round_trips_through_the_broker_to_a_real_worker(celery_worker):
    make_member(email="counted@example.org", home_city="Akron, OH")

    refresh_home_counters.delay()

    counters = wait_for(lambda: cache.get(HOME_COUNTERS_CACHE_KEY), timeout=20)
    assert counters == {"members": 1, "cities": 1, "attendees": 0, "metros": 0}

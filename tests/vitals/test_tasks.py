import pytest

from tests.conftest import wait_for
from tests.vitals.factories import INDICATORS, METROS, SOURCES, observations
from vitals.models import Observation
from vitals.services import import_stage
from vitals.tasks import import_staged_vitals, progress_key

pytestmark = pytest.mark.worker


def stage(tmp_path, settings) -> str:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return import_stage(
        files=[
            ("sources.csv", SOURCES.encode()),
            ("indicators.csv", INDICATORS.encode()),
            ("metros.csv", METROS.encode()),
            (
                "observations.csv",
                observations("10001,college_attainment,2019,2019,0.4,,acs1").encode(),
            ),
        ]
    )


def test_a_real_worker_applies_a_staged_import_and_reports_done(celery_worker, tmp_path, settings):
    from django.core.cache import cache

    token = stage(tmp_path, settings)

    import_staged_vitals.delay(token, "staff")

    status = wait_for(
        lambda: (cache.get(progress_key(token)) or {}).get("state") == "done", timeout=60
    )
    assert status
    assert Observation.objects.count() == 1


@pytest.mark.django_db
def test_running_the_import_task_twice_changes_nothing_the_second_time(tmp_path, settings):
    from django.core.cache import cache

    token = stage(tmp_path, settings)
    import_staged_vitals(token, "staff")
    cache.delete(progress_key(token))

    import_staged_vitals(token, "staff")

    assert Observation.objects.count() == 1
    assert cache.get(progress_key(token))["changed"] is False


@pytest.mark.django_db
def test_an_unknown_token_fails_without_changing_anything(tmp_path, settings):
    from django.core.cache import cache

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    import_staged_vitals("0" * 32, "staff")

    assert cache.get(progress_key("0" * 32))["state"] == "failed"

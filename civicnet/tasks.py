from celery import shared_task

from . import services


@shared_task(time_limit=60, soft_time_limit=50)
def refresh_home_counters() -> dict[str, int]:
    """Recompute the home page counters (safe to run any number of times)."""
    return services.home_counters_refresh()

from celery import shared_task
from django.core.management import call_command


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def publish_scheduled_pages() -> None:
    """Publish pages (blog posts, library resources, any page) whose 'go live' time has come,
    and unpublish expired ones. Wagtail's own command: safe to run twice."""
    call_command("publish_scheduled", verbosity=0)

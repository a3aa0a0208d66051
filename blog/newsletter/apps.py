from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """The newsletter: subscribers, editions written in Wagtail, delivery by Celery."""

    name = "blog.newsletter"
    label = "newsletter"
    verbose_name = "Newsletter"

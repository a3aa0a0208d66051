from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """The newsletter: subscribers, editions written in Wagtail, delivery by Celery."""

    name = "newsletter"
    label = "newsletter"
    verbose_name = "Newsletter"

    def ready(self):
        from members.signals import account_deleting, account_exporting

        # Registers the tasks in every process: the services start them by name.
        from . import accounts, tasks  # noqa: F401

        account_exporting.connect(accounts.account_export, dispatch_uid="newsletter-account")
        account_deleting.connect(accounts.account_delete, dispatch_uid="newsletter-account")

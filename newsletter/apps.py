from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """The newsletter: subscribers, editions written in Wagtail, delivery by Celery."""

    name = "newsletter"
    label = "newsletter"
    verbose_name = "Newsletter"

    def ready(self):
        from anymail.signals import tracking

        from members.signals import account_deleting, account_exporting

        # Registers the tasks in every process: the services start them by name.
        from . import accounts, mail_events, tasks  # noqa: F401

        tracking.connect(mail_events.anymail_tracking, dispatch_uid="newsletter-anymail")
        account_exporting.connect(accounts.account_export, dispatch_uid="newsletter-account")
        account_deleting.connect(accounts.account_delete, dispatch_uid="newsletter-account")

from django.apps import AppConfig


class CivicnetConfig(AppConfig):
    name = "civicnet"
    verbose_name = "civicnet"

    def ready(self):
        # Registers the tasks in every process: services start them by name.
        from core.page_cache import also_clear_when_published

        from . import tasks  # noqa: F401

        # Blog posts and library resources also appear on City Vitals metro pages (the
        # related posts and resources there, a cross-link this package composes).
        also_clear_when_published("blog", "/vitals/")
        also_clear_when_published("library", "/vitals/")

        # Page feedback's part of account export and deletion (members sends, never imports).
        from members.signals import account_deleting, account_exporting

        from . import accounts

        account_exporting.connect(accounts.account_export, dispatch_uid="civicnet-account")
        # City Vitals' part (My metro, saved scenarios): vitals sits below members.
        from vitals import accounts as vitals_accounts

        account_exporting.connect(vitals_accounts.account_export, dispatch_uid="vitals-account")
        account_deleting.connect(accounts.account_delete, dispatch_uid="civicnet-account")

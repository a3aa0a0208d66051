from django.apps import AppConfig


class CivicnetConfig(AppConfig):
    name = "civicnet"
    verbose_name = "civicnet"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from wagtail import signals
        from wagtail.models import Page

        from .page_cache import page_cache_clear

        def clear(**kwargs):
            page_cache_clear()

        def clear_on_page_save(sender, instance, **kwargs):
            if isinstance(instance, Page):
                page_cache_clear()

        # Whatever staff do to what the public sees drops every cached page. Saving a page
        # covers drafts too (harmless: pages are rendered again once) and pages made in
        # code, such as the demo loader's.
        for signal in (
            signals.page_published,
            signals.page_unpublished,
            signals.post_page_move,
            signals.published,
            signals.unpublished,
        ):
            signal.connect(clear, weak=False, dispatch_uid="civicnet.page_cache")
        post_save.connect(clear_on_page_save, weak=False, dispatch_uid="civicnet.page_cache")
        post_delete.connect(clear, sender=Page, weak=False, dispatch_uid="civicnet.page_cache")

        # Page feedback's part of account export and deletion (members sends, never imports).
        from members.signals import account_deleting, account_exporting

        from . import accounts

        account_exporting.connect(accounts.account_export, dispatch_uid="civicnet-account")
        account_deleting.connect(accounts.account_delete, dispatch_uid="civicnet-account")

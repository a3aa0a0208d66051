from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"

    def ready(self):
        """Renaming or removing a topic or a city changes every page that shows it."""
        from django.db.models.signals import post_delete, post_save

        from core.signals import public_pages_changed
        from members.signals import account_deleting, account_exporting

        from . import accounts
        from .models import ResourceCity, ResourceTopic

        def tags_changed(sender, **kwargs):
            public_pages_changed.send(sender=sender, paths=["/library/"])

        for model in (ResourceTopic, ResourceCity):
            for signal in (post_save, post_delete):
                signal.connect(tags_changed, sender=model, dispatch_uid=f"library.tags.{model}")

        account_exporting.connect(accounts.account_export, dispatch_uid="library-account")
        account_deleting.connect(accounts.account_delete, dispatch_uid="library-account")

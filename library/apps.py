from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"

    def ready(self):
        """Renaming or removing a topic or a city changes every page that shows it; a document
        or an image changes the kept full copies of resources that show it (and the file
        lists), so editing or removing one forgets those too."""
        from django.db.models.signals import post_delete, post_save
        from wagtail.documents import get_document_model
        from wagtail.images import get_image_model

        from core.signals import public_pages_changed
        from members.signals import account_deleting, account_exporting

        from . import accounts
        from .models import ResourceCity, ResourceTopic

        def shown_in_library_changed(sender, **kwargs):
            public_pages_changed.send(sender=sender, paths=["/library/"])

        for model in (ResourceTopic, ResourceCity, get_document_model(), get_image_model()):
            for signal in (post_save, post_delete):
                signal.connect(
                    shown_in_library_changed, sender=model, dispatch_uid=f"library.shown.{model}"
                )

        account_exporting.connect(accounts.account_export, dispatch_uid="library-account")
        account_deleting.connect(accounts.account_delete, dispatch_uid="library-account")

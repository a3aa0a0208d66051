from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"

    def ready(self):
        """Renaming or removing a topic or a city changes every page that shows it."""
        from django.db.models.signals import post_delete, post_save

        from core.signals import public_pages_changed

        from .models import ResourceCity, ResourceTopic

        def tags_changed(sender, **kwargs):
            public_pages_changed.send(sender=sender, paths=["/library/"])

        for model in (ResourceTopic, ResourceCity):
            for signal in (post_save, post_delete):
                signal.connect(tags_changed, sender=model, dispatch_uid=f"library.tags.{model}")

from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self):
        # Registers the tasks in every process: services start them by name.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_delete

        from . import tasks  # noqa: F401
        from .services import user_delete_guard

        # A user row is deleted only through services.account_delete.
        pre_delete.connect(
            user_delete_guard, sender=get_user_model(), dispatch_uid="members.user_delete_guard"
        )

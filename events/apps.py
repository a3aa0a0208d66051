from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"

    def ready(self):
        from members.billing import payment_checkout_completed
        from members.signals import account_deleting, account_exporting

        from . import accounts
        from .services import ticket_checkout_completed

        payment_checkout_completed.connect(ticket_checkout_completed, dispatch_uid="events-ticket")
        account_exporting.connect(accounts.account_export, dispatch_uid="events-account")
        account_deleting.connect(accounts.account_delete, dispatch_uid="events-account")

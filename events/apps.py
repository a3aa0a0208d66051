from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"

    def ready(self):
        from members.billing import payment_checkout_completed

        from .services import ticket_checkout_completed

        payment_checkout_completed.connect(ticket_checkout_completed, dispatch_uid="events-ticket")

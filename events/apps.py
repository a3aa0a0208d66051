from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"

    def ready(self):
        from members.billing import payment_checkout_completed
        from members.signals import account_deleting, account_exporting

        from . import accounts
        from .services.payments import ticket_checkout_completed
        from .signals import registration_email_owed, team_invitation_owed
        from .tasks import queue_registration_email, queue_team_invitation

        payment_checkout_completed.connect(ticket_checkout_completed, dispatch_uid="events-ticket")
        account_exporting.connect(accounts.account_export, dispatch_uid="events-account")
        account_deleting.connect(accounts.account_delete, dispatch_uid="events-account")
        # Services announce each email they record; the task that sends it is queued here.
        registration_email_owed.connect(queue_registration_email, dispatch_uid="events-email")
        team_invitation_owed.connect(queue_team_invitation, dispatch_uid="events-invitation")

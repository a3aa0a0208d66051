"""What events' services announce inside the app.

A service that records an email as owed sends one of these after its transaction commits;
events.apps connects them to events.tasks, which queues the Celery task that sends the email.
So tasks import services and services never import tasks.
"""

from django.dispatch import Signal

# email_id: a RegistrationEmail row not sent yet.
registration_email_owed = Signal()
# invitation_id: a TeamInvitation row not emailed yet.
team_invitation_owed = Signal()

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from members.demo import MEMBER_EMAIL, MEMBER_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD

# Each app that has demo content provides <app>/demo.py with load(stdout); the order
# follows the dependencies (reference data first, then people, then content about them).
DEMO_MODULES = [
    "vitals.demo",
    "members.demo",
    "civicnet.demo",
    "events.demo",
    "blog.demo",
    "newsletter.demo",
    "library.demo",
    "civicnet.demo_history",  # last: a year of history about all of the above
]


class Command(BaseCommand):
    help = "Load the demo content and logins. Safe to run again: nothing is duplicated."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when DEBUG is off (the demo logins have published passwords).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to load demo logins with DEBUG=0; pass --force.")
        # The demo registers people for events and subscribes them to the newsletter; their
        # confirmation emails would otherwise bury the logins in console output.
        email_backend = settings.EMAIL_BACKEND
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        try:
            for name in DEMO_MODULES:
                with transaction.atomic():
                    import_module(name).load(self.stdout)
        finally:
            settings.EMAIL_BACKEND = email_backend
        self.stdout.write(self.style.SUCCESS("Demo content is loaded."))
        self.stdout.write(f"Staff login:  {STAFF_EMAIL} / {STAFF_PASSWORD}  (admin at /admin/)")
        self.stdout.write(f"Member login: {MEMBER_EMAIL} / {MEMBER_PASSWORD}")

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Each app that has demo content provides <app>/demo.py with load(stdout); the order
# follows the dependencies (reference data first, then people, then content about them).
DEMO_MODULES = [
    "vitals.demo",
    "members.demo",
    "civicnet.demo",
    "events.demo",
    "blog.demo",
    "blog.newsletter.demo",
    "library.demo",
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
        for name in DEMO_MODULES:
            try:
                module = import_module(name)
            except ModuleNotFoundError as error:
                if error.name != name:
                    raise
                continue
            with transaction.atomic():
                module.load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo content is loaded."))

"""`make run`'s migrate: says in one line what it is about to do to the database, then does it."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def schema_message(*, where: str, applied: int, pending: int) -> str:
    if not applied:
        return f"Creating the database ({where})."
    if pending:
        plural = "s" if pending != 1 else ""
        return (
            f"The database ({where}) is from an older schema: applying {pending} migration{plural}."
        )
    return f"The database ({where}) is up to date."


class Command(BaseCommand):
    help = "Create or bring the database up to date, saying which in one line."

    def handle(self, *args, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        self.stdout.write(
            schema_message(
                where=connection.settings_dict["NAME"],
                applied=len(executor.loader.applied_migrations),
                pending=len(plan),
            )
        )
        call_command("migrate", interactive=False, verbosity=0)

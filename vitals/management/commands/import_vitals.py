import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vitals.importing import collect_paths
from vitals.services import vitals_import


class Command(BaseCommand):
    help = (
        "Import City Vitals CSV files (sources, indicators, metros, observations) from a "
        "directory or one file. Everything is checked first; on any problem nothing changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", help="A directory of CSV files, or one CSV file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report the changes, then undo them."
        )

    def handle(self, *args, target, dry_run, verbosity, **options):
        path = Path(target)
        if not path.exists():
            raise CommandError(f"{target} does not exist.")
        paths = collect_paths(path)
        if not paths:
            raise CommandError(f"{target} holds no .csv files.")
        files = []
        for file_path in paths:
            try:
                files.append((file_path.name, file_path.read_text(encoding="utf-8")))
            except UnicodeDecodeError as error:
                raise CommandError(f"{file_path.name} is not UTF-8 text ({error}).") from error

        def progress(label: str, done: int, total: int) -> None:
            if verbosity >= 1:
                percent = 100 * done // total if total else 100
                sys.stderr.write(f"\r{label}: {done:,}/{total:,} rows ({percent}%)")
                if done == total:
                    sys.stderr.write("\n")

        report = vitals_import(
            files=files, dry_run=dry_run, imported_by="manage.py import_vitals", progress=progress
        )
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(report.problems)} problem(s) found; nothing was imported. Fix them and run again."
            )
        for label, counts in report.counts.items():
            self.stdout.write(f"{label}: {counts}")
        if report.skipped:
            self.stdout.write(f"skipped {report.skipped} row(s) whose area has no 2023 metro code")
        for correction in report.corrections[:50]:
            self.stdout.write(
                f"corrected {correction.metro}, {correction.indicator} {correction.year} "
                f"({correction.source}): {correction.old_value:g} -> {correction.new_value:g}"
            )
        if len(report.corrections) > 50:
            self.stdout.write(f"... and {len(report.corrections) - 50} more corrections")
        if report.rankings is not None:
            self.stdout.write(f"rankings rebuilt: {report.rankings} ranks")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was saved."))
        elif report.changed:
            self.stdout.write(self.style.SUCCESS("Imported."))
        else:
            self.stdout.write(
                self.style.SUCCESS("Nothing changed: the figures were already up to date.")
            )

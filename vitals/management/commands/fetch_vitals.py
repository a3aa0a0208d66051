import tempfile
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vitals.fetching import acs, bea, laus, pep
from vitals.fetching.common import FetchError, MetroRef
from vitals.fetching.files import import_files
from vitals.models import Metro

AGENCIES = {"acs": acs, "pep": pep, "laus": laus, "bea": bea}
KEYS = {"acs": "CENSUS_API_KEY", "laus": "BLS_API_KEY", "bea": "BEA_API_KEY"}  # pep needs none
WRITTEN = {"sources.csv", "indicators.csv", "metros.csv", "observations.csv"}
SHOWN_SKIPS = 40


class Command(BaseCommand):
    help = (
        "Fetch one year of City Vitals figures from the agencies (Census ACS 1-year and "
        "population estimates, BLS LAUS, BEA) for every metropolitan area and the United "
        "States (national figures), with the metros' populations from the estimates, write "
        "them as import files and import them exactly as import_vitals does: all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="The data year, e.g. 2023.")
        parser.add_argument(
            "--out", help="Directory for the import files (default: a new temporary one)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Fetch and check, then undo the import."
        )
        parser.add_argument(
            "--only",
            default=",".join(AGENCIES),
            help=f"Comma-separated agencies to ask (default all: {', '.join(AGENCIES)}).",
        )
        parser.add_argument(
            "--pep-vintage",
            type=int,
            help="Population estimates vintage to read (default: the year itself).",
        )

    def handle(self, *args, year, out, dry_run, only, pep_vintage, verbosity, **options):
        if not 2005 <= year <= timezone.localdate().year:
            raise CommandError(f"--year {year} is not a year the agencies publish.")
        chosen = [name.strip() for name in only.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in AGENCIES]
        if unknown or not chosen:
            raise CommandError(
                f"--only takes {', '.join(AGENCIES)}; not {', '.join(unknown) or 'nothing'}."
            )
        missing = [
            KEYS[name] for name in chosen if name in KEYS and not getattr(settings, KEYS[name])
        ]
        if missing:
            raise CommandError(
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
                "the Census, BLS and BEA APIs each need a key. Set it in the environment, or "
                "leave that agency out with --only. Nothing was fetched."
            )
        metros = {
            m.cbsa_code: MetroRef(m.cbsa_code, m.name, m.states, m.population_year, m.delineation)
            for m in Metro.objects.only(
                "cbsa_code", "name", "states", "population_year", "delineation"
            )
        }
        if not metros:
            raise CommandError(
                "There are no metros yet: import the shipped data first "
                "(manage.py import_vitals vitals/data)."
            )
        if out:
            others = sorted(p.name for p in Path(out).glob("*.csv") if p.name not in WRITTEN)
            if others:
                raise CommandError(
                    f"{out} already holds other import files ({', '.join(others)}); "
                    "choose an empty directory."
                )

        batches = []
        for name in chosen:
            fetch = AGENCIES[name].fetch
            if name == "pep":
                fetch = partial(fetch, vintage=pep_vintage)
            try:
                batch = fetch(year, metros)
            except FetchError as error:
                raise CommandError(f"{error}\nNothing was written or imported.") from error
            batches.append(batch)
            self.stdout.write(
                f"{AGENCIES[name].AGENCY}: {len(batch.figures)} figures, "
                f"{len(batch.skipped)} skipped, {batch.requests} request(s)"
            )

        folder = Path(out) if out else Path(tempfile.mkdtemp(prefix=f"vitals-{year}-"))
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.glob("*.csv"):
            path.unlink()
        for file_name, text in import_files(batches, set(metros)):
            (folder / file_name).write_text(text, encoding="utf-8")
        skipped = [str(skip) for batch in batches for skip in batch.skipped]
        (folder / "skipped.txt").write_text(
            "".join(f"{line}\n" for line in skipped), encoding="utf-8"
        )
        for line in skipped[:SHOWN_SKIPS]:
            self.stdout.write(line)
        if len(skipped) > SHOWN_SKIPS:
            self.stdout.write(f"... and {len(skipped) - SHOWN_SKIPS} more (see skipped.txt)")
        self.stdout.write(f"Import files written to {folder}")

        call_command(
            "import_vitals",
            str(folder),
            dry_run=dry_run,
            verbosity=verbosity,
            stdout=self.stdout,
            stderr=self.stderr,
        )

"""`make run` serves the demo from SQLite while the rest of the suite runs on PostgreSQL: here the
demo is migrated and loaded into a fresh SQLite file as `make run` does, and the main page of
each kind is asked for by a visitor, the demo member and staff (scripts/check_newcomer.py, which
CI also runs against `make run` itself). SQL that only PostgreSQL understands fails here."""

import os
import subprocess
import sys

from django.conf import settings

# What the suite sets and a newcomer's laptop has not (scripts/check_make_run.sh unsets the same).
SUITE_ONLY = {"REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "EMAIL_URL", "PAGE_CACHE_SECONDS"}


def test_the_demo_on_sqlite_serves_each_kind_of_page_to_each_persona(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in SUITE_ONLY}
    env |= {
        "DJANGO_SETTINGS_MODULE": "civicnet.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
    }
    steps = [
        ["manage.py", "migrate_explained"],
        ["manage.py", "load_demo"],
        ["scripts/check_newcomer.py", "--in-process"],
    ]
    for step in steps:
        result = subprocess.run(
            [sys.executable, *step],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"{' '.join(step)}:\n{result.stdout}\n{result.stderr}"

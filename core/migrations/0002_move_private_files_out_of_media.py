"""Private uploads used to live under MEDIA_ROOT; they move to PRIVATE_MEDIA_ROOT, keeping
their names (so no database row changes). The `move_private_files` command does the same."""

from django.db import migrations


def move_private_files(apps, schema_editor):
    from core.files import private_files_move_from_media

    private_files_move_from_media()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_held_tasks")]

    operations = [
        migrations.RunPython(move_private_files, migrations.RunPython.noop, elidable=True),
    ]

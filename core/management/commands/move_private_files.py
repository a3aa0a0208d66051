from django.core.management.base import BaseCommand

from core.files import private_files_move_from_media


class Command(BaseCommand):
    help = (
        "Move private uploads (documents, challenge attachments, import uploads, any folder "
        "not public) out of MEDIA_ROOT into PRIVATE_MEDIA_ROOT. Safe to run again; `migrate` "
        "runs it once, run it again after restoring a backup into MEDIA_ROOT."
    )

    def handle(self, *args, **options):
        moved = private_files_move_from_media(stdout=self.stdout)
        if not moved:
            self.stdout.write("No private files in MEDIA_ROOT.")

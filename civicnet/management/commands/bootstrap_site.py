from django.core.management.base import BaseCommand
from django.db import transaction

import blog.demo
import civicnet.demo
import library.demo
import members.demo
import vitals.demo
from core.page_cache import page_cache_clear


class Command(BaseCommand):
    help = (
        "Give a new deployment its first content: the home page, the about and member-benefit "
        "pages, the blog and library sections, the membership plans and the real City Vitals "
        "data. Creates no logins and no demo posts; safe to run on every deploy."
    )

    def handle(self, *args, **options):
        # Reference data first: the home page's counters and the metro pages read it.
        with transaction.atomic():
            vitals.demo.load(self.stdout)
        with transaction.atomic():
            members.demo.plans_ensure()
            civicnet.demo.load(self.stdout)
            home = civicnet.demo.HomePage.objects.get()
            blog.demo.index_ensure(home)
            library.demo.index_ensure(home)
        # A page cached before this ran (Wagtail's welcome page) must not outlive it.
        page_cache_clear()
        self.stdout.write(
            self.style.SUCCESS("The site is in place: home page, sections, plans, City Vitals.")
        )

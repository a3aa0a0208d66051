"""Demo content for the library: the index at /library/, topics, cities, resources with small
generated PDF and CSV files, a reading list, the City Dividends framework and a review
workflow for library pages."""

import datetime
import io
import textwrap

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from wagtail.documents.models import Document
from wagtail.models import (
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from core.pages import site_home
from members.demo import MEMBER_EMAIL
from vitals.models import Dividend

from .models import LibraryIndexPage, ResourceCity, ResourceDocument, ResourcePage, ResourceTopic
from .selectors import library_collection
from .services import reading_mark_done

TOPICS = ["Transit", "Talent", "Housing", "Open data", "Economy", "Civic engagement"]
CITIES = ["Cleveland, OH", "Denver, CO", "Chattanooga, TN", "Pittsburgh, PA", "Austin, TX"]

T = ResourcePage.ResourceType


def _p(*paragraphs):
    return [("paragraph", f"<p>{text}</p>") for text in paragraphs]


RESOURCES = [
    {
        "slug": "bus-network-redesign-playbook",
        "title": "Bus network redesign playbook",
        "type": T.TOOLKIT,
        "summary": "A step-by-step guide to redrawing a bus network around frequent routes: "
        "data to gather, public meetings to hold, and the trade-offs to explain.",
        "topics": ["Transit"],
        "cities": ["Cleveland, OH", "Denver, CO"],
        "date": datetime.date(2026, 10, 20),
        "body": [("heading", "Before you start")]
        + _p(
            "Map where jobs and people are, not where the buses run today. A travel-time "
            "isochrone for twenty representative addresses tells more than any survey.",
            "Agree with your board on the goal in one sentence, e.g. 'more people within "
            "forty-five minutes of more jobs', and publish it before drawing a single line.",
        )
        + [("heading", "The five stages")]
        + [
            (
                "paragraph",
                "<ol><li>Choices report (eight weeks)</li><li>Two concept networks"
                "</li><li>Public comment on the concepts</li><li>Draft network</li>"
                "<li>Launch on one date, with street teams at busy stops</li></ol>",
            )
        ],
        "files": [("Redesign checklist", "pdf")],
    },
    {
        "slug": "talent-attraction-benchmarks-2026",
        "title": "Talent attraction benchmarks 2026",
        "type": T.REPORT,
        "summary": "How the fifty largest metros did at gaining and keeping college-educated "
        "young adults over five years, with the policies the leaders share.",
        "topics": ["Talent", "Economy"],
        "cities": ["Pittsburgh, PA", "Austin, TX"],
        "date": datetime.date(2026, 9, 30),
        "body": _p(
            "Twelve metros grew their share of college-educated 25 to 34 year olds by more "
            "than ten per cent. Nine of them did three things: expanded downtown housing, "
            "ran a frequent transit spine, and funded a paid internship programme with local "
            "employers.",
            "The full tables, by metro and by year, are in the attached dataset.",
        ),
        "files": [("Benchmarks report", "pdf"), ("Benchmarks data", "csv")],
    },
    {
        "slug": "chattanooga-fibre-case-study",
        "title": "Case study: a city-owned fibre network",
        "type": T.CASE_STUDY,
        "summary": "How a mid-sized city's electric utility built gigabit internet for every "
        "home, what it cost, and what changed for small businesses.",
        "topics": ["Economy", "Open data"],
        "cities": ["Chattanooga, TN"],
        "date": datetime.date(2026, 8, 12),
        "body": _p(
            "The utility justified the network first as a smart electric grid; broadband was "
            "a second use of the same fibre. That sequencing made the bond financing possible.",
            "Ten years on, the lessons for other cities are less about technology than "
            "governance: an independent board, published accounts and a low-income tier from "
            "day one.",
        ),
        "files": [("Case study", "pdf")],
    },
    {
        "slug": "open-data-starter-kit",
        "title": "Open data starter kit",
        "type": T.DATASET,
        "summary": "Templates for a city's first ten open datasets: column descriptions, "
        "refresh schedules and a sample data-owner agreement.",
        "topics": ["Open data"],
        "cities": [],
        "date": datetime.date(2026, 7, 1),
        "body": _p(
            "Start with the datasets residents already ask for: 311 requests, building permits, "
            "crime reports, budget, transit stops. Each template names the owner, the refresh "
            "interval and every column.",
        ),
        "files": [("Dataset templates", "csv")],
    },
    {
        "slug": "webinar-civic-engagement-that-scales",
        "title": "Webinar recording: civic engagement that scales",
        "type": T.RECORDING,
        "summary": "Three organisers on getting beyond the usual ten people at public meetings, "
        "recorded at the September members' webinar.",
        "topics": ["Civic engagement"],
        "cities": ["Denver, CO"],
        "date": datetime.date(2026, 9, 18),
        "body": _p(
            "Chapters: 00:00 introductions; 06:30 meeting people where they are; 24:10 paying "
            "residents for their time; 41:00 questions from members.",
        ),
        "files": [("Slides", "pdf")],
    },
]

READING_LIST = {
    "slug": "reading-list-november-2026",
    "title": "Reading list: November 2026",
    "type": T.READING_LIST,
    "summary": "This month's Continuing Education list: five readings on transit and talent, "
    "in the order we suggest, with a note on each.",
    "topics": ["Transit", "Talent"],
    "date": datetime.date(2026, 11, 1),
}

FRAMEWORK = {
    "slug": "city-dividends-framework",
    "title": "The City Dividends framework",
    "type": T.FRAMEWORK,
    "summary": "Small, measurable changes that pay large economic dividends: the areas, the "
    "evidence behind each, and how to estimate the dividend for your metro.",
    "topics": ["Economy", "Transit", "Talent"],
    "date": datetime.date(2026, 6, 15),
}

DIVIDEND_TAGS = {
    "talent-attraction-benchmarks-2026": Dividend.TALENT,
    "bus-network-redesign-playbook": Dividend.GREEN,
}


def make_pdf(title: str, text: str) -> bytes:
    """A one-page PDF drawn with Pillow: a heading and wrapped text."""
    page = Image.new("RGB", (1240, 1754), "white")
    pen = ImageDraw.Draw(page)
    pen.rectangle((0, 0, 1240, 160), fill="#0b4f5c")
    pen.text((80, 52), "civicnet resource library", fill="white", font=ImageFont.load_default(40))
    body_font = ImageFont.load_default(30)
    pen.text((80, 230), title, fill="#14232b", font=ImageFont.load_default(52))
    y = 340
    for line in textwrap.wrap(text, 64):
        pen.text((80, y), line, fill="#14232b", font=body_font)
        y += 46
    pen.text(
        (80, 1650),
        "For civicnet members. Please do not redistribute.",
        fill="#4a5a63",
        font=body_font,
    )
    buffer = io.BytesIO()
    page.save(buffer, "PDF", resolution=150)
    return buffer.getvalue()


def make_csv(title: str) -> bytes:
    rows = [
        "metro,year,value",
        "Cleveland OH,2025,31.2",
        "Denver CO,2025,44.8",
        "Austin TX,2025,47.1",
    ]
    return ("# " + title + "\n" + "\n".join(rows) + "\n").encode()


def _document(resource_slug: str, title: str, kind: str, summary: str) -> Document:
    full_title = f"{title} ({resource_slug})"
    existing = Document.objects.filter(title=full_title).first()
    if existing:
        return existing
    content = make_pdf(title, summary) if kind == "pdf" else make_csv(title)
    return Document.objects.create(
        title=full_title,
        file=ContentFile(content, name=f"{resource_slug}-{kind}.{kind}"),
        collection=library_collection(),
    )


def _add(index, spec, body, topics, cities, files=()):
    resource = ResourcePage(
        title=spec["title"],
        slug=spec["slug"],
        resource_type=spec["type"],
        summary=spec["summary"],
        date=spec["date"],
        body=body,
    )
    index.add_child(instance=resource)
    resource.topics.set([topics[name] for name in spec.get("topics", [])])
    resource.cities.set([cities[name] for name in spec.get("cities", [])])
    resource.documents = [
        ResourceDocument(
            document=_document(spec["slug"], title, kind, spec["summary"]), title=title
        )
        for title, kind in files
    ]
    resource.save()
    resource.save_revision().publish()
    return resource


def _review_workflow(index) -> None:
    """Library pages go through review before they are published (draft → review → publish)."""
    if WorkflowPage.objects.filter(page=index).exists():
        return
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    task = GroupApprovalTask.objects.filter(name="Library review").first()
    if task is None:
        task = GroupApprovalTask.objects.create(name="Library review")
        task.groups.set([moderators])
    workflow, _ = Workflow.objects.get_or_create(name="Library publishing")
    if not WorkflowTask.objects.filter(workflow=workflow).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.create(workflow=workflow, page=index)


def _library_editors(index) -> None:
    """A group that edits the library and its files, and nothing else: pages they write go
    to review; files they upload land in the members-only collection."""
    group, _ = Group.objects.get_or_create(name="Library editors")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    for codename in ("add_page", "change_page"):
        GroupPagePermission.objects.get_or_create(
            group=group,
            page=index,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )
    for codename in ("add_document", "change_document", "choose_document"):
        GroupCollectionPermission.objects.get_or_create(
            group=group,
            collection=library_collection(),
            permission=Permission.objects.get(
                content_type__app_label="wagtaildocs", codename=codename
            ),
        )


def index_ensure(home: Page) -> LibraryIndexPage:
    """The library's index page, its review workflow, its editors' group and the members-only
    collection (a new deployment needs all of them too)."""
    index = LibraryIndexPage.objects.first()
    if index is None:
        index = home.add_child(
            instance=LibraryIndexPage(
                title="Resource library",
                slug="library",
                intro="Reports, toolkits, case studies, datasets and webinar recordings from "
                "the network, chosen because they help cities act.",
                show_in_menus=True,
            )
        )
        index.save_revision().publish()
    library_collection()
    _review_workflow(index)
    _library_editors(index)
    return index


def load(stdout) -> None:
    home = site_home()
    if home is None:
        stdout.write("No home page: skipping the library.")
        return
    index = index_ensure(home)

    topics = {
        name: ResourceTopic.objects.get_or_create(
            slug=name.lower().replace(" ", "-"), defaults={"name": name}
        )[0]
        for name in TOPICS
    }
    cities = {
        name: ResourceCity.objects.get_or_create(
            slug=name.split(",")[0].lower().replace(" ", "-"), defaults={"name": name}
        )[0]
        for name in CITIES
    }
    created = 0
    for spec in RESOURCES:
        if not ResourcePage.objects.filter(slug=spec["slug"]).exists():
            _add(index, spec, spec["body"], topics, cities, spec["files"])
            created += 1
    by_slug = {page.slug: page for page in ResourcePage.objects.all()}

    if READING_LIST["slug"] not in by_slug:
        body = [("heading", "Read in this order")]
        for slug, note in [
            ("bus-network-redesign-playbook", "Start with stage one: the choices report."),
            ("talent-attraction-benchmarks-2026", "Find your metro's peers in table two."),
        ]:
            body.append(("reading_item", {"resource": by_slug[slug], "note": note}))
        body += [
            (
                "external_reading",
                {
                    "title": "Human Transit",
                    "author": "Jarrett Walker",
                    "note": "The clearest book on why frequency matters. Chapters 1 to 4.",
                },
            ),
            (
                "external_reading",
                {
                    "title": "The Death and Life of Great American Cities",
                    "author": "Jane Jacobs",
                    "note": "Re-read the chapter on the uses of sidewalks with your own street in mind.",
                },
            ),
        ]
        by_slug[READING_LIST["slug"]] = _add(index, READING_LIST, body, topics, cities)
        created += 1

    if FRAMEWORK["slug"] not in by_slug:
        body = _p(
            "The framework names six areas where an incremental change, sustained for a few "
            "years, yields a measurable economic dividend. Each area below gives the change, "
            "the evidence and the library resources that help."
        ) + [
            (
                "framework_area",
                {
                    "title": "Cut the commute",
                    "change": "Reduce the average one-way commute by one minute through "
                    "frequent transit and signal timing.",
                    "evidence": "<p>Across a metro of a million workers, one minute each way "
                    "returns about eight million hours a year.</p>",
                    "resources": [by_slug["bus-network-redesign-playbook"]],
                },
            ),
            (
                "framework_area",
                {
                    "title": "Keep young talent",
                    "change": "Raise the share of college-educated 25 to 34 year olds by one "
                    "percentage point.",
                    "evidence": "<p>Metros that gain young graduates add jobs faster in the "
                    "following five years.</p>",
                    "resources": [by_slug["talent-attraction-benchmarks-2026"]],
                },
            ),
            (
                "framework_area",
                {
                    "title": "Publish the data",
                    "change": "Open ten core datasets with named owners and refresh schedules.",
                    "evidence": "<p>Cities with maintained open data get outside analysis "
                    "they would otherwise pay consultants for.</p>",
                    "resources": [by_slug["open-data-starter-kit"]],
                },
            ),
        ]
        by_slug[FRAMEWORK["slug"]] = _add(
            index, FRAMEWORK, body, topics, cities, [("Dividend worksheet", "pdf")]
        )
        created += 1

    if not index.recommended:
        index.recommended = [
            (
                "resource",
                {"resource": by_slug[READING_LIST["slug"]], "note": "This month's reading list."},
            ),
            (
                "resource",
                {"resource": by_slug[FRAMEWORK["slug"]], "note": "Where small changes pay most."},
            ),
            (
                "resource",
                {
                    "resource": by_slug["bus-network-redesign-playbook"],
                    "note": "Most downloaded in October.",
                },
            ),
        ]
        index.save_revision().publish()
    # Listed under "Who is working on this" on the City Dividends pages; only untagged ones.
    for slug, dividend in DIVIDEND_TAGS.items():
        ResourcePage.objects.filter(slug=slug, dividend="").update(dividend=dividend)
    # The demo member read the bus playbook: a reading on their learning record.
    member = get_user_model().objects.filter(email=MEMBER_EMAIL).first()
    if member is not None:
        reading_mark_done(
            user=member,
            resource=by_slug["bus-network-redesign-playbook"],
            now=timezone.now() - datetime.timedelta(days=12),
        )
    stdout.write(f"Library: {ResourcePage.objects.count()} resources in place ({created} new).")

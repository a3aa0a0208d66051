"""Demo content for the blog: the index at /blog/, authors, categories and posts written
for this site, illustrated with pictures drawn by blog.illustrations (no licence terms)."""

import datetime

from django.core.files.images import ImageFile
from wagtail.images.models import Filter, Image
from wagtail.models import Collection, Page

from core.pages import site_home

from .illustrations import draw
from .models import Author, BlogCategory, BlogIndexPage, BlogPage

AUTHORS = [
    (
        "maya-ortiz",
        "Maya Ortiz",
        "Research director",
        "civicnet",
        "Maya runs City Vitals. Before civicnet she built transit ridership models for a regional "
        "planning agency and still rides every new bus line she writes about.",
    ),
    (
        "jon-abernathy",
        "Jon Abernathy",
        "Editor",
        "civicnet",
        "Jon edits the blog and the monthly newsletter. He spent a decade as a city-hall reporter "
        "in Milwaukee and Columbus.",
    ),
    (
        "priya-raman",
        "Priya Raman",
        "Senior fellow",
        "Urban Talent Lab",
        "Priya studies how cities attract and keep young, educated workers, and what that does "
        "to their economies.",
    ),
]

CATEGORIES = [
    (
        "ideas",
        "Ideas",
        "Arguments about what makes cities work, and what we should try next.",
        False,
    ),
    (
        "data",
        "Data stories",
        "What the numbers in City Vitals and elsewhere say about cities.",
        False,
    ),
    ("transit", "Transit", "Buses, trains, bikes, sidewalks: how people get around.", False),
    ("talent", "Talent", "Where people with skills choose to live, and why it matters.", False),
    (
        "changemaker",
        "Changemaker",
        "A monthly Q&A with someone changing their city, in their own words.",
        True,
    ),
]

P = "paragraph"


def _p(*paragraphs: str) -> list:
    return [(P, f"<p>{text}</p>") for text in paragraphs]


POSTS = [
    {
        "slug": "the-ten-minute-bus",
        "title": "The ten-minute bus: why frequency beats coverage",
        "standfirst": "Cities that redrew their bus maps around a few frequent routes gained riders. "
        "The ones that tried to serve every street mostly did not.",
        "date": datetime.date(2026, 10, 28),
        "authors": ["maya-ortiz"],
        "categories": ["transit", "data"],
        "tags": ["buses", "network redesign", "ridership"],
        "illustration": "transit",
        "body": _p(
            "Ask a transit planner what riders want and you will hear the same answer in every "
            "city: a bus that comes soon. Not a bus that stops at their door, not a bus with "
            "Wi-Fi, but one that turns up often enough that nobody needs a timetable.",
            "Over the last decade a dozen American cities tested the idea by redrawing their "
            "networks. They cut meandering routes that ran once an hour and put the same "
            "driver hours into straight lines that run every ten or fifteen minutes.",
        )
        + [
            (
                "data_figure",
                {
                    "title": "Change in weekday bus boardings in the two years after a redesign",
                    "label_heading": "City",
                    "value_heading": "Change in weekday boardings",
                    "unit": "%",
                    "rows": [
                        {"label": "City A (frequent grid)", "value": "18"},
                        {"label": "City B (frequent grid)", "value": "11"},
                        {"label": "City C (coverage kept)", "value": "-3"},
                        {"label": "City D (coverage kept)", "value": "-6"},
                    ],
                    "source": "Illustrative figures compiled for this post from agency reports.",
                },
            ),
            ("heading", "Who loses, and what to do about it"),
        ]
        + _p(
            "Frequency has a price: some people end up with a longer walk. The redesigns that "
            "held up politically were honest about it, published maps of who would walk further, "
            "and paired the change with on-demand service for older riders.",
        )
        + [
            (
                "quote",
                {
                    "quote": "We stopped asking which streets deserve a bus and started asking "
                    "how many people can reach a job in forty-five minutes.",
                    "attribution": "A transit board chair, at the spring National Meeting",
                },
            )
        ],
    },
    {
        "slug": "talent-is-the-new-infrastructure",
        "title": "Talent is the new infrastructure",
        "standfirst": "Highways and ports once decided which cities grew. Today the best "
        "predictor is how many college-educated young adults choose to live there.",
        "date": datetime.date(2026, 10, 14),
        "authors": ["priya-raman"],
        "categories": ["talent", "ideas"],
        "tags": ["talent", "young adults", "economy"],
        "illustration": "network",
        "body": _p(
            "For most of the twentieth century, a city's fortunes followed its physical "
            "advantages: a harbour, a rail junction, an interstate exit. Firms went where the "
            "freight went and workers followed the firms.",
            "That order has flipped. Companies now open offices where they can hire, and the "
            "people they most want to hire are mobile, picky and young. Metros that gain "
            "twenty-five to thirty-four year olds with degrees add jobs faster afterwards, "
            "not before.",
            "The lesson for city leaders is uncomfortable. Tax breaks for a headquarters move "
            "matter less than the things that make a place worth choosing: walkable "
            "neighbourhoods, good transit, a lively downtown, and a reputation for welcoming "
            "newcomers.",
        )
        + [("heading", "What you can measure this year")]
        + _p(
            "City Vitals tracks the share of young adults with a four-year degree in each "
            "large metro. It moves slowly, but it moves: look at the trend, not the rank.",
        ),
    },
    {
        "slug": "changemaker-a-librarian-who-rewired-a-neighbourhood",
        "title": "Changemaker: Denise Whitfield, the librarian who rewired a neighbourhood",
        "standfirst": "Denise Whitfield runs the Eastgate branch library in Cleveland. In five "
        "years she turned a quiet reading room into the busiest civic space on her side of town.",
        "date": datetime.date(2026, 10, 1),
        "authors": ["jon-abernathy"],
        "categories": ["changemaker"],
        "tags": ["libraries", "neighbourhoods", "interview"],
        "illustration": "circles",
        "body": [
            *_p(
                "Denise Whitfield has been the branch manager at Eastgate since 2021. Before "
                "that she spent eleven years in the county system's outreach van, which she "
                "says taught her more about the east side than any census table. We talked in "
                "the branch's old periodicals room, now a tool library, on a Tuesday evening "
                "when every table was taken."
            ),
            ("heading", "What did the branch look like when you arrived?"),
            *_p(
                "Clean, calm and nearly empty. We had forty visitors on a good day, and most of "
                "them came for the computers. The neighbourhood around us had lost its grocery "
                "store and its bank branch in the same year, and people had stopped expecting "
                "anything new to open. A library in that situation can become one more building "
                "people walk past.",
                "The staff were good, and tired. They had been told for years to protect the "
                "collection and keep things quiet. Nobody had asked them what the neighbourhood "
                "needed, and nobody had asked the neighbourhood either.",
            ),
            ("heading", "Where did you start?"),
            *_p(
                "With a clipboard. For the first three months I spent every Saturday morning "
                "outside the laundromat and the bus stop on Lakeview, asking one question: what "
                "would make you come in? I heard 212 answers. Only nine mentioned books.",
                "The most common answer was 'if you were open when I'm not at work'. We were "
                "closed by six, which is exactly when people get home. Moving to noon-to-eight "
                "cost nothing, because the hours simply shifted, and doubled our evening visits "
                "within a month.",
            ),
            ("heading", "And the idea other cities copy now?"),
            *_p(
                "The tool shelf. Residents can borrow a drill, a ladder, a pressure washer or a "
                "sewing machine with their library card. We started with forty items donated by "
                "a hardware store that was closing. Today there are more than six hundred, and "
                "they go out about nine thousand times a year.",
                "It sounds small, but it brought in people who had never been inside a library: "
                "landlords fixing up a double, teenagers building a go-kart, a retired machinist "
                "who now runs a repair clinic on the first Thursday of every month. They come "
                "for a tool and stay for everything else.",
            ),
            ("heading", "How do you know it is working?"),
            *_p(
                "We count, and we publish what we count. Visits are up from about 14,000 a year "
                "to 61,000. Library cards issued in our area went from 300 a year to 1,900. The "
                "repair clinic has fixed 1,400 things that would otherwise have gone to landfill.",
                "The number I care most about is harder to measure. When the city held its "
                "budget meetings last spring, the one at our branch drew 140 people. The one "
                "at city hall drew 35. People came because they already knew the room.",
            ),
            ("heading", "What did it cost?"),
            *_p(
                "Less than people assume. The hours change was free. The tool library runs on "
                "$38,000 a year, most of it one part-time coordinator, paid by a community "
                "foundation grant that the county has now picked up. The repair clinic is run "
                "by volunteers. The biggest cost was staff time spent listening, and that is the "
                "part I would never cut.",
            ),
            ("heading", "What would you tell a librarian in another city?"),
            *_p(
                "Go outside before you change anything inside. Ask people what they need, write "
                "it down, and then do the cheapest thing on the list first, quickly, so they see "
                "that asking led somewhere.",
                "And find your partners early. Our councilwoman, the community development "
                "corporation and two pastors were in the room from the start. When we needed a "
                "zoning exception for the repair clinic's workbench, it took a week, not a year.",
            ),
            (
                "quote",
                {
                    "quote": "A library is the last indoor place where you don't have to buy "
                    "anything to belong.",
                    "attribution": "Denise Whitfield, Eastgate branch library, Cleveland",
                },
            ),
            *_p(
                "Denise Whitfield is a member of the Greater Cleveland cluster. The Eastgate "
                "tool library's lending policy and inventory template are in the resource "
                "library for members."
            ),
        ],
    },
    {
        "slug": "reading-city-vitals-without-fooling-yourself",
        "title": "How to read City Vitals without fooling yourself",
        "standfirst": "Rankings are a conversation starter, not a verdict. Four habits help you "
        "get real answers from the figures.",
        "date": datetime.date(2026, 9, 17),
        "authors": ["maya-ortiz"],
        "categories": ["data"],
        "tags": ["city vitals", "methods", "data"],
        "illustration": "bars",
        "body": _p(
            "Every year someone emails us to ask why their metro fell four places. Usually the "
            "answer is that it did not get worse; a few peers got slightly better, and the "
            "differences between ranks twenty and twenty-four are smaller than the margin of "
            "error in the survey behind them.",
        )
        + [("heading", "Four habits")]
        + [
            (
                P,
                "<ol><li><b>Read the value, not just the rank.</b> A rank hides how close "
                "the pack is.</li><li><b>Compare with peers.</b> A metro of two million "
                "should be judged against others its size.</li><li><b>Look at five years.</b> "
                "One year is noise; five is a trend.</li><li><b>Check the source.</b> Each "
                "indicator page says where the figure comes from and when it was "
                "measured.</li></ol>",
            )
        ]
        + _p(
            "Used this way, the rankings are good at one thing: showing you which city to call. "
            "If a peer metro moved the needle on commute times, someone there knows how.",
        ),
    },
    {
        "slug": "small-changes-big-dividends",
        "title": "Small changes, big dividends",
        "standfirst": "You do not need a stadium to move a city's economy. Shaving a few minutes "
        "off the average commute is worth more than most megaprojects.",
        "date": datetime.date(2026, 9, 3),
        "authors": ["priya-raman", "maya-ortiz"],
        "categories": ["ideas"],
        "tags": ["city dividends", "economy", "commuting"],
        "illustration": "grid",
        "body": _p(
            "The City Dividends framework starts from a simple calculation: if you improve "
            "something every resident does every day by a little, the total is enormous. One "
            "minute less commuting each way, across a metro of a million workers, gives back "
            "eight million hours a year.",
            "The same arithmetic applies to reducing vacant lots, keeping more students through "
            "high school, or cutting the share of income spent on getting around. None of these "
            "needs a ribbon-cutting, which is precisely why they get overlooked.",
            "Members can read the full framework, with the evidence for each area and a "
            "worksheet to estimate the dividend for their own metro, in the resource library.",
        )
        + [
            (
                "call_to_action",
                {
                    "heading": "Read the City Dividends framework",
                    "text": "The evidence, the worksheet and the case studies are in the library.",
                    "link_url": "/library/",
                    "link_text": "Open the library",
                },
            )
        ],
    },
    {
        "slug": "what-a-bike-lane-is-worth-to-main-street",
        "title": "What a bike lane is worth to Main Street",
        "standfirst": "Shop owners fear losing parking. Sales data from streets that made the "
        "switch tell a more hopeful story.",
        "date": datetime.date(2026, 8, 20),
        "authors": ["jon-abernathy"],
        "categories": ["transit", "data"],
        "tags": ["bikes", "retail", "streets"],
        "illustration": "skyline",
        "body": _p(
            "When a city proposes replacing a row of parking with a protected bike lane, the "
            "loudest objections come from the businesses along it. Their worry is reasonable: "
            "customers who cannot park might go elsewhere.",
            "Yet the before-and-after studies that exist mostly find sales holding steady or "
            "rising. People on foot and on bikes spend less per visit but come more often, and "
            "a calmer street makes lingering pleasant.",
            "The caveat is that the studies are few and mostly from busy central streets. If "
            "your city tries it, measure: count visitors and ask merchants to share sales "
            "figures before the paint goes down, not after.",
        ),
    },
    {
        "slug": "changemaker-a-founder-who-stayed",
        "title": "Changemaker: the founder who stayed",
        "standfirst": "She could have moved her software company to the coast. She kept it in "
        "her hometown, and now mentors the next twenty founders there.",
        "date": datetime.date(2026, 8, 1),
        "authors": ["priya-raman"],
        "categories": ["changemaker", "talent"],
        "tags": ["startups", "talent", "interview"],
        "illustration": "network",
        "body": [
            ("heading", "Investors told you to move. Why didn't you?"),
            *_p(
                "Because my engineers were here, and they were here because they liked their "
                "lives. Rent was a third of what it would have been. I did the maths and staying "
                "was the growth strategy."
            ),
            ("heading", "What does the city get wrong about founders?"),
            *_p(
                "It thinks we want incentives. We want customers. The most useful thing our "
                "city did was let local start-ups bid on small municipal contracts without a "
                "three-year track record."
            ),
            ("heading", "What would you tell a mayor?"),
            *_p(
                "Fix the airport connections and the downtown apartments. Talent follows "
                "talent; give the first hundred people a reason to stay and the next thousand "
                "will come."
            ),
        ],
    },
    {
        "slug": "the-case-for-publishing-your-citys-data",
        "title": "The case for publishing your city's data",
        "standfirst": "Open data is not a transparency gesture. Done well, it is the cheapest "
        "consulting a city will ever buy.",
        "date": datetime.date(2026, 7, 16),
        "authors": ["maya-ortiz"],
        "categories": ["data", "ideas"],
        "tags": ["open data", "civic tech", "data"],
        "illustration": "bars",
        "body": _p(
            "When a city publishes its pothole reports, bus arrival times or building permits "
            "in a format anyone can download, something predictable happens: a volunteer, a "
            "student or a reporter finds a pattern the city had missed.",
            "The cost is lower than most departments fear. The hard part is not the portal but "
            "the habit: a named owner for each dataset, a schedule for refreshing it, and a "
            "plain description of what each column means.",
            "City Vitals follows its own advice. Every figure behind the rankings can be "
            "downloaded as CSV or JSON from the rankings page, with its source.",
        ),
    },
    {
        "slug": "where-young-graduates-move-next",
        "title": "Where young graduates are moving next",
        "standfirst": "The usual coastal magnets are slowing. A set of mid-sized metros in the "
        "South and Mountain West is quietly catching up.",
        "date": datetime.date(2026, 6, 30),
        "authors": ["priya-raman"],
        "categories": ["talent", "data"],
        "tags": ["talent", "migration", "young adults"],
        "illustration": "skyline",
        "body": _p(
            "For twenty years, the map of where new graduates moved barely changed: a handful "
            "of expensive coastal metros took the lion's share. Housing costs have finally "
            "bent that map.",
            "The fastest gains are now in mid-sized metros with a major university, a "
            "walkable core and rents under the national median. They are not winning on pay; "
            "they are winning on what pay buys.",
        )
        + [
            (
                "data_figure",
                {
                    "title": "Growth in college-educated 25 to 34 year olds, five years",
                    "label_heading": "Group of metros",
                    "value_heading": "Five-year growth",
                    "unit": "%",
                    "rows": [
                        {"label": "Mid-sized university metros", "value": "14"},
                        {"label": "Large Sun Belt metros", "value": "11"},
                        {"label": "Coastal superstar metros", "value": "4"},
                        {"label": "All large metros", "value": "8"},
                    ],
                    "source": "Illustrative groupings for this post; see City Vitals for each metro.",
                },
            )
        ],
    },
]


def _illustration(slug: str, kind: str, title: str, collection: Collection) -> Image:
    image_title = f"Illustration: {title}"
    existing = Image.objects.filter(title=image_title).first()
    if existing:
        return existing
    data = draw(kind, seed=sum(map(ord, slug)))
    from io import BytesIO

    return Image.objects.create(
        title=image_title,
        file=ImageFile(BytesIO(data), name=f"{slug}.png"),
        description=f"An abstract {kind} illustration in civicnet colours.",
        collection=collection,
    )


# The renditions the post page and the post cards ask for (templates/blog/blog_page.html,
# blog/includes/post_card.html): made here, so a post's first visitor does not wait the two
# seconds of CPU (mostly AVIF encoding) they take.
HERO_RENDITIONS = [
    "fill-1200x630",
    "fill-480x270",
    *Filter.expand_spec(["format-{avif,webp,jpeg}", "fill-{800x400,1600x800}"]),
]


def _renditions_ensure(image: Image) -> None:
    image.get_renditions(*HERO_RENDITIONS)


def index_ensure(home: Page) -> BlogIndexPage:
    """The blog's index page under the home page (a new deployment needs it too)."""
    index = BlogIndexPage.objects.first()
    if index is None:
        index = home.add_child(
            instance=BlogIndexPage(
                title="Blog",
                slug="blog",
                intro="Ideas, data stories and the monthly Changemaker interview from "
                "the civicnet network.",
                show_in_menus=True,
            )
        )
        index.save_revision().publish()
    return index


def load(stdout) -> None:
    home = site_home()
    if home is None:
        stdout.write("No home page: skipping the blog.")
        return
    index = index_ensure(home)

    root = Collection.get_first_root_node()
    collection = Collection.objects.filter(name="Blog illustrations").first() or root.add_child(
        name="Blog illustrations"
    )
    authors = {}
    for slug, name, role, organisation, bio in AUTHORS:
        authors[slug], _ = Author.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "role": role, "organisation": organisation, "bio": bio},
        )
    categories = {}
    for slug, name, description, is_series in CATEGORIES:
        categories[slug], _ = BlogCategory.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "is_series": is_series},
        )

    created = 0
    for spec in POSTS:
        if BlogPage.objects.filter(slug=spec["slug"]).exists():
            continue
        post = BlogPage(
            title=spec["title"],
            slug=spec["slug"],
            standfirst=spec["standfirst"],
            date=spec["date"],
            body=spec["body"],
            hero_image=_illustration(spec["slug"], spec["illustration"], spec["title"], collection),
        )
        index.add_child(instance=post)
        post.authors.set([authors[slug] for slug in spec["authors"]])
        post.categories.set([categories[slug] for slug in spec["categories"]])
        post.tags.set(spec["tags"])
        post.save_revision().publish()
        created += 1
    for post in BlogPage.objects.filter(hero_image__isnull=False).select_related("hero_image"):
        _renditions_ensure(post.hero_image)
    stdout.write(f"Blog: {len(POSTS)} posts in place ({created} new).")

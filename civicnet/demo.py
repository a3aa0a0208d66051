"""Demo content for `make run`: the home page and the general pages beside it."""

from urllib.parse import urlsplit

from django.conf import settings
from wagtail.models import Page, Site

from .models import ContactPage, HomePage, StandardPage

TOOLS = [
    (
        "City Vitals research",
        "We benchmark the largest U.S. metros on six indicators of city "
        "success, from public data. See where yours ranks and who its peers are.",
        "/vitals/",
    ),
    (
        "National Meetings",
        "Twice a year, hundreds of leaders from every sector trade the ideas "
        "that are working in their cities, and leave with partners to try them.",
        "/events/",
    ),
    (
        "City Dividends framework",
        "Small, well-chosen changes can pay large economic dividends. "
        "The framework shows where, and how to measure them.",
        "/library/",
    ),
    (
        "National Network",
        "Planners, mayors, founders, advocates, coders and academics: the "
        "people you should know, searchable by city and sector.",
        "/network/",
    ),
    (
        "Prize Challenges",
        "Competition sharpens ideas. Teams implement real strategies in their "
        "cities and publish the how-to for everyone else.",
        "/challenges/",
    ),
    (
        "Continuing Education",
        "Hands-on workshops, monthly webinars and a reading list chosen "
        "each month keep members current on what works.",
        "/events/",
    ),
]

HERO_INTRO = (
    "civicnet is a national, cross-sector city-learning network. We gather the smartest ideas, "
    "measure how cities are doing, and connect the people ready to act on both."
)

WHY_BODY = (
    "Leadership in a city is not reserved for the people with titles. The ones who move things "
    "are planners, council members, college presidents, founders, organisers and the engineer "
    "who fixes the bus map on a weekend.\n\n"
    "None of them can do it alone. civicnet puts them on the same team, in their own city and "
    "across the country, with the data and the playbooks to make progress visible."
)

PAGES = [
    (
        "about",
        "About civicnet",
        "Who we are, what we believe about cities, and how we work.",
        [
            ("heading", "A network for people who change cities"),
            (
                "paragraph",
                "<p>civicnet started from a simple observation: the people improving "
                "American cities rarely sit in the same room. A transit planner in Denver and a "
                "community banker in Cleveland are solving the same problem with different tools. "
                "We bring them together, with evidence, so good ideas travel faster.</p>",
            ),
            ("heading", "How we work"),
            (
                "paragraph",
                "<ul><li><b>Measure</b>: City Vitals benchmarks metros on public data."
                "</li><li><b>Connect</b>: the National Network and City Clusters link leaders across "
                "sectors.</li><li><b>Act</b>: Prize Challenges and the City Dividends framework turn "
                "ideas into results.</li></ul>",
            ),
        ],
    ),
    (
        "member-benefits",
        "Member benefits",
        "What membership gives you, and your city.",
        [
            (
                "paragraph",
                "<p>Members get the full resource library, free registration for "
                "National Meetings, a place in the National Network directory, their City Cluster, "
                "and the right to enter Prize Challenges.</p>",
            ),
            (
                "call_to_action",
                {
                    "heading": "Ready to join?",
                    "text": "Individual and organisation plans, billed monthly or yearly.",
                    "link_url": "/membership/",
                    "link_text": "See membership plans",
                },
            ),
        ],
    ),
    (
        "privacy",
        "Privacy notice",
        "What we collect about you, why, who sees it, and how to have it changed or deleted.",
        [
            ("heading", "Who we are"),
            (
                "paragraph",
                "<p>civicnet runs this website and the membership network it serves. When this "
                "notice says \u201cwe\u201d, it means the civicnet staff team. Questions about your "
                'data go to us through the <a href="/contact/">contact form</a>; choose '
                "\u201cPrivacy and my data\u201d.</p>",
            ),
            ("heading", "What we keep, and why"),
            (
                "paragraph",
                "<ul><li><b>Your account</b>: your email address, name and password (stored only "
                "as a one-way hash), so you can sign in.</li>"
                "<li><b>Your profile</b>: the title, organisation, sector, city, bio, photo and "
                "links you choose to add. Other members see it only if you list yourself in the "
                "National Network, and only the parts you choose to show.</li>"
                "<li><b>Your membership</b>: plan, dates and payment status. Card details never "
                "reach us: our payment provider, Stripe, holds them.</li>"
                "<li><b>Events and challenges</b>: your registrations, attendance and entries, "
                "so we can run them and send you what you signed up for.</li>"
                "<li><b>The newsletter</b>: your address and topics, only after you confirm "
                "your subscription; every issue has a one-click unsubscribe.</li>"
                "<li><b>Messages you send us</b> through the contact or join forms, so we can "
                "answer them.</li></ul>",
            ),
            (
                "paragraph",
                "<p>We do not sell or rent personal data, we show no advertising, and we use no "
                "tracking cookies. The cookies we set keep you signed in, protect forms against "
                "forgery, and remember an answer to \u201cWas this page helpful?\u201d.</p>",
            ),
            ("heading", "Who else handles it"),
            (
                "paragraph",
                "<p>Only the services that run the site for us: our hosting provider, our email "
                "delivery provider and Stripe for payments. Each processes data only on our "
                "instructions.</p>",
            ),
            ("heading", "How long we keep it"),
            (
                "paragraph",
                "<p>Your account data stays while you have an account. Delete your account from "
                "your account page at any time: your profile, photo, directory listing and "
                "sign-in details go at once. Membership and payment records stay, without your "
                "name or address, for as long as tax law requires. Contact messages and join "
                "requests stay as long as we need them to answer you; ask us to delete yours "
                "at any time.</p>",
            ),
            ("heading", "Your rights"),
            (
                "paragraph",
                "<p>You can see and download everything your account holds from your account "
                "page, correct it on your profile, and delete it with your account. For "
                "anything else, such as an objection or a question about a decision, write to "
                "us and we answer within 30 days.</p>",
            ),
        ],
    ),
    (
        "terms",
        "Terms of use",
        "The rules for using civicnet, its membership and its content.",
        [
            ("heading", "Using the site"),
            (
                "paragraph",
                "<p>Anyone may read the public pages, use the City Vitals rankings and download "
                "its open data, crediting civicnet and the public sources each indicator names. "
                "By creating an account you agree to these terms and to our "
                '<a href="/privacy/">privacy notice</a>.</p>',
            ),
            ("heading", "Membership"),
            (
                "paragraph",
                "<ul><li>A membership is for the named person, or the named seats of an "
                "organisation membership; sign-ins are not to be shared.</li>"
                "<li>Paid memberships renew automatically at the end of each period until you "
                "cancel. Cancel any time from your account: you keep access until the end of "
                "the period you paid for. We do not refund part-periods, except where the law "
                "requires it.</li>"
                "<li>If a renewal payment fails, access continues during a grace period while "
                "the payment is retried, then ends.</li>"
                "<li>We may change prices for future periods; we tell members at least 30 days "
                "before a change applies to them.</li></ul>",
            ),
            ("heading", "The network"),
            (
                "paragraph",
                "<p>The member directory and City Clusters exist so members can work together. "
                "Do not use them to sell, to send bulk messages or to harvest contact details. "
                "We may suspend an account that harasses other members or misuses their "
                "information.</p>",
            ),
            ("heading", "Content"),
            (
                "paragraph",
                "<p>Library resources are for members' own work and their organisation's "
                "internal use. What you submit to a Prize Challenge stays yours; you give us "
                "the right to show it to the judges and, if it wins, to publish a summary.</p>",
            ),
            ("heading", "Liability and changes"),
            (
                "paragraph",
                "<p>We take care over our figures and research, but they come without "
                "warranty: check them before relying on them for decisions. We may update "
                "these terms, and we tell members of material changes by email.</p>",
            ),
        ],
    ),
]

CONTACT_INTRO = (
    "Questions about membership, events, City Vitals figures, partnerships or your data: "
    "write to us here. A member of our small team reads every message and replies within two "
    "working days."
)


def load(stdout) -> None:
    home = HomePage.objects.first()
    if home is None:
        # Wagtail's first migration leaves a bare placeholder page as the site root.
        Page.objects.filter(depth=2, content_type__model="page", numchild=0).delete()
        root = Page.get_first_root_node()
        home = root.add_child(
            instance=HomePage(
                title="Home",
                slug="home",
                hero_heading="We build and activate cross-sector teams.",
                hero_intro=HERO_INTRO,
                why_body=WHY_BODY,
                tools=[
                    ("tool", {"title": t, "text": text, "link_url": url}) for t, text, url in TOOLS
                ],
            )
        )
        home.save_revision().publish()
        address = urlsplit(settings.SITE_URL)
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={
                "hostname": address.hostname or "localhost",
                "port": address.port or (443 if address.scheme == "https" else 80),
                "site_name": "civicnet",
                "root_page": home,
            },
        )
    for slug, title, intro, body in PAGES:
        if not StandardPage.objects.filter(slug=slug).exists():
            page = home.add_child(
                instance=StandardPage(
                    title=title, slug=slug, intro=intro, body=body, show_in_menus=slug == "about"
                )
            )
            page.save_revision().publish()
    if not ContactPage.objects.exists():
        home.add_child(
            instance=ContactPage(title="Contact us", slug="contact", intro=CONTACT_INTRO)
        ).save_revision().publish()
    stdout.write(f"Home page, {len(PAGES)} standard pages and the contact page are in place.")

"""The files attached to the demo's library resources: multi-page PDFs rendered by WeasyPrint
(core.pdf) and CSV datasets with real columns, each different, all made by code so the demo
ships no binaries. Deterministic: the same content on every run."""

import random
from datetime import date

from core.csv import csv_lines
from core.pdf import pdf_document

METROS = [
    "Austin, TX", "Raleigh, NC", "Nashville, TN", "Denver, CO", "Charlotte, NC", "Seattle, WA",
    "Salt Lake City, UT", "Boston, MA", "Minneapolis, MN", "Pittsburgh, PA", "Columbus, OH",
    "Portland, OR", "Atlanta, GA", "Philadelphia, PA", "Kansas City, MO", "Indianapolis, IN",
    "Richmond, VA", "Baltimore, MD", "Milwaukee, WI", "Cincinnati, OH", "St. Louis, MO",
    "Cleveland, OH", "Tucson, AZ", "Buffalo, NY", "Memphis, TN",
]  # fmt: skip


def _talent_rows() -> list[tuple]:
    """Share of 25 to 34 year olds with a four-year degree, by metro and year (illustrative)."""
    rng = random.Random("talent-benchmarks-2026")
    rows = []
    for n, metro in enumerate(METROS):
        share = 52 - n * 0.9 + rng.uniform(-2, 2)
        for year in range(2021, 2026):
            rows.append((metro, year, round(share, 1)))
            share += rng.uniform(-0.3, 1.4) - n * 0.02
    return rows


def _csv(header: list[str], rows) -> bytes:
    return "".join(csv_lines(header, rows)).encode()


def talent_csv() -> bytes:
    rows = _talent_rows()
    first = {metro: share for metro, year, share in rows if year == 2021}
    return _csv(
        ["metro", "year", "share_25_34_with_degree_pct", "change_since_2021_points"],
        [(metro, year, share, round(share - first[metro], 1)) for metro, year, share in rows],
    )


OPEN_DATASETS = [
    ("311 service requests", "daily", "Department of Neighborhood Services", [
        ("request_id", "text", "The request's number in the 311 system", "SR-2026-004512"),
        ("opened_at", "timestamp", "When the request was made, local time", "2026-03-04 08:12"),
        ("closed_at", "timestamp", "When it was closed; empty while open", "2026-03-06 15:40"),
        ("category", "text", "The service asked for, from the 311 list", "Pothole"),
        ("ward", "integer", "Council ward of the location", "7"),
    ]),
    ("Building permits", "weekly", "Building and Housing", [
        ("permit_number", "text", "As printed on the permit", "B26-01877"),
        ("issued_on", "date", "Date issued", "2026-02-17"),
        ("work_type", "text", "New build, alteration, demolition", "Alteration"),
        ("valuation_usd", "decimal", "Declared cost of the work", "48500.00"),
        ("parcel_id", "text", "County parcel number", "118-22-031"),
    ]),
    ("Crime reports", "daily", "Police Department", [
        ("incident_id", "text", "Report number", "26-019443"),
        ("reported_on", "date", "Date reported", "2026-01-09"),
        ("offense", "text", "NIBRS offense category", "Burglary"),
        ("block", "text", "Address rounded to the block", "1400 block E 55th St"),
    ]),
    ("Adopted budget", "yearly", "Office of Budget and Management", [
        ("fiscal_year", "integer", "Year the budget covers", "2026"),
        ("department", "text", "Department name", "Public Works"),
        ("fund", "text", "Fund the money comes from", "General Fund"),
        ("amount_usd", "decimal", "Adopted amount", "61250000.00"),
    ]),
    ("Transit stops", "quarterly", "Regional Transit Authority", [
        ("stop_id", "text", "GTFS stop_id", "4471"),
        ("stop_name", "text", "Name on the sign", "Euclid Av & E 105th St"),
        ("latitude", "decimal", "WGS84", "41.5042"),
        ("longitude", "decimal", "WGS84", "-81.6101"),
        ("shelter", "boolean", "Has a shelter", "true"),
    ]),
]  # fmt: skip


def dataset_templates_csv() -> bytes:
    return _csv(
        ["dataset", "refresh", "owner", "column", "type", "description", "example"],
        [
            (dataset, refresh, owner, *column)
            for dataset, refresh, owner, columns in OPEN_DATASETS
            for column in columns
        ],
    )


CSVS = {"Benchmarks data": talent_csv, "Dataset templates": dataset_templates_csv}

WORKSHEET = {
    "kind": "Member worksheet",
    "subtitle": "Estimate the economic dividend of one small, sustained change in your metro, "
    "in an afternoon, with your own numbers. Work through it with a colleague from another "
    "sector.",
    "sections": [
        {
            "heading": "1. How to use this worksheet",
            "paragraphs": [
                "The City Dividends framework rests on one idea: a change that looks small per "
                "person adds up to a large return across a metro, year after year. This worksheet "
                "turns that idea into a number you can defend in a budget meeting.",
                "Work in four steps: record your baseline, choose one change, estimate the "
                "dividend, and plan how you will measure it. Each step takes about half an hour. "
                "Use the City Vitals figures for your metro where the worksheet asks for them; "
                "they are on your metro's page and in the My metro brief.",
                "Be conservative. A dividend that survives a sceptical reading is worth more "
                "than a large one that does not.",
            ],
        },
        {
            "heading": "2. Your baseline",
            "paragraphs": [
                "Write down where your metro stands today, with the source and year of each "
                "figure. If a figure is missing, say so rather than guessing."
            ],
            "fields": [
                ("Metro and population", "From City Vitals, with its year."),
                ("Average one-way commute, minutes", "City Vitals: Mobility."),
                ("Share of 25 to 34 year olds with a degree", "City Vitals: Talent."),
                ("Median household income", "City Vitals: Prosperity."),
                ("Who else is working on this locally?", "The network directory and clusters."),
            ],
        },
        {
            "heading": "3. Choose one change",
            "paragraphs": [
                "Pick the change where your city has both a lever and a partner. The table gives "
                "the size of change the framework assumes and the evidence behind it."
            ],
            "table": {
                "head": ["Area", "Change", "Typical lever", "Evidence"],
                "rows": [
                    (
                        "Cut the commute",
                        "One minute less each way",
                        "Bus frequency, signals",
                        "Travel-time studies, 40 metros",
                    ),
                    (
                        "Keep young talent",
                        "+1 point in the 25 to 34 degree share",
                        "Downtown housing, internships",
                        "Five-year job growth comparisons",
                    ),
                    (
                        "Publish the data",
                        "Ten datasets with named owners",
                        "Open data policy",
                        "Outside analysis obtained free",
                    ),
                    (
                        "Reduce poverty",
                        "-1 point in the poverty rate",
                        "Earned income outreach",
                        "Tax credit take-up studies",
                    ),
                    (
                        "Green the streets",
                        "+5% tree canopy on hot blocks",
                        "Street tree programme",
                        "Heat and energy bills",
                    ),
                ],
            },
        },
        {
            "heading": "4. Estimate the dividend",
            "paragraphs": [
                "Multiply the change per person by the people affected and by the value of one "
                "unit. Then halve it: the framework's rule for effects that take years to appear.",
                "A worked example for the commute, in a metro of 1.2 million workers:",
            ],
            "table": {
                "head": ["Step", "Figure", "Note"],
                "rows": [
                    ("Minutes saved per worker per day", "2", "One minute each way"),
                    ("Working days per year", "235", "Less holidays and leave"),
                    ("Workers affected", "1,200,000", "All commuters, conservatively"),
                    ("Hours saved per year", "9,400,000", "2 × 235 × 1.2 m ÷ 60"),
                    ("Value of an hour of travel time", "$17.80", "U.S. DOT guidance, local wage"),
                    ("Gross dividend per year", "$167 million", "Before the halving rule"),
                    ("Dividend to claim", "$84 million", "After the halving rule"),
                ],
            },
            "fields": [
                ("Your change per person", "In the unit the table uses."),
                ("People affected", "Say who is counted and who is not."),
                ("Value of one unit", "With its source."),
                ("Dividend to claim, per year", "After the halving rule."),
            ],
        },
        {
            "heading": "5. Plan how you will measure it",
            "paragraphs": [
                "Name one figure you will report every year, who owns it, and when you will "
                "publish it. Share the plan with your cluster: members have done this before "
                "and will tell you where it went wrong for them."
            ],
            "fields": [
                ("The figure you will report", "And where it comes from."),
                ("Owner", "A person, not a department."),
                ("First report due", "A date."),
                ("Partners", "From at least two sectors."),
            ],
        },
    ],
}


def _generic(kind: str, summary: str, sections: list[tuple]) -> dict:
    return {
        "kind": kind,
        "subtitle": summary,
        "sections": [
            {"heading": heading, "paragraphs": paragraphs, "table": table}
            for heading, paragraphs, table in sections
        ],
    }


def _pdf_spec(title: str, summary: str) -> dict:
    if title == "Dividend worksheet":
        return WORKSHEET
    if title == "Benchmarks report":
        rows = [(m, y, s) for m, y, s in _talent_rows() if y == 2025]
        return _generic(
            "Report",
            summary,
            [
                (
                    "Summary",
                    [
                        "Twelve metros grew their share of college-educated 25 to 34 year olds by "
                        "more than ten per cent over five years. Nine of them did three things: "
                        "expanded downtown housing, ran a frequent transit spine, and funded a "
                        "paid internship programme with local employers.",
                        "This report gives the figures for the 25 metros in the benchmark and the "
                        "policies the leaders share. The full series is in the attached dataset.",
                    ],
                    None,
                ),
                (
                    "The 2025 figures",
                    ["Share of 25 to 34 year olds with a four-year degree, per cent."],
                    {"head": ["Metro", "Year", "Share (%)"], "rows": rows},
                ),
                (
                    "What the leaders share",
                    [
                        "Housing first: every leader added homes downtown faster than its suburbs "
                        "for at least three of the five years.",
                        "A frequent spine: a bus or rail line every ten minutes or better, all "
                        "day, linking the main campus and the main job centre.",
                        "Paid internships: employers and the city paying students to work locally "
                        "in the summer before their final year.",
                    ],
                    None,
                ),
            ],
        )
    sections = {
        "Redesign checklist": [
            ("Before you start", ["Map jobs and people, not today's routes.",
             "Agree the goal in one sentence with your board and publish it."], None),
            ("The checklist", ["Tick each item before moving to the next stage."],
             {"head": ["Stage", "Item", "Done"], "rows": [
                 ("Choices report", "Travel-time maps for 20 addresses", "☐"),
                 ("Choices report", "Ridership by stop and hour", "☐"),
                 ("Concepts", "Two networks with the same budget", "☐"),
                 ("Comment", "Meetings at transfer points, not only city hall", "☐"),
                 ("Draft", "Every change explained in one sentence", "☐"),
                 ("Launch", "Street teams at the 50 busiest stops", "☐")]}),
            ("After launch", ["Publish ridership monthly for the first year.",
             "Fix the three worst transfers within six months."], None),
        ],
        "Case study": [
            ("The city", ["A mid-sized city whose electric utility built fibre to every home "
             "first as a smart grid, then as broadband."], None),
            ("Costs and financing", ["The network was financed with revenue bonds and a "
             "federal smart-grid grant."], {"head": ["Item", "Amount"], "rows": [
                 ("Fibre to 170,000 premises", "$330 million"),
                 ("Federal grant", "$111 million"), ("Revenue bonds", "$219 million")]}),
            ("What changed", ["Outage minutes fell by about half.", "Small businesses gained "
             "symmetrical gigabit service at residential prices."], None),
            ("Lessons for other cities", ["An independent board, published accounts and a "
             "low-income tier from day one."], None),
        ],
        "Slides": [
            ("Civic engagement that scales", ["Members' webinar, September 2026."], None),
            ("Meet people where they are", ["Hold meetings at laundromats, bus stops and "
             "school pick-up.", "Bring the decision, not a presentation."], None),
            ("Pay residents for their time", ["A $50 stipend tripled attendance in one pilot.",
             "Childcare and food matter as much as the money."], None),
            ("Questions from members", ["How to keep the usual ten engaged too.", "What to "
             "measure: new faces per meeting."], None),
        ],
    }[title]  # fmt: skip
    return _generic({"Slides": "Webinar slides", "Case study": "Case study"}.get(title, "Toolkit"),
                    summary, sections)  # fmt: skip


def document_content(
    title: str, kind: str, resource_title: str, summary: str, published: date
) -> bytes:
    """The file for a resource's attached document: a PDF or a CSV, by `kind`."""
    if kind == "csv":
        return CSVS[title]()
    spec = _pdf_spec(title, summary)
    return pdf_document(
        "library/demo_document_pdf.html",
        {
            **spec,
            "kind": f"{spec['kind']}: {title}",
            "title": resource_title,
            "published": published,
        },
    ).write_pdf()

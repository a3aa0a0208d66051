"""City Vitals at 390 px (a phone) and 1280 px: tables, compare, chart text and the badge,
with the longest metro names the Census Bureau gives."""

import pytest

from tests.e2e.conftest import serious_accessibility_violations
from vitals.models import Indicator
from vitals.services import vitals_import

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WIDTHS = [PHONE, DESKTOP]
LEAST_TEXT = 11  # CSS px

SOURCES = (
    "source_id,title,publisher,url,licence\n"
    "acs1,American Community Survey 2019 1-year estimates (tables S1501 S0802 S1701),"
    "U.S. Census Bureau,https://www.census.gov/acs,Public domain\n"
    "bea,Personal income by county and metropolitan area,U.S. Bureau of Economic Analysis,"
    "https://www.bea.gov,Public domain\n"
)
INDICATORS = (
    "code,name,pillar,unit,higher_is_better,definition\n"
    "college_attainment,College attainment,talent,share,1,Adults with a degree.\n"
    "foreign_born,International talent,talent,share,1,Foreign-born adults with a degree.\n"
    'patents,"Patents per 10,000 residents",innovation,per_10k,1,Patents granted.\n'
    "transit_use,Transit use,connections,share,1,Workers commuting by transit.\n"
    "income,Per capita personal income,metropolitan_performance,usd_nominal,1,Income.\n"
    "poverty_rate,Poverty rate,metropolitan_performance,share,0,People below the poverty line.\n"
)
METROS = (
    "cbsa_code,name,pop_2023\n"
    '34980,"Nashville-Davidson--Murfreesboro--Franklin, TN",2100000\n'
    '47260,"Virginia Beach-Norfolk-Newport News, VA-NC",1800000\n'
    '31140,"Louisville/Jefferson County, KY-IN",1300000\n'
    '33460,"Minneapolis-St. Paul-Bloomington, MN-WI",3700000\n'
    '35620,"New York-Newark-Jersey City, NY-NJ",19500000\n'
)
FIGURES = {
    "college_attainment": [0.386, 0.329, 0.308, 0.432, 0.418],
    "foreign_born": [0.038, 0.036, 0.029, 0.049, 0.133],
    "patents": [1.1, 0.8, 2.2, 9.3, 3.9],
    "transit_use": [0.011, 0.016, 0.019, 0.045, 0.316],
    "income": [79453, 62575, 65205, 79654, 91448],
    "poverty_rate": [0.100, 0.106, 0.119, 0.082, 0.116],
}
# The nation's figure of the same year and series: marked on the charts, with its label.
NATIONAL = "US,college_attainment,2019,2019,0.331,0.001,acs1"
NATIONAL_LABEL = "US 2019: 33.1%"
CODES = ["34980", "47260", "31140", "33460", "35620"]
SLUGS = ["nashville-tn", "virginia-beach-va", "louisvillejefferson-county-ky", "minneapolis-mn"]
SLUGS += ["new-york-ny"]


@pytest.fixture
def long_names():
    rows = [
        f"{code},{indicator},2019,2019,{value},,{'bea' if indicator == 'income' else 'acs1'}"
        for indicator, values in FIGURES.items()
        for code, value in zip(CODES, values, strict=True)
    ]
    rows += [
        f"34980,college_attainment,{year},{year},{0.30 + year / 10000},,acs1"
        for year in (2017, 2018)
    ]
    rows.append(NATIONAL)
    observations = "metro_cbsa_code,indicator,year,period,value,moe,source_id\n" + "\n".join(rows)
    report = vitals_import(
        files=[
            ("sources.csv", SOURCES),
            ("indicators.csv", INDICATORS),
            ("metros.csv", METROS),
            ("observations.csv", observations + "\n"),
        ],
        dry_run=False,
    )
    assert report.ok, report.problems
    Indicator.objects.filter(code__in=FIGURES).update(is_headline=True)


def open_at(page, viewport, path):
    page.set_viewport_size(viewport)
    page.goto(path)
    # Nothing on the page itself scrolls sideways; wide tables scroll inside their frame.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


REACH_FIGURE = """cell => {
  cell.scrollIntoView({block: 'nearest', inline: 'nearest'});
  const frame = cell.closest('.vitals-table-wrap').getBoundingClientRect();
  const box = cell.getBoundingClientRect();
  const header = cell.parentElement.querySelector('th').getBoundingClientRect();
  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return {frame: [frame.left, frame.right], box: [box.left, box.right],
          header: [header.left, header.right], seen: cell.contains(hit)};
}"""


# Each test checks a page at both widths in turn: the browser context, the live server and the
# imported figures (the slow part) are set up once for both.
def test_every_rankings_figure_can_be_read_beside_its_metro(page, long_names, artifacts):
    for viewport in WIDTHS:
        rankings_figures_readable_beside_their_metro(page, viewport, artifacts)


def rankings_figures_readable_beside_their_metro(page, viewport, artifacts):
    open_at(page, viewport, "/vitals/")

    rows = page.locator("table.vitals-table tbody tr")
    assert rows.count() == 5
    for row in rows.all():
        figures = row.locator("td.num").all()
        assert len(figures) == 7  # population and six indicators
        for cell in figures:
            seen = cell.evaluate(REACH_FIGURE)
            frame, box, header = seen["frame"], seen["box"], seen["header"]
            # The frame is on screen, the figure inside it, and not under the metro's name,
            # which stays in view beside it.
            assert frame[0] >= 0 and frame[1] <= viewport["width"], viewport
            assert frame[0] - 1 <= box[0] and box[1] <= frame[1] + 1, (
                viewport,
                cell.inner_text(),
                seen,
            )
            assert seen["seen"], (viewport, cell.inner_text())
            assert frame[0] - 1 <= header[0] and header[1] <= box[0] + 1, viewport
    page.screenshot(path=artifacts / f"vitals-rankings-scrolled-{viewport['width']}.png")


def test_compare_shows_every_chosen_metro_at_once(page, long_names, artifacts):
    for viewport in WIDTHS:
        compare_shows_every_chosen_metro(page, viewport, artifacts)


def compare_shows_every_chosen_metro(page, viewport, artifacts):
    open_at(page, viewport, "/vitals/compare/?" + "&".join(f"metro={s}" for s in SLUGS))

    table = page.locator("table.vitals-table--compare")
    names = table.locator("thead th a")
    assert names.count() == 5, viewport
    figures = table.locator("tbody tr", has_text="College attainment").locator("td")
    assert figures.all_inner_texts()[0].startswith("38.6%"), viewport
    for cell in names.all() + figures.all():
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (
            viewport,
            cell.inner_text(),
        )
    # Each figure sits under its own metro's name.
    for name, figure in zip(names.all(), figures.all(), strict=True):
        name_box, figure_box = name.bounding_box(), figure.bounding_box()
        assert (
            figure_box["x"]
            <= name_box["x"] + name_box["width"] / 2
            <= (figure_box["x"] + figure_box["width"])
        ), viewport
    table.screenshot(path=artifacts / f"vitals-compare-{viewport['width']}.png")


TEXT_MEASURES = """svg => [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
  const box = t.getBoundingClientRect();
  const frame = svg.getBoundingClientRect();
  const scale = frame.width / svg.viewBox.baseVal.width;
  const size = parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize) * scale;
  return {text: t.textContent, size, height: box.height,
          inside: box.left >= frame.left - 0.5 && box.right <= frame.right + 0.5
                  && box.top >= frame.top - 0.5 && box.bottom <= frame.bottom + 0.5,
          on_screen: box.left >= 0 && box.right <= innerWidth};
})"""

CHART_PAGES = [
    "/vitals/indicators/college-attainment/?metro=louisvillejefferson-county-ky",
    "/vitals/indicators/income/?metro=nashville-tn",
    "/vitals/metros/nashville-tn/",
    "/vitals/compare/?" + "&".join(f"metro={s}" for s in SLUGS),
]


@pytest.mark.parametrize("path", CHART_PAGES)
def test_chart_text_stays_legible_and_inside_the_chart(page, long_names, path):
    for viewport in WIDTHS:
        open_at(page, viewport, path)

        svgs = page.locator("svg.chart__svg").all()
        assert svgs, viewport
        for svg in svgs:
            texts = svg.evaluate(TEXT_MEASURES)
            assert texts, viewport
            for text in texts:
                assert text["size"] >= LEAST_TEXT and text["height"] >= LEAST_TEXT, (
                    viewport,
                    text,
                )
                assert text["inside"] and text["on_screen"], (viewport, text)


def test_axis_titles_name_the_units_of_their_ticks(page, long_names):
    for viewport in WIDTHS:
        open_at(page, viewport, "/vitals/indicators/college-attainment/")

        for svg in page.locator("svg.chart__svg").all():
            ticks = svg.locator("text.chart__tick").all_text_contents()
            titles = svg.locator("text.chart__axis").all_text_contents()
            percent_ticks = [t for t in ticks if t.endswith("%")]
            assert percent_ticks and "Percent (%)" in titles, viewport
            assert not any("0 to 1" in title for title in titles), viewport


def test_the_badge_text_fits_for_the_longest_names(page, long_names, artifacts):
    for viewport in WIDTHS:
        badge_text_fits_for_the_longest_names(page, viewport, artifacts)


def badge_text_fits_for_the_longest_names(page, viewport, artifacts):
    for slug in SLUGS:
        page.set_viewport_size(viewport)
        page.goto(f"/vitals/metros/{slug}/badge.svg")
        svg = page.locator("svg")
        texts = svg.evaluate(TEXT_MEASURES)
        boxes = svg.evaluate(
            "svg => [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().toJSON())"
        )
        assert len(texts) == 6, (viewport, slug)
        for text, box in zip(texts, boxes, strict=True):
            assert text["inside"] and text["size"] >= LEAST_TEXT, (viewport, slug, text)
            # The position stays in its block; the words stay right of it.
            assert box["right"] <= 86 or box["left"] >= 100, (viewport, slug, text)
        assert "…" not in "".join(t["text"] for t in texts), viewport  # none needs shortening
    assert "Metros of 1 million or more" in svg.inner_html(), viewport

    page.goto("/vitals/metros/louisvillejefferson-county-ky/")
    badge = page.get_by_role("img", name="Where does yours rank? Louisville/Jefferson County")
    box = badge.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], viewport
    badge.screenshot(path=artifacts / f"vitals-badge-{viewport['width']}.png")


@pytest.mark.parametrize(
    "path", ["/vitals/", "/vitals/compare/?metro=nashville-tn&metro=new-york-ny"]
)
def test_phone_tables_keep_their_headers_for_assistive_technology(page, long_names, path):
    open_at(page, PHONE, path)

    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    roles = {node["role"]["value"] for node in tree if "role" in node}
    assert {"table", "columnheader", "rowheader", "cell"} <= roles
    assert serious_accessibility_violations(page) == []


EVERY_FIGURE = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const problems = [];
  let checked = 0;
  for (const table of document.querySelectorAll('main table')) {
    const rows = [...table.querySelectorAll('tbody tr')];
    for (const row of [rows[0], rows[rows.length - 1]]) {
      for (const cell of row.querySelectorAll('td')) {
        cell.scrollIntoView({block: 'nearest', inline: 'nearest'});
        const box = cell.getBoundingClientRect();
        let frame = {left: 0, right: innerWidth};
        for (let el = cell.parentElement; el; el = el.parentElement) {
          if (getComputedStyle(el).overflowX === 'auto') { frame = el.getBoundingClientRect(); break; }
        }
        const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
        checked += 1;
        if (frame.left < 0 || frame.right > innerWidth || box.left < frame.left - 1
            || box.right > frame.right + 1 || !cell.contains(hit)) {
          problems.push(`${table.className}: ${cell.textContent.trim()}`);
        }
      }
    }
  }
  return {checked, problems};
}"""


@pytest.mark.parametrize(
    "path",
    [
        "/vitals/indicators/college-attainment/?metro=nashville-tn",
        "/vitals/metros/louisvillejefferson-county-ky/",
        "/vitals/compare/?metro=nashville-tn&metro=virginia-beach-va&metro=minneapolis-mn",
    ],
)
def test_on_a_phone_every_vitals_table_shows_its_figures(page, long_names, path):
    open_at(page, PHONE, path)

    seen = page.evaluate(EVERY_FIGURE)

    assert seen["checked"] >= 6
    assert seen["problems"] == []


def test_chart_text_stays_at_least_11px_at_other_widths(page, long_names):
    for width in (320, 768, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/vitals/indicators/college-attainment/?metro=louisvillejefferson-county-ky")

        seen = []
        for svg in page.locator("svg.chart__svg").all():
            for text in svg.evaluate(TEXT_MEASURES):
                assert text["size"] >= LEAST_TEXT and text["height"] >= LEAST_TEXT, (width, text)
                assert text["inside"], (width, text)
                # never more than a quarter larger than drawn
                assert text["size"] <= 16 * 1.25 + 0.5, (width, text)
                seen.append(text["text"])
        # The distribution's national mark is among the texts checked, whole.
        assert NATIONAL_LABEL in seen, (width, seen)

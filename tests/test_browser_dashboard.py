"""进度看板 in a real browser (Debian's chromium via Playwright), served from a GeoPackage and
from PostGIS.

The tiny fixture (tests/fixtures.py) with a monthly history for A1, the one project of park
P1 (苏陕工业园): it started on 15 March and reported 20, 50, 90 … 250 万元 of its 500 万元
annual plan from March to October, so its warning moves with the months — green before its
planned start, yellow from March (20 points and more behind time progress), red in October
(more than 30 behind). 临泽县 is named like HTML, for the charts' tooltips.

An official opens the dashboard filtered to the park: the figures and the charts' series are
those of the JSON APIs; the slider, moved with the keyboard, changes the date in the address,
the figures, the charts and the colours on the small map; a red-list link opens the project on
the map page. Nothing overflows sideways at the four screen sizes, no request leaves the app
and no script fails.
"""

# ruff: noqa: F811 (fixtures imported from tests/test_browser.py are arguments by name)
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from geoapp.dashboard import slider_months
from geoapp.formatting import percent
from tests.fixtures import LINZE, XSS_NAME, open_store, serve, settings_for, tiny_frames
from tests.test_browser import (  # noqa: F401
    AXE,
    JS_AXE,
    JS_SMALL_TARGETS,
    Tab,
    browser,
    context,
    new_tab,
    signed,
    watch,
)
from tests.test_replay import report

pytestmark = pytest.mark.browser

PARK = "P1"
A1_REPORTS = ((3, 20.0), (4, 50.0), (5, 90.0), (6, 130.0), (7, 170.0), (8, 210.0), (9, 240.0))
A1_REPORTS += ((10, 250.0),)
LAST = slider_months(date(2026, 6, 30), date.today())[-1].isoformat()  # the slider's end
COLOURS = {"red": "#d32f2f", "yellow": "#fbc02d", "green": "#66bb6a"}  # layers/projects.toml
SCREENS = [(1280, 720), (1366, 768), (1920, 1080), (390, 844)]
JS_READY = "() => window.geoappDashboard && window.geoappDashboard.ready.then(() => true)"
JS_SERIES = """(id) => echarts.getInstanceByDom(document.getElementById(id)).getOption()
    .series.map((s) => s.data)"""
JS_CATEGORIES = """(id) => echarts.getInstanceByDom(document.getElementById(id)).getOption()
    .yAxis[0].data"""
# Wider than the window, or than the page's own scrolling areas.
JS_OVERFLOW = """() => [document.documentElement, document.body, document.getElementById('main'),
    document.getElementById('side-panel')].filter((e) => e.scrollWidth > e.clientWidth + 1)
    .map((e) => (e.id || e.tagName) + ' ' + e.scrollWidth + '>' + e.clientWidth)"""


@pytest.fixture(scope="module", params=["geopackage", "postgis"])
def base_url(request, tmp_path_factory) -> Iterator[str]:
    """The tiny fixture with A1's monthly reports and 临泽县 named like HTML, served."""
    from tests.conftest import fill

    frames = tiny_frames()
    boundaries = frames["boundaries"]
    boundaries.loc[boundaries["adcode"] == LINZE, "name"] = XSS_NAME
    where = fill(request.param, frames, tmp_path_factory.mktemp("dashboard"), request)
    report(open_store(where), "A1", *A1_REPORTS)
    with serve(settings_for(where)) as url:
        yield url


def api(tab: Tab, path: str) -> dict:
    """An answer of the app's JSON API, asked with the tab's session."""
    return tab.page.request.get(tab.base + path).json()


def opened(tab: Tab, path: str) -> Tab:
    response = tab.page.goto(tab.base + path)
    assert response.status == 200
    tab.page.wait_for_function(JS_READY)
    return tab


def shares(ranked: dict, key: str) -> list[float | None]:
    """A rate of each place as the bar charts draw it: percent, one decimal, best on top."""
    rates = [p["rates"][key] for p in ranked["places"]][::-1]
    return [None if r is None else round(r * 100, 1) for r in rates]


def assert_shows(tab: Tab, as_of: str) -> None:
    """The figures, the three charts and the map's colours are those of ``as_of``."""
    page = tab.page
    query = f"park={PARK}&as_of={as_of}"
    rates = api(tab, f"/api/rates?{query}")
    for key, share in rates["rates"].items():
        if key != "time_progress":
            figure = page.locator(f"[data-figure={key}] .figure-value").inner_text()
            assert figure == percent(share), (as_of, key)
    by_park = api(tab, f"/api/rankings?{query}&by=park")
    areas = page.evaluate(JS_SERIES, "chart-areas")
    assert areas[:2] == [shares(by_park, "start_resume_rate"), shares(by_park, "investment_rate")]
    assert page.evaluate(JS_CATEGORIES, "chart-areas") == ["苏陕工业园"]
    by_category = api(tab, f"/api/rankings?{query}&by=category")
    categories = page.evaluate(JS_SERIES, "chart-categories")[:2]
    assert categories == [
        shares(by_category, "start_resume_rate"),
        shares(by_category, "investment_rate"),
    ]
    snap = api(tab, f"/api/dashboard?{query}")
    assert tab.page.evaluate("() => geoappDashboard.colours()") == {
        fid: COLOURS[colour] for fid, colour in snap["colours"].items()
    }
    assert page.locator("svg path").count() > 0  # ECharts drew, as SVG


def test_the_dashboard_of_a_park_replays_the_year_with_the_keyboard(new_tab):
    tab = opened(new_tab(), f"/dashboard?park={PARK}&as_of=2026-06-30")
    page = tab.page
    assert page.locator("h1").inner_text() == "进度看板 苏陕工业园"
    assert_shows(tab, "2026-06-30")
    (fid,) = page.evaluate("() => Object.keys(geoappDashboard.colours())")
    assert page.evaluate("() => geoappDashboard.colours()") == {fid: COLOURS["yellow"]}
    months = api(tab, f"/api/rates/months?park={PARK}&year=2026&as_of={LAST}")["months"]
    replayed = page.evaluate(JS_SERIES, "chart-months")
    assert replayed[2] == [round(m["rates"]["investment_rate"] * 100, 1) for m in months]

    slider = page.locator("#month-slider")
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => geoappDashboard.asOf() === '2026-10-31'")
    assert page.locator("#month-label").inner_text() == "2026年10月31日"
    assert slider.get_attribute("aria-valuetext") == "2026年10月31日"
    assert "as_of=2026-10-31" in page.url and page.locator("#as-of").input_value() == "2026-10-31"
    assert_shows(tab, "2026-10-31")
    assert page.evaluate("() => geoappDashboard.colours()") == {fid: COLOURS["red"]}
    page.keyboard.press("Home")
    page.wait_for_function("() => geoappDashboard.asOf() === '2026-01-31'")
    assert_shows(tab, "2026-01-31")
    assert page.evaluate("() => geoappDashboard.colours()") == {fid: COLOURS["green"]}
    assert page.locator(".warn-table").count() == 0  # nothing red or yellow in January

    page.keyboard.press("End")
    page.wait_for_function(f"() => geoappDashboard.asOf() === '{LAST}'")
    link = page.locator(".warn-table a").first
    assert link.inner_text() == "陇县乳制品项目"
    with page.expect_navigation():
        link.click()
    assert f"sel=projects%3A{fid}" in page.url or f"sel=projects:{fid}" in page.url
    page.wait_for_selector(".leaflet-popup-content")
    assert "陇县乳制品项目" in page.locator(".leaflet-popup-content").inner_text()
    assert tab.external == [] and tab.errors == [] and tab.dialogs == []


def test_names_in_charts_and_lists_stay_text(new_tab):
    """临泽县 is named like HTML: the area chart's axis and tooltip, the 红黑榜 and the red
    list (A2, named like HTML too) show those characters and run nothing."""
    tab = opened(new_tab(), "/dashboard?as_of=2026-06-30")
    page = tab.page
    assert XSS_NAME in page.evaluate(JS_CATEGORIES, "chart-areas")
    index = page.evaluate(JS_CATEGORIES, "chart-areas").index(XSS_NAME)
    page.evaluate(
        """(i) => echarts.getInstanceByDom(document.getElementById('chart-areas'))
            .dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: i})""",
        index,
    )
    tip = page.locator("#chart-areas div").filter(has_text=XSS_NAME).last
    assert tip.is_visible()
    assert page.locator("img").count() == 0
    assert page.locator(".warn-table a").first.inner_text() == XSS_NAME
    assert page.locator(".rank-table").get_by_text(XSS_NAME).count() == 1
    assert tab.dialogs == [] and tab.errors == [] and tab.external == []


# Layout and accessibility do not depend on the store behind the page (the route tests check
# that every backend answers alike): on the GeoPackage only, not once per backend.
@pytest.mark.parametrize("base_url", ["geopackage"], indirect=True)
@pytest.mark.parametrize("screen", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_nothing_overflows_sideways(browser, base_url, screen, signed):
    """At office, wide and phone sizes: no sideways scrolling, before and after the slider
    moved, no WCAG 2 A/AA violation (axe-core); on a phone every control is 44 px and the
    filters are the bottom sheet."""
    width, height = screen
    phone = width < 720
    size = {"width": width, "height": height}
    context = signed(viewport=size, locale="zh-CN", is_mobile=phone, has_touch=phone)
    try:
        tab = watch(context.new_page(), base_url)
        opened(tab, f"/dashboard?park={PARK}&as_of=2026-06-30")
        assert tab.page.evaluate(JS_OVERFLOW) == []
        tab.page.locator("#month-slider").focus()
        tab.page.keyboard.press("ArrowLeft")
        tab.page.wait_for_function("() => geoappDashboard.asOf() === '2026-05-31'")
        assert tab.page.evaluate(JS_OVERFLOW) == []
        tab.page.add_script_tag(path=str(AXE))  # the parts the slider wrote anew, too
        assert tab.page.evaluate(JS_AXE) == []
        if phone:
            assert tab.page.evaluate(JS_SMALL_TARGETS) == ""
            handle = tab.page.locator(".sheet-handle")
            handle.tap()
            assert handle.get_attribute("aria-expanded") == "true"
            assert tab.page.evaluate(JS_OVERFLOW) == []
        assert tab.external == [] and tab.errors == []
    finally:
        context.close()

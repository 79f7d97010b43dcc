"""The map page in a real browser (Debian's chromium via Playwright), on the tiny fixture.

What a user would check: every layer is drawn, filters change the drawing and give a link that
can be shared, data stays text in popups, bad filters are explained, English sticks, and the
page works on a phone. Any request that leaves the app is blocked and recorded: the page must
work offline. Timings are printed (``-s``), never asserted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

from geoapp import create_app
from geoapp.stores import GeoPackageStore
from tests.fixtures import LINZE, LONG, XSS_NAME, tiny_frames

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Features per layer in tests/fixtures.py, and those inside county 610327 (陇县).
FEATURES = {"boundaries": 2, "parks": 2, "parcels": 4, "standard_land": 1, "projects": 5}
FEATURES_LONG = {"boundaries": 1, "parks": 1, "parcels": 3, "standard_land": 1, "projects": 4}
MIN_ZOOM = 10  # parcels and standard_land (layers/*.toml)

# The Leaflet map folium made (its variable name is random), and the drawing per layer.
JS_MAP = "Object.values(window).find((v) => v instanceof L.Map)"
JS_READY = """(ids) => window.geoapp && ids.every((id) => id in window.geoapp.layers)
    && document.querySelectorAll('path.geoapp-feature').length > 0 && performance.now()"""
# fitBounds animates the zoom when it changes by <= 4 levels; min_zoom applies on 'zoomend',
# which Leaflet fires as it clears _animatingZoom (250 ms later).
JS_SETTLED = f"() => !{JS_MAP}._animatingZoom && performance.now()"
JS_DRAWN = """(ids) => Object.fromEntries(ids.map((id) =>
    [id, document.querySelectorAll('path.geoapp-layer-' + id).length]))"""
JS_REGISTERED = """(ids) => Object.fromEntries(ids.map((id) =>
    [id, window.geoapp.layers[id].getLayers().length]))"""
JS_SHAPES = """(id) => Array.from(document.querySelectorAll('path.geoapp-layer-' + id),
    (p) => p.getAttribute('d')).sort()"""
JS_ON_SCREEN = """(id) => Array.from(document.querySelectorAll('path.geoapp-layer-' + id))
    .filter((p) => { const r = p.getBoundingClientRect();
                     return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0
                         && r.left < innerWidth && r.top < innerHeight; }).length"""
JS_FEATURE_PATH = """(name) => { let found = null;
    window.geoapp.layers.projects.eachLayer((l) => {
        if (l.feature.properties.name === name) found = l; });
    return found && found._path; }"""


@dataclass
class Tab:
    """A page whose requests leaving the app are aborted, with everything worth asserting on."""

    page: Page
    base: str
    external: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str = "/"):
        response = self.page.goto(self.base + path)
        self.wait_drawn()
        return response

    def wait_drawn(self) -> tuple[float, float]:
        """Wait until the layers are drawn and the fitted view has settled.

        Returns the ms since navigation start when the features were first on the page and
        when the view settled.
        """
        drawn = self.page.wait_for_function(JS_READY, arg=list(FEATURES), polling="raf")
        settled = self.page.wait_for_function(JS_SETTLED, polling="raf")
        return drawn.json_value(), settled.json_value()

    def drawn(self) -> dict[str, int]:
        return self.page.evaluate(JS_DRAWN, list(FEATURES))

    def registered(self) -> dict[str, int]:
        return self.page.evaluate(JS_REGISTERED, list(FEATURES))

    def zoom(self) -> float:
        return self.page.evaluate(f"{JS_MAP}.getZoom()")

    def count(self, layer: str) -> int:
        """The results panel's figure for a layer, as the user reads it."""
        return int(self.page.locator(f"li[data-layer={layer}] [data-count]").inner_text())


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("browser") / "tiny.gpkg"
    GeoPackageStore.create(path, tiny_frames())
    server = make_server("127.0.0.1", 0, create_app({"GEOAPP_DATA": path}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed: run `make browser`"
    p = sync_playwright().start()
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    p.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def new_tab(context, base_url):
    """Open pages in the test's browser context, each watched like ``Tab`` says."""

    def make(ctx=None) -> Tab:
        page = (ctx or context).new_page()
        tab = Tab(page, base_url)

        def route(route, request):
            if request.url.startswith(base_url + "/"):
                tab.local.append(request.url)
                route.continue_()
            else:
                tab.external.append(request.url)
                route.abort()

        def dialog(d):
            tab.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.route("**/*", route)
        page.on("dialog", dialog)
        page.on("pageerror", lambda error: tab.errors.append(str(error)))
        page.on("requestfailed", lambda r: tab.failed.append(r.url))
        return tab

    return make


def test_home_draws_every_layer_offline(new_tab, base_url):
    tab = new_tab()
    response = tab.page.goto(base_url + "/", wait_until="commit")
    drawn_ms, settled_ms = tab.wait_drawn()
    tab.page.wait_for_load_state("load")
    assert response.status == 200

    # The fitted view shows both counties, far below min_zoom: parcels wait for a closer look.
    assert tab.zoom() < MIN_ZOOM
    assert tab.registered() == FEATURES
    assert tab.drawn() == {**FEATURES, "parcels": 0, "standard_land": 0}
    assert tab.page.get_by_text("10级起显示").first.is_visible()

    tab.page.evaluate(f"{JS_MAP}.setView([34.855, 106.815], 13, {{animate: false}})")
    tab.page.wait_for_function(
        "(n) => document.querySelectorAll('path.geoapp-layer-parcels').length === n",
        arg=FEATURES["parcels"],
    )
    assert tab.drawn() == FEATURES
    # 陇县's three parcels and its standard land are on screen; 临泽's parcel is 600 km away.
    assert tab.page.evaluate(JS_ON_SCREEN, "parcels") == 3
    assert tab.page.evaluate(JS_ON_SCREEN, "standard_land") == 1

    assert tab.external == []
    assert tab.errors == []
    assert tab.failed == []
    assert {layer: tab.count(layer) for layer in FEATURES} == FEATURES

    legend = tab.page.locator("#legend")
    assert legend.is_visible()
    assert legend.locator("h2").inner_text() == "图例"
    for label in ("在建", "前期推进", "红色预警", "已占用", "可供地块", "挂牌出让中", "产业园区"):
        assert legend.get_by_text(label, exact=True).first.is_visible(), label

    timing = tab.page.evaluate(
        """() => { const n = performance.getEntriesByType('navigation')[0];
        const r = performance.getEntriesByType('resource');
        return {html: n.transferSize, html_body: n.decodedBodySize, dcl: n.domContentLoadedEventEnd,
                load: n.loadEventEnd, assets: r.reduce((s, e) => s + e.transferSize, 0),
                requests: r.length + 1}; }"""
    )
    print(
        f"\n[browser] tiny fixture '/': features drawn {drawn_ms:.0f} ms after navigation "
        f"start, view settled {settled_ms:.0f} ms, DOMContentLoaded {timing['dcl']:.0f} ms, "
        f"load {timing['load']:.0f} ms; "
        f"HTML {timing['html']} B transferred ({timing['html_body']} B body), "
        f"{timing['requests']} requests, assets {timing['assets']} B"
    )


def test_filter_form_changes_the_drawing_and_the_link_is_shareable(new_tab):
    tab = new_tab()
    tab.open("/")
    with tab.page.expect_navigation():
        tab.page.select_option("select[name=county]", LINZE)
    tab.wait_drawn()
    assert f"county={LINZE}" in tab.page.url
    assert tab.page.locator("select[name=county]").input_value() == LINZE
    assert tab.drawn()["projects"] == 1
    assert tab.page.locator("[data-layer=projects] [data-figure=count]").inner_text() == "1"
    assert tab.count("projects") == 1
    assert tab.zoom() >= MIN_ZOOM  # one county fits close enough to show its parcel
    assert tab.drawn()["parcels"] == 1
    drawing = {layer: tab.page.evaluate(JS_SHAPES, layer) for layer in FEATURES}

    shared = new_tab()
    shared.open(tab.page.url.removeprefix(tab.base))
    assert shared.drawn() == tab.drawn()
    assert {layer: shared.page.evaluate(JS_SHAPES, layer) for layer in FEATURES} == drawing
    assert shared.zoom() == tab.zoom()
    shared.page.close()

    # Back to everything, then only the projects under construction (A1, A4, B1).
    with tab.page.expect_navigation():
        tab.page.get_by_role("link", name="清除筛选").first.click()
    tab.wait_drawn()
    assert tab.drawn()["projects"] == 5
    status = tab.page.locator("details", has=tab.page.locator("summary", has_text="建设阶段"))
    status.locator("summary").click()  # the filter groups start folded
    with tab.page.expect_navigation():
        status.get_by_label("在建", exact=True).click()
    tab.wait_drawn()
    assert "status=construction" in tab.page.url
    assert status.get_by_label("在建", exact=True).is_checked()
    assert tab.drawn()["projects"] == 3
    assert tab.count("projects") == 3
    # …and in 陇县 only A1 and A4; the status stays checked.
    with tab.page.expect_navigation():
        tab.page.select_option("select[name=county]", LONG)
    tab.wait_drawn()
    assert tab.drawn()["projects"] == 2
    assert tab.count("projects") == 2
    assert tab.external == [] and tab.errors == []


def test_project_named_like_html_stays_text(new_tab):
    tab = new_tab()
    tab.open(f"/?county={LONG}")
    marker = tab.page.evaluate_handle(JS_FEATURE_PATH, XSS_NAME).as_element()
    assert marker is not None

    marker.hover()
    tooltip = tab.page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert tooltip.inner_text() == XSS_NAME
    assert tooltip.locator("img").count() == 0

    marker.click()
    popup = tab.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("h3").inner_text() == XSS_NAME
    assert XSS_NAME in popup.inner_text()
    assert popup.locator("img").count() == 0
    assert popup.get_by_text("计划3月开工，逾期4个月未开工").is_visible()

    tab.page.wait_for_timeout(200)  # an onerror handler would have fired by now
    assert tab.page.locator("img[src=x]").count() == 0
    assert not [url for url in tab.local if url.endswith("/x")]
    assert tab.dialogs == []
    assert tab.errors == []


def test_bad_filter_in_url_is_explained_and_map_still_drawn(new_tab):
    tab = new_tab()
    response = tab.open("/?county=12ab")
    assert response.status == 400
    notice = tab.page.get_by_role("alert")
    assert notice.is_visible()
    assert "12ab" in notice.inner_text()
    assert notice.get_attribute("data-param") == "county"
    assert tab.drawn()["projects"] == FEATURES["projects"]
    assert tab.count("projects") == FEATURES["projects"]
    assert tab.external == [] and tab.errors == []


def test_english_switch_sticks(new_tab, context):
    tab = new_tab()
    tab.open("/")
    with tab.page.expect_navigation():
        tab.page.get_by_role("link", name="English").click()
    tab.wait_drawn()
    legend = tab.page.locator("#legend")
    assert legend.locator("h2").inner_text() == "Legend"
    assert legend.get_by_text("Under construction", exact=True).is_visible()
    assert tab.page.locator("html").get_attribute("lang") == "en"
    assert {c["name"]: c["value"] for c in context.cookies()}.get("lang") == "en"

    tab.open("/")
    assert tab.page.url == tab.base + "/"
    assert legend.locator("h2").inner_text() == "Legend"
    assert tab.page.get_by_role("link", name="English").get_attribute("aria-current") == "true"
    # Popups follow the language too.
    tab.page.evaluate("window.geoapp.layers.projects.getLayers()[0].openPopup()")
    assert tab.page.locator(".leaflet-popup-content").get_by_text("Status", exact=True).is_visible()
    assert tab.external == [] and tab.errors == []


def test_phone_width_shows_map_and_panel(new_tab, browser):
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    try:
        tab = new_tab(phone)
        tab.open(f"/?county={LONG}")
        map_box = tab.page.locator(".folium-map").bounding_box()
        assert map_box is not None
        assert map_box["height"] > 300 and map_box["width"] > 300
        assert tab.page.locator(".folium-map").is_visible()
        assert tab.drawn()["projects"] == FEATURES_LONG["projects"]
        assert tab.page.evaluate(JS_ON_SCREEN, "projects") == FEATURES_LONG["projects"]

        # The panel sits under the map; a user scrolls to it and can still filter.
        panel = tab.page.locator(".side-panel")
        panel.scroll_into_view_if_needed()
        assert panel.is_visible()
        county = tab.page.locator("select[name=county]")
        county.scroll_into_view_if_needed()
        assert county.is_visible()
        with tab.page.expect_navigation():
            county.select_option(LINZE)
        tab.wait_drawn()
        assert tab.drawn()["projects"] == 1
        legend = tab.page.locator("#legend")
        legend.scroll_into_view_if_needed()
        assert legend.is_visible()
        assert tab.external == [] and tab.errors == []
    finally:
        phone.close()


def test_phone_header_stays_usable(new_tab, browser):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        tab = new_tab(phone)
        tab.open(f"/?county={LONG}")
        hit = tab.page.evaluate(
            """() => { const a = document.querySelector('.lang-switch a[lang=en]');
            const r = a.getBoundingClientRect();
            return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === a; }"""
        )
        assert hit, "the English link is covered"
        header = tab.page.locator(".app-header").bounding_box()
        assert tab.page.locator(".map-area").bounding_box()["y"] >= header["y"] + header["height"]
    finally:
        phone.close()


def test_min_zoom_holds_when_fit_keeps_the_start_zoom(new_tab, browser):
    short = browser.new_context(viewport={"width": 800, "height": 300}, locale="zh-CN")
    try:
        tab = new_tab(short)
        tab.open("/")
        assert tab.zoom() == 5  # both counties fit at folium's start zoom
        assert tab.drawn()["parcels"] == 0
        assert tab.drawn()["standard_land"] == 0
    finally:
        short.close()

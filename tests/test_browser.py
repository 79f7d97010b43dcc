"""The map page in a real browser (Debian's chromium via Playwright).

On the tiny fixture (tests/fixtures.py), what a user would check: every layer is drawn (the
projects clustered: a bubble with a number until zoomed in), filters change the drawing and
give a link that can be shared, data stays text in popups, bad filters are explained, English
sticks, and the page works on a phone.

On a generated fixture above the layers' ``tiles_above`` (tests/scale_fixture.py): the page
leaves parcels and projects out, the browser draws parcels from vector tiles and clusters the
projects from ``points.bin``, a parcel's popup is fetched when clicked, and filters reach
the tiles.

Any request that leaves the app is blocked and recorded: the page must work offline. Timings
are printed (``-s``), never asserted.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
from playwright.sync_api import Page, sync_playwright

from geoapp.config import PROJECT_ROOT
from geoapp.layers import load_layers
from geoapp.stores import GeoPackageStore
from geoapp.stores.copy import copy_store
from tests import scale_fixture
from tests.accounts import as_admin, signed_context
from tests.fixtures import (
    LINZE,
    LONG,
    SCHEMAS,
    XSS_NAME,
    SqlReads,
    gunicorn_serving,
    open_store,
    serve,
    settings_for,
    tiny_frames,
)
from tests.pages import page_layers
from tests.scale_fixture import LEFT_OUT_STATE, Scale

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
CLUSTERED = "projects"  # cluster = true (layers/projects.toml)
MIN_ZOOM = 10  # parcels and standard_land (layers/*.toml)
OVERVIEW_BELOW = 9  # projects: counts per county below this zoom (layers/projects.toml)
LONG_BOUNDS = [[34.8, 106.7], [35.0, 107.0]]  # county 610327 in tests/fixtures.py
PAGE_BUDGET = 400_000  # bytes of HTML for the map page, whatever the data
PARK_ZOOM = 15  # a whole park (about 2 km) in view, parcels about 20 px wide

# The Leaflet map folium made (its variable name is random), and the drawing per layer.
JS_MAP = "Object.values(window).find((v) => v instanceof L.Map)"
JS_READY = """(ids) => window.geoapp && ids.every((id) => id in window.geoapp.layers)
    && document.querySelectorAll('path.geoapp-feature').length > 0 && performance.now()"""
# fitBounds animates the zoom when it changes by <= 4 levels; min_zoom applies on 'zoomend',
# which Leaflet fires as it clears _animatingZoom (250 ms later); clusters redraw on 'moveend'.
JS_SETTLED = f"() => !{JS_MAP}._animatingZoom && performance.now()"
# Clustered layers draw a view when their worker answers (static/cluster-worker.js).
JS_CLUSTERS_DRAWN = """() => Promise.all(Object.values(window.geoapp.layers)
    .filter((l) => l.whenDrawn).map((l) => new Promise((done) => l.whenDrawn(done))))"""
# (Returning the map instead of undefined would have Playwright serialise all of it: seconds.)
JS_SET_VIEW = f"([lat, lng, zoom]) => {{ {JS_MAP}.setView([lat, lng], zoom, {{animate: false}}); }}"
JS_FIT = f"(bounds) => {{ {JS_MAP}.fitBounds(bounds, {{animate: false}}); }}"
JS_DRAWN = """(ids) => Object.fromEntries(ids.map((id) =>
    [id, document.querySelectorAll('path.geoapp-layer-' + id).length]))"""
JS_REGISTERED = """(ids) => Object.fromEntries(ids.map((id) =>
    [id, window.geoapp.layers[id].getLayers().length]))"""
# The numbers on the cluster bubbles, as the user reads them ("1,234" → 1234).
JS_CLUSTERS = """(id) => Array.from(document.querySelectorAll('.geoapp-cluster-' + id),
    (e) => Number(e.textContent.replace(/\\D/g, '')))"""
JS_SHAPES = """(id) => Array.from(document.querySelectorAll('path.geoapp-layer-' + id),
    (p) => p.getAttribute('d')).sort()"""
JS_ON_SCREEN = """(id) => Array.from(document.querySelectorAll('path.geoapp-layer-' + id))
    .filter((p) => { const r = p.getBoundingClientRect();
                     return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0
                         && r.left < innerWidth && r.top < innerHeight; }).length"""
JS_POINT_NAMES = """(id) => { const names = [];
    window.geoapp.layers[id].eachLayer((l) => {
        if (l.feature) names.push(l.feature.properties.name); });
    return names.sort(); }"""
JS_FEATURE_PATH = """(name) => { let found = null;
    window.geoapp.layers.projects.eachLayer((l) => {
        if (l.feature && l.feature.properties.name === name) found = l; });
    return found && found._path; }"""
JS_FIRST_POINT_PATH = """(id) => {
    const point = window.geoapp.layers[id].getLayers().find((l) => l.feature);
    return point && point._path; }"""
# A cluster bubble the user can click (not covered by another): where it is, and its number.
JS_CLICKABLE_CLUSTER = f"""(id) => {{
    const map = {JS_MAP}, box = map.getContainer().getBoundingClientRect();
    for (const e of document.querySelectorAll('.geoapp-cluster-' + id)) {{
        const r = e.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
        if (e.contains(document.elementFromPoint(x, y))) {{
            const at = map.containerPointToLatLng([x - box.left, y - box.top]);
            const count = Number(e.textContent.replace(/\\D/g, ''));
            return {{x, y, lat: at.lat, lng: at.lng, count}};
        }}
    }}
    return null; }}"""
# How far (px) a place is from the middle of the map.
JS_OFF_CENTRE = f"""([lat, lng]) => {{ const map = {JS_MAP};
    return map.latLngToContainerPoint([lat, lng]).distanceTo(map.getSize().divideBy(2)); }}"""
# Vector tiles (VectorGrid, one canvas per tile) of the current zoom, all loaded.
JS_TILES_DONE = f"""(id) => {{ const map = {JS_MAP}, layer = window.geoapp.layers[id];
    return map.hasLayer(layer) && !layer.isLoading() && Object.values(layer._tiles).some(
        (t) => t.coords.z === map.getZoom()) && performance.now(); }}"""
JS_PAINTED = f"""(id) => {{ const z = {JS_MAP}.getZoom(); let painted = 0;
    for (const t of Object.values(window.geoapp.layers[id]._tiles)) {{
        if (t.coords.z !== z) continue;
        const d = t.el.getContext('2d').getImageData(0, 0, t.el.width, t.el.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i]) painted++;
    }}
    return painted; }}"""
# The RGBA a layer's tile canvas shows at a place, or null when no tile covers it.
JS_PIXEL = f"""([id, lat, lng]) => {{ const map = {JS_MAP};
    const p = map.latLngToContainerPoint([lat, lng]);
    const box = map.getContainer().getBoundingClientRect(), x = box.left + p.x, y = box.top + p.y;
    for (const t of Object.values(window.geoapp.layers[id]._tiles)) {{
        const r = t.el.getBoundingClientRect();
        if (t.coords.z !== map.getZoom()) continue;
        if (x < r.left || x >= r.right || y < r.top || y >= r.bottom) continue;
        const px = Math.floor((x - r.left) * t.el.width / r.width);
        const py = Math.floor((y - r.top) * t.el.height / r.height);
        return Array.from(t.el.getContext('2d').getImageData(px, py, 1, 1).data);
    }}
    return null; }}"""
JS_POINTS_LOADED = "(id) => window.geoapp.layers[id].loaded === true && performance.now()"


@dataclass
class Tab:
    """A page whose requests leaving the app are aborted, with everything worth asserting on."""

    page: Page
    base: str
    external: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    responses: list[tuple[str, int]] = field(default_factory=list)
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
        return drawn.json_value(), self.wait_settled()

    def wait_settled(self) -> float:
        """Wait until the view has settled and the clusters of that view are drawn."""
        settled = self.page.wait_for_function(JS_SETTLED, polling="raf").json_value()
        self.page.evaluate(JS_CLUSTERS_DRAWN)
        return settled

    def set_view(self, lat: float, lng: float, zoom: int) -> None:
        self.page.evaluate(JS_SET_VIEW, [lat, lng, zoom])

    def drawn(self) -> dict[str, int]:
        """SVG shapes per layer: every feature of an inline layer, single points of a cluster."""
        return self.page.evaluate(JS_DRAWN, list(FEATURES))

    def registered(self) -> dict[str, int]:
        ids = [layer for layer in FEATURES if layer != CLUSTERED]
        return self.page.evaluate(JS_REGISTERED, ids)

    def clusters(self, layer: str = CLUSTERED) -> list[int]:
        return sorted(self.page.evaluate(JS_CLUSTERS, layer))

    def shown(self, layer: str = CLUSTERED) -> int:
        """Features of a clustered layer in (and near) the view: single points + bubble numbers,
        or, seen from too far for points, the counts per county."""
        if layer == CLUSTERED and self.zoom() < OVERVIEW_BELOW:
            self.page.wait_for_function(f"() => document.querySelector('.geoapp-overview-{layer}')")
            return sum(count for count, _name, _box in self.page.evaluate(JS_OVERVIEW, layer))
        return self.drawn()[layer] + sum(self.clusters(layer))

    def zoom(self) -> float:
        return self.page.evaluate(f"{JS_MAP}.getZoom()")

    def count(self, layer: str) -> int:
        """The results panel's figure for a layer, as the user reads it."""
        return int(self.page.locator(f"li[data-layer={layer}] [data-count]").inner_text())

    def statuses(self, part: str) -> list[int]:
        return [status for url, status in self.responses if part in url]


def watch(page: Page, base: str) -> Tab:
    """Watch a page like ``Tab`` says."""
    tab = Tab(page, base)

    def route(route, request):
        if request.url.startswith(base + "/"):
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
    page.on("response", lambda r: tab.responses.append((r.url, r.status)))
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    page.on("requestfailed", lambda r: tab.failed.append(r.url))
    return tab


@pytest.fixture(scope="module", params=["geopackage", "postgis"])
def base_url(request, tmp_path_factory) -> Iterator[str]:
    """The tiny fixture served from a GeoPackage, then from PostGIS."""
    from tests.conftest import fill

    where = fill(request.param, tiny_frames(), tmp_path_factory.mktemp("browser"), request)
    with serve(settings_for(where)) as url:
        yield url


@pytest.fixture(scope="module")
def scale(tmp_path_factory) -> Scale:
    started = time.perf_counter()
    built = scale_fixture.build(tmp_path_factory.mktemp("scale") / "scale.gpkg")
    print(
        f"\n[browser] scale fixture ({built.counts}) built in {time.perf_counter() - started:.1f} s"
    )
    return built


@pytest.fixture(scope="module", params=["geopackage", "postgis-sql"])
def scale_url(request, scale) -> Iterator[str]:
    """The large fixture served from its GeoPackage, then from PostGIS answering queries and
    tiles in SQL (copied with ``geoapp db copy``'s code, feature ids kept)."""
    settings = {"GEOAPP_DATA": str(scale.path)}
    if request.param == "postgis-sql":
        database = request.getfixturevalue("postgis_cluster").database()
        assert all(c.same for c in copy_store(open_store(scale.path), database, SCHEMAS))
        settings = settings_for(SqlReads(database))
    with serve(settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed: run `make browser`"
    p = sync_playwright().start()
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    p.stop()


@pytest.fixture
def signed(browser, base_url):
    """New browser contexts signed in as the test admin (``tests.accounts``)."""
    return lambda **options: signed_context(browser, base_url, **options)


@pytest.fixture
def context(signed):
    context = signed(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def new_tab(context, base_url) -> Callable[..., Tab]:
    """Open pages of the tiny fixture in the test's browser context (or ``ctx``)."""
    return lambda ctx=None: watch((ctx or context).new_page(), base_url)


@pytest.fixture
def scale_tab(browser, scale_url) -> Iterator[Callable[[], Tab]]:
    """Open pages of the generated large fixture in a browser context of the test's own
    (signed in there, so the test does not also run once per backend of the tiny fixture)."""
    size = {"width": 1280, "height": 800}
    context = signed_context(browser, scale_url, viewport=size, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield lambda: watch(context.new_page(), scale_url)
    context.close()


# What a page looks like and how it behaves does not depend on the store behind it (the
# route tests check that every backend answers alike), nor do the tests that serve a store of
# their own: those run with the tiny fixture on the GeoPackage only, not once per backend.
ONE_BACKEND = pytest.mark.parametrize("base_url", ["geopackage"], indirect=True)


# ---------------------------------------------------------------- the tiny fixture


def test_home_draws_every_layer_offline(new_tab, base_url):
    tab = new_tab()
    response = tab.page.goto(base_url + "/", wait_until="commit")
    drawn_ms, settled_ms = tab.wait_drawn()
    tab.page.wait_for_load_state("load")
    assert response.status == 200

    # The fitted view shows both counties, far below min_zoom: parcels wait for a closer look.
    assert tab.zoom() < MIN_ZOOM
    assert tab.registered() == {k: v for k, v in FEATURES.items() if k != CLUSTERED}
    # Two counties 600 km apart: their projects are counted per county, each labelled.
    tab.page.wait_for_function(f"() => document.querySelector('.geoapp-overview-{CLUSTERED}')")
    counted = sorted((c, n) for c, n, _box in tab.page.evaluate(JS_OVERVIEW, CLUSTERED))
    assert counted == [(1, "临泽县"), (FEATURES_LONG["projects"], "陇县")]
    assert tab.clusters() == []
    assert tab.drawn() == {**FEATURES, "parcels": 0, "standard_land": 0, "projects": 0}
    assert tab.page.get_by_text("10级起显示").first.is_visible()

    tab.set_view(34.855, 106.815, 13)
    tab.page.wait_for_function(
        "(n) => document.querySelectorAll('path.geoapp-layer-parcels').length === n",
        arg=FEATURES["parcels"],
    )
    drawn = tab.drawn()
    assert {layer: drawn[layer] for layer in FEATURES if layer != CLUSTERED} == {
        k: v for k, v in FEATURES.items() if k != CLUSTERED
    }
    # 陇县's three parcels and its standard land are on screen; 临泽's parcel is 600 km away.
    assert tab.page.evaluate(JS_ON_SCREEN, "parcels") == 3
    assert tab.page.evaluate(JS_ON_SCREEN, "standard_land") == 1

    # With all of 陇县 in view its four projects are points of their own, and 临泽's (600 km
    # away) is not drawn at all.
    tab.page.evaluate(JS_FIT, LONG_BOUNDS)
    tab.wait_settled()
    assert tab.clusters() == []
    assert tab.drawn()[CLUSTERED] == FEATURES_LONG["projects"]
    assert tab.page.evaluate(JS_ON_SCREEN, CLUSTERED) == FEATURES_LONG["projects"]
    names = tab.page.evaluate(JS_POINT_NAMES, CLUSTERED)
    projects = tiny_frames()["projects"]
    assert names == sorted(projects.loc[projects["county_code"] == LONG, "name"])
    assert "临泽储能电站" not in names

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
    assert tab.clusters() == []
    assert tab.page.locator("[data-layer=projects] [data-figure=count]").inner_text() == "1"
    assert tab.count("projects") == 1
    assert tab.zoom() >= MIN_ZOOM  # one county fits close enough to show its parcel
    assert tab.drawn()["parcels"] == 1
    drawing = {layer: tab.page.evaluate(JS_SHAPES, layer) for layer in FEATURES}

    shared = new_tab()
    shared.open(tab.page.url.removeprefix(tab.base))
    assert shared.drawn() == tab.drawn()
    assert shared.clusters() == tab.clusters()
    assert {layer: shared.page.evaluate(JS_SHAPES, layer) for layer in FEATURES} == drawing
    assert shared.zoom() == tab.zoom()
    shared.page.close()

    # Back to everything, then only the projects under construction (A1, A4, B1).
    with tab.page.expect_navigation():
        tab.page.get_by_role("link", name="清除筛选").first.click()
    tab.wait_drawn()
    assert tab.shown() == 5
    status = tab.page.locator("details", has=tab.page.locator("summary", has_text="建设阶段"))
    status.locator("summary").click()  # the filter groups start folded
    with tab.page.expect_navigation():
        status.get_by_label("在建", exact=True).click()
    tab.wait_drawn()
    assert "status=construction" in tab.page.url
    assert status.get_by_label("在建", exact=True).is_checked()
    assert tab.shown() == 3
    assert tab.count("projects") == 3
    # …and in 陇县 only A1 and A4; the status stays checked.
    with tab.page.expect_navigation():
        tab.page.select_option("select[name=county]", LONG)
    tab.wait_drawn()
    assert tab.shown() == 2
    assert tab.count("projects") == 2
    assert tab.external == [] and tab.errors == []


def test_an_area_drawn_on_the_map_filters_it_and_its_link_is_short(new_tab):
    """A 40-sided polygon drawn with the polygon tool around A1 and A3: the page reloads
    filtered by it, and the address carries the kept area's id, not its vertices."""
    tab = new_tab()
    tab.open(f"/?county={LONG}")
    page = tab.page
    # the map's controls speak the page's language, and measure in metres
    assert page.locator(".leaflet-control-zoom-in").get_attribute("aria-label") == "放大"
    assert page.locator(".leaflet-control-layers-toggle").get_attribute("title") == "图层"
    scale = page.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and re.fullmatch(r"\d+ k?m", scale.inner_text())
    tool = page.locator(".leaflet-draw-draw-polygon")
    assert tool.get_attribute("title") == "绘制区域以按区域筛选"
    tool.click()
    assert page.locator(".leaflet-draw-actions").inner_text().split() == [
        "完成",
        "删除上一点",
        "取消",
    ]
    box = page.locator(".leaflet-container").bounding_box()
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    assert page.locator(".leaflet-draw-tooltip").inner_text() == "单击地图开始绘制区域。"
    ring = [
        (
            34.9 + 0.07 * math.sin(2 * math.pi * i / 40),
            106.78 + 0.07 * math.cos(2 * math.pi * i / 40),
        )
        for i in range(40)
    ]
    with tab.page.expect_navigation():
        for latlng in [*ring, ring[0]]:  # a click on the first vertex closes the shape
            # where the place is now (the map must not have moved, but if it did, follow it)
            point = tab.page.evaluate(f"(ll) => {JS_MAP}.latLngToContainerPoint(ll)", latlng)
            tab.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
            tab.page.wait_for_timeout(60)  # a person's pace, not a double click
    tab.wait_drawn()
    query = urlsplit(tab.page.url).query
    assert re.fullmatch(r"county=610327&within=[0-9a-f]{16}(&view=[^&=]+)?", query)  # no empties
    assert tab.count("projects") == 2
    assert "已按绘制的区域筛选" in tab.page.locator("main, body").first.inner_text()
    shared = new_tab()
    shared.open(tab.page.url.removeprefix(tab.base))
    assert shared.count("projects") == 2
    assert tab.external == [] and tab.errors == [] and tab.dialogs == []


SCREENS = [(1280, 720), (1366, 768), (1920, 1080), (390, 844)]


def popup_title(page: Page) -> str | None:
    """The title of the open popup, after the map has stopped moving (Leaflet pans to fit a
    popup; the popup must survive that)."""
    page.wait_for_function(JS_SETTLED, polling="raf")
    page.wait_for_timeout(400)  # a pan's moveend, and whatever redraw follows it
    page.wait_for_function(JS_SETTLED, polling="raf")
    title = page.locator(".leaflet-popup-content h3")
    return title.inner_text() if title.count() == 1 and title.is_visible() else None


@ONE_BACKEND
@pytest.mark.parametrize("screen", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_popups_stay_open_on_every_screen(new_tab, browser, screen, signed):
    """A row of the results, a dot at the map's top edge and a shared ``sel=`` link each open
    a popup that is still open once the map has moved to show it."""
    width, height = screen
    phone = width < 500
    ctx = signed(
        viewport={"width": width, "height": height},
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
    )
    try:
        tab = new_tab(ctx)
        tab.open(f"/?county={LONG}")
        page = tab.page
        rows = page.locator("table.results[data-layer=projects] tbody tr")
        assert rows.count() == FEATURES_LONG["projects"]
        for i in range(rows.count()):
            row = rows.nth(i)
            fid = row.get_attribute("data-fid")
            row.scroll_into_view_if_needed()
            row.click()
            title = popup_title(page)
            assert title and title in row.inner_text(), f"row {i}: no popup"
            assert f"sel=projects%3A{fid}" in page.url or f"sel=projects:{fid}" in page.url
        shared_url = page.url.removeprefix(tab.base)

        # a dot just under the map's top edge: the popup opens, the map pans, it stays
        page.keyboard.press("Escape")
        tab.set_view(34.855, 106.805, 13)  # A1
        tab.wait_settled()
        page.evaluate(
            f"() => {JS_MAP}.panBy([0, {JS_MAP}.getSize().y / 2 - 12], {{animate: false}})"
        )
        tab.wait_settled()
        page.wait_for_timeout(300)
        box = page.locator(".folium-map").bounding_box()
        dot = page.evaluate(f"() => {JS_MAP}.latLngToContainerPoint([34.855, 106.805])")
        assert dot["y"] < 20
        if phone:
            page.touchscreen.tap(box["x"] + dot["x"], box["y"] + dot["y"])
        else:
            page.mouse.click(box["x"] + dot["x"], box["y"] + dot["y"])
        assert popup_title(page), "the popup of a dot at the top edge closed itself"

        shared = new_tab(ctx)
        shared.open(shared_url)
        assert popup_title(shared.page), "a shared sel= link opened no popup"
        assert "sel=projects" in shared.page.url
        assert tab.errors == [] and shared.errors == [] and tab.external == []
    finally:
        ctx.close()


def test_an_export_says_it_is_coming_until_the_file_arrives(new_tab, context):
    tab = new_tab()
    tab.open(f"/?county={LONG}")
    notice = tab.page.locator(".export-notice")
    assert notice.is_hidden()
    link = tab.page.locator("a[data-export]", has_text="Excel").first
    with tab.page.expect_download() as download:
        link.click()
        assert notice.is_visible() and "正在生成文件" in notice.inner_text()
    assert download.value.suggested_filename.endswith(".xlsx")
    notice.wait_for(state="hidden")
    assert f"county={LONG}" in link.get_attribute("href")
    assert tab.errors == [] and tab.external == []


# What a notice said whenever it was shown, however briefly (read after the fact).
JS_WATCH_SHOWN = """(selector) => { const notice = document.querySelector(selector);
    window.__shownText = "";
    new MutationObserver(() => { if (!notice.hidden) window.__shownText = notice.textContent; })
        .observe(notice, {attributes: true}); }"""


def test_the_wall_map_prints_the_filter_with_a_notice_until_it_arrives(new_tab):
    tab = new_tab()
    tab.open(f"/?county={LONG}&status=construction")
    notice = tab.page.locator(".print-notice")
    assert notice.is_hidden()
    tab.page.get_by_text("打印挂图作战图").click()
    tab.page.add_script_tag(path=str(AXE))
    assert tab.page.evaluate(JS_AXE) == []  # the form open, as axe sees it
    tab.page.get_by_label("纸张大小").select_option("A4")
    tab.page.get_by_label("方向").select_option("portrait")
    tab.page.get_by_label("附红黄预警清单").check()
    tab.page.evaluate(JS_WATCH_SHOWN, ".print-notice")  # a small print can beat a look
    with tab.page.expect_download() as download:
        tab.page.get_by_role("button", name="PDF").click()
    url = download.value.url
    assert "正在生成挂图作战图" in tab.page.evaluate("window.__shownText")
    for part in (f"county={LONG}", "status=construction", "size=A4", "orientation=portrait"):
        assert part in url, part
    assert "lists=1" in url and "title=" not in url  # an empty field is left out
    assert download.value.suggested_filename.endswith("-A4-portrait.pdf")
    notice.wait_for(state="hidden")
    assert tab.errors == [] and tab.external == []


JS_LABELS = """() => Array.from(document.querySelectorAll('.geoapp-label span'),
    (e) => [e.textContent, e.getBoundingClientRect().toJSON()])"""


def test_county_and_park_names_are_written_on_the_map_without_piling_up(new_tab):
    tab = new_tab()
    tab.open("/")
    assert tab.zoom() < 9 and tab.page.evaluate(JS_LABELS) == []  # too far: counts name them
    tab.set_view(34.88, 106.83, 11)
    tab.wait_settled()
    tab.page.wait_for_function("() => document.querySelector('.geoapp-label')")
    labels = tab.page.evaluate(JS_LABELS)
    names = [name for name, _box in labels]
    assert "陇县" in names and any("园" in n or "区" in n for n in names if n != "陇县")
    boxes = [box for _name, box in labels]
    assert all(
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
    )
    tab.set_view(34.88, 106.83, 8)
    tab.wait_settled()
    assert tab.page.evaluate(JS_LABELS) == []
    assert tab.errors == [] and tab.external == []


def test_in_view_count_readout_and_measuring_tool(new_tab):
    """Beside the filter's total, how many are in view; the pointer's lon/lat; and a
    distance and an area measured on the map (m and km; m² and 亩) without filtering."""
    tab = new_tab()
    tab.open(f"/?county={LONG}")
    page = tab.page
    in_view = page.locator('[data-inview="projects"]')
    assert in_view.inner_text() == str(FEATURES_LONG["projects"])
    tab.set_view(30.0, 100.0, 12)  # nowhere near a project
    tab.wait_settled()
    page.wait_for_function(
        "() => document.querySelector('[data-inview=projects]').textContent === '0'"
    )
    tab.set_view(34.9, 106.8, 12)
    tab.wait_settled()
    box = page.locator(".folium-map").bounding_box()

    def at(lat: float, lng: float) -> tuple[float, float]:
        p = page.evaluate(f"(ll) => {JS_MAP}.latLngToContainerPoint(ll)", [lat, lng])
        return box["x"] + p["x"], box["y"] + p["y"]

    def click(lat: float, lng: float) -> None:
        """As a hand does: move there, then click, then a pause (not a double click)."""
        page.mouse.move(*at(lat, lng), steps=4)
        page.mouse.click(*at(lat, lng))
        page.wait_for_timeout(150)

    page.mouse.move(*at(34.9, 106.8))
    assert re.search(r"经度 106\.8\d+ +纬度 34\.9\d+", page.locator(".geoapp-readout").inner_text())
    url = page.url
    page.locator(".geoapp-measure-polyline").click()
    for point in ((34.9, 106.78), (34.9, 106.82), (34.9, 106.82)):  # the last again: the end
        click(*point)
    text = page.locator(".geoapp-measure-result").inner_text()
    metres = page.evaluate(f"() => {JS_MAP}.distance([34.9, 106.78], [34.9, 106.82])")
    assert text.startswith("长度") and f"{metres / 1000:.2f}"[:3] in text and "km" in text
    page.keyboard.press("Escape")
    page.locator(".geoapp-measure-polygon").click()
    square = [(34.89, 106.79), (34.89, 106.81), (34.91, 106.81), (34.91, 106.79)]
    for point in [*square, square[0]]:
        click(*point)
    text = page.locator(".geoapp-measure-result").inner_text()
    found = re.search(r"面积 ([\d,]+) m² · ([\d,.]+) 亩", text)
    assert found, text
    m2 = float(found.group(1).replace(",", ""))
    from pyproj import Geod

    lats, lons = zip(*square, strict=True)
    expected = abs(Geod(ellps="WGS84").polygon_area_perimeter(lons, lats)[0])  # about 4.05 km²
    assert m2 == pytest.approx(expected, rel=0.03)  # clicks land on whole pixels
    assert float(found.group(2).replace(",", "")) == pytest.approx(m2 / 666.667, rel=0.01)
    assert page.url == url  # measuring filters nothing
    assert tab.errors == [] and tab.external == []


def test_project_named_like_html_stays_text(new_tab):
    tab = new_tab()
    tab.open(f"/?county={LONG}")
    assert tab.clusters() == []  # 陇县 fills the view: every project is a point to hover
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


EDIT_FORM = re.compile(r"/edit/projects/")


def test_an_editor_goes_from_a_popup_to_the_form_moves_the_point_and_sees_the_history(new_tab):
    """The admin's session (signed in through /login): 编辑 in a popup, a figure typed as a
    sheet would have it, the point dragged on the small map, 保存 → the history page."""
    tab = new_tab()
    tab.open(f"/?county={LONG}")
    marker = tab.page.evaluate_handle(JS_FEATURE_PATH, XSS_NAME).as_element()
    marker.click()
    assert popup_title(tab.page) == XSS_NAME  # open still once the map has panned to it
    popup = tab.page.locator(".leaflet-popup-content")
    # The map writes its view into the address (history.replaceState) when the popup's pan
    # ends, which Playwright also counts as a navigation: wait for the form's own.
    with tab.page.expect_navigation(url=EDIT_FORM):
        popup.get_by_role("link", name="编辑").click()
    page = tab.page
    assert "/edit/projects/" in page.url
    assert page.get_by_label("项目名称").input_value() == XSS_NAME
    page.get_by_label("累计完成投资（万元）").fill("0.5亿")
    pin = page.locator("#edit-map .leaflet-marker-icon")
    pin.scroll_into_view_if_needed()
    box = pin.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 30, steps=8)
    page.mouse.up()
    assert "Point" in page.locator("#f-geometry").input_value()
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "/history/projects/" in page.url and page.get_by_text("已保存。").is_visible()
    changes = page.locator("table.history").inner_text()
    assert "累计完成投资" in changes and "5,000" in changes and "位置" in changes
    assert page.locator("img[src=x]").count() == 0
    assert tab.external == [] and tab.errors == []


JS_CORNER_AT = """([lat, lon]) => {
    const point = window.geoapp.editMap.latLngToContainerPoint([lat, lon]);
    const box = document.getElementById("edit-map").getBoundingClientRect();
    return [box.left + point.x, box.top + point.y];
}"""


def _show_parcels_around(page, lat: float, lon: float, zoom: int) -> None:
    """Centre the small map and wait until the parcels around (the snapping targets) came."""
    page.locator("#edit-map").scroll_into_view_if_needed()
    page.evaluate(f"window.geoapp.editMap.setView([{lat}, {lon}], {zoom})")
    page.wait_for_function("document.getElementById('edit-map').dataset.contextparcels > 0")


def test_an_editor_adds_a_project_from_the_map_page_by_placing_it(new_tab):
    """新增 → 重点项目 from the side panel; code and name typed; a click on the map places it
    in 陇县; saved, it is in the history and on the map."""
    tab = new_tab()
    tab.open("/")
    with tab.page.expect_navigation(url=EDIT_FORM):
        tab.page.locator(".add-links").get_by_role("link", name="重点项目").click()
    page = tab.page
    page.get_by_label("项目代码").fill("2026-610327-30-01-000777")
    page.get_by_label("项目名称").fill("陇县新建厂房项目")
    page.get_by_label("建设阶段").select_option(label="在建")
    _show_parcels_around(page, 34.855, 106.815, 15)
    x, y = page.evaluate(JS_CORNER_AT, [34.855, 106.815])
    page.mouse.click(x, y)
    placed = json.loads(page.locator("#f-geometry").input_value())
    assert placed["type"] == "Point" and abs(placed["coordinates"][0] - 106.815) < 1e-4
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "/history/projects/" in page.url and page.get_by_text("已保存。").is_visible()
    history = page.url
    tab.open(f"/?county={LONG}")
    assert "陇县新建厂房项目" in page.locator("table.results").inner_text()
    _retire_in_browser(page, history)  # the other tests share this server's data
    tab.open(f"/?county={LONG}")
    assert "陇县新建厂房项目" not in page.locator("table.results").inner_text()
    assert tab.external == [] and tab.errors == []


def _retire_in_browser(page, history_url: str) -> None:
    """移除 from the feature's edit page, confirmed: it leaves the map and lists."""
    page.goto(history_url.split("?")[0].replace("/history/", "/edit/"))
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="移除").click()
    with page.expect_navigation():
        page.get_by_role("button", name="移除").click()
    assert page.get_by_text("已移除").is_visible()


def test_a_new_parcel_drawn_against_its_neighbour_shares_its_edge(new_tab):
    """Corners clicked a few pixels off P1-003's east corners snap onto them: the new parcel's
    west edge is exactly its neighbour's east edge (lon 106.83), no sliver, no overlap."""
    tab = new_tab()
    page = tab.page
    page.goto(tab.base + "/edit/parcels/new")
    page.get_by_label("地块编号").fill("P1-004")
    _show_parcels_around(page, 34.855, 106.835, 15)
    corners = [(34.85, 106.83), (34.85, 106.837), (34.86, 106.837), (34.86, 106.83)]
    for lat, lon in corners:
        x, y = page.evaluate(JS_CORNER_AT, [lat, lon])
        page.mouse.click(x + 4, y - 3)  # a hand's few pixels off
    x, y = page.evaluate(JS_CORNER_AT, list(corners[0]))
    page.mouse.click(x + 2, y + 2)  # back on the first corner: closes the outline
    drawn = json.loads(page.locator("#f-geometry").input_value())
    assert drawn["type"] == "Polygon"
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "/history/parcels/" in page.url
    ring = page.evaluate("JSON.parse(document.getElementById('edit-map').dataset.geometry)")
    west = sorted((lat, lon) for lon, lat in ring["coordinates"][0][:-1] if lon < 106.833)
    assert west == [(34.85, 106.83), (34.86, 106.83)]  # snapped: exactly the neighbour's corners
    _retire_in_browser(page, page.url)  # the other tests share this server's data
    assert tab.errors == [] and tab.external == []


def test_two_browsers_edit_one_record_and_neither_save_is_lost(new_tab, signed):
    """Two people open 陇县医院项目's form; the first saves a figure, the second a new name:
    the second sees the first's change in a conflict table, keeps their own value, saves
    again; the history has one entry per save and the record has both changes."""
    other = signed(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        first, second = new_tab(), new_tab(other)
        for tab in (first, second):
            tab.page.goto(tab.base + "/edit/projects/3")
        first.page.get_by_label("累计完成投资（万元）").fill("900")
        with first.page.expect_navigation():
            first.page.get_by_role("button", name="保存").click()
        second.page.get_by_label("项目名称").fill("陇县人民医院")
        with second.page.expect_navigation():
            second.page.get_by_role("button", name="保存").click()
        page = second.page
        conflict = page.get_by_role("alert")
        assert "其他人已保存" in conflict.inner_text() and "900" in conflict.inner_text()
        assert page.get_by_label("项目名称").input_value() == "陇县人民医院"
        assert page.get_by_label("累计完成投资（万元）").input_value() == "900"  # theirs, merged
        with page.expect_navigation():
            page.get_by_role("button", name="保存").click()
        history = page.locator("table.history tbody tr")
        assert history.count() == 2 and "已保存。" in page.inner_text("main")
        text = page.locator("table.history").inner_text()
        assert "陇县人民医院" in text and "900" in text
        assert first.errors == [] and second.errors == []
    finally:
        other.close()


def test_bad_filter_in_url_is_explained_and_map_still_drawn(new_tab):
    tab = new_tab()
    response = tab.open("/?county=12ab")
    assert response.status == 400
    notice = tab.page.get_by_role("alert")
    assert notice.is_visible()
    assert "12ab" in notice.inner_text()
    assert notice.get_attribute("data-param") == "county"
    assert tab.shown("projects") == FEATURES["projects"]
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
    assert "lang" not in parse_qs(urlsplit(tab.page.url).query)  # the cookie remembers it
    assert legend.locator("h2").inner_text() == "Legend"
    assert tab.page.get_by_role("link", name="English").get_attribute("aria-current") == "true"
    # Popups follow the language too (临泽's project is a point of its own in this view).
    tab.set_view(39.105, 100.105, 12)
    tab.wait_settled()
    tab.page.evaluate_handle(JS_FIRST_POINT_PATH, CLUSTERED).as_element().click()
    assert tab.page.locator(".leaflet-popup-content").get_by_text("Status", exact=True).is_visible()
    assert tab.external == [] and tab.errors == []


JS_SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    'a[href], button, select, input:not([type=hidden]), summary, .leaflet-control a'))
    .filter((e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
            && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth; })
    .filter((e) => { const r = e.getBoundingClientRect();
        const hit = e.closest('label') || e;  // a checkbox is hit through its label
        const h = hit.getBoundingClientRect();
        return Math.max(r.height, h.height) < 44 || Math.max(r.width, h.width) < 44; })
    .map((e) => e.outerHTML.slice(0, 80)).join(" | ")"""


def test_phone_is_map_first_with_a_bottom_sheet(new_tab, browser, signed):
    """On a phone the map fills the screen; results, filters and legend are a sheet over it,
    opened by its handle; every control on screen is at least 44 px; 数据导入 is one tap away."""
    phone = signed(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    try:
        tab = new_tab(phone)
        tab.open(f"/?county={LONG}")
        page = tab.page
        map_box = page.locator(".folium-map").bounding_box()
        assert map_box["height"] > 0.75 * 844 and map_box["width"] == 390
        assert tab.drawn()["projects"] + sum(tab.clusters()) == FEATURES_LONG["projects"]
        assert page.get_by_role("link", name="数据导入").is_visible()
        handle = page.locator(".sheet-handle")
        assert handle.is_visible() and handle.get_attribute("aria-expanded") == "false"
        county = page.locator("select[name=county]")
        assert not county.is_visible() or county.bounding_box()["y"] > 844  # under the fold
        assert page.evaluate(JS_SMALL_TARGETS) == ""
        handle.tap()
        page.wait_for_function(
            "() => document.querySelector('.side-panel').getBoundingClientRect().top < 300"
        )
        assert handle.get_attribute("aria-expanded") == "true"
        county.scroll_into_view_if_needed()
        assert county.is_visible() and county.bounding_box()["y"] < 844
        assert page.evaluate(JS_SMALL_TARGETS) == ""
        with page.expect_navigation():
            county.select_option(LINZE)
        tab.wait_drawn()
        assert tab.drawn()["projects"] == 1
        assert tab.external == [] and tab.errors == []
    finally:
        phone.close()


def test_phone_header_stays_usable(new_tab, browser, signed):
    phone = signed(viewport={"width": 390, "height": 844}, locale="zh-CN")
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


def test_min_zoom_holds_when_fit_keeps_the_start_zoom(new_tab, browser, signed):
    short = signed(viewport={"width": 800, "height": 300}, locale="zh-CN")
    try:
        tab = new_tab(short)
        tab.open("/")
        assert tab.zoom() == 5  # both counties fit at folium's start zoom
        assert tab.drawn()["parcels"] == 0
        assert tab.drawn()["standard_land"] == 0
    finally:
        short.close()


# ------------------------------------------------- a generated fixture above tiles_above


def legend_rgb(tab: Tab, label: str) -> tuple[int, int, int]:
    """The colour the legend shows for a value (``--c: #8e24aa``)."""
    swatch = tab.page.locator("#legend li", has_text=label).first.locator(".swatch")
    color = swatch.get_attribute("style").split("#")[1][:6]
    return tuple(int(color[i : i + 2], 16) for i in (0, 2, 4))


def painted_in(pixel: list[int] | None, rgb: tuple[int, int, int]) -> bool:
    """A canvas pixel filled with ``rgb`` (fill_opacity 0.65: alpha about 166)."""
    return (
        pixel is not None
        and all(abs(a - b) <= 8 for a, b in zip(pixel[:3], rgb, strict=True))
        and 150 <= pixel[3] <= 180
    )


def open_park(tab: Tab, scale: Scale, painted: bool = True) -> float:
    """Zoom into the fixture's first park and wait for its parcel tiles; ms they took."""
    started = tab.page.evaluate("performance.now()")
    tab.set_view(*scale.park_centre, PARK_ZOOM)
    done = tab.page.wait_for_function(JS_TILES_DONE, arg="parcels", polling="raf").json_value()
    if painted:
        tab.page.wait_for_function(f"(id) => ({JS_PAINTED})(id) > 0", arg="parcels")
    return done - started


def test_scale_page_leaves_parcels_and_projects_out(scale_tab, scale):
    tab = scale_tab()
    response = tab.page.goto(tab.base + "/", wait_until="commit")
    drawn_ms, settled_ms = tab.wait_drawn()
    loaded_ms = tab.page.wait_for_function(JS_POINTS_LOADED, arg=CLUSTERED).json_value()
    html = response.text()
    assert response.status == 200

    layers = page_layers(html)
    assert layers["parcels"][0]["mode"] == "tiles" and layers["parcels"][1] is None
    assert layers["projects"][0]["mode"] == "points"
    assert set(layers["projects"][1]) == {"counts"}  # no feature: the counts per county to draw
    map_script = "".join(
        script
        for script in re.findall(r"<script>(.*?)</script>", html, re.S)
        if "geoapp.layer(" in script
    )
    for absent in scale.absent_ids:
        assert absent not in map_script
    # The results panel still counts everything.
    assert {layer: tab.count(layer) for layer in FEATURES} == scale.counts
    assert tab.page.locator("[data-layer=projects] [data-figure=count]").inner_text() == str(
        scale.counts["projects"]
    )
    # The projects came as 14 bytes each.
    points = [url for url in tab.local if "/api/layers/projects/points.bin" in url]
    assert len(points) == 1
    assert tab.statuses("/points.bin") == [200]
    assert tab.external == [] and tab.errors == [] and tab.failed == []

    inline = {
        layer: len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
        for layer, (_spec, data) in layers.items()
        if data
    }
    print(
        f"\n[browser] scale fixture '/': HTML {len(html.encode())} B "
        f"(inline GeoJSON: {inline}); features drawn {drawn_ms:.0f} ms, view settled "
        f"{settled_ms:.0f} ms, {scale.counts['projects']} projects clustered {loaded_ms:.0f} ms "
        "after navigation start"
    )


def test_scale_page_stays_under_budget(scale_url):
    with urlopen(as_admin(scale_url + "/")) as response:
        size = len(response.read())
    print(f"\n[browser] scale fixture '/': {size} B of HTML, budget {PAGE_BUDGET} B")
    assert size < PAGE_BUDGET


def test_scale_parcels_drawn_from_tiles_in_a_park(scale_tab, scale):
    tab = scale_tab()
    tab.open("/")
    tiles_ms = open_park(tab, scale)

    tiles = [url for url in tab.local if f"/tiles/parcels/{PARK_ZOOM}/" in url]
    assert tiles
    assert tab.statuses(f"/tiles/parcels/{PARK_ZOOM}/") == [200] * len(tiles)
    painted = tab.page.evaluate(JS_PAINTED, "parcels")
    assert painted > 10_000
    # Each parcel is painted in its state's colour from the legend, the factory one too.
    states = {"occupied": "已占用", "available": "可供地块", "factory": "标准化厂房"}
    for state, label in states.items():
        parcel = scale.parcels[state]
        pixel = tab.page.evaluate(JS_PIXEL, ["parcels", parcel.lat, parcel.lng])
        assert painted_in(pixel, legend_rgb(tab, label)), (state, pixel)

    assert tab.external == [] and tab.errors == [] and tab.failed == []
    print(
        f"\n[browser] scale fixture, a park at zoom {PARK_ZOOM}: {len(tiles)} parcel tiles "
        f"loaded and drawn in {tiles_ms:.0f} ms, {painted} pixels painted"
    )


def test_scale_click_on_a_parcel_opens_its_popup(scale_tab, scale):
    tab = scale_tab()
    tab.open("/")
    open_park(tab, scale)
    parcel = scale.parcels["occupied"]
    point = tab.page.evaluate(
        f"(ll) => {JS_MAP}.latLngToContainerPoint(ll)", [parcel.lat, parcel.lng]
    )
    box = tab.page.locator(".folium-map").bounding_box()
    tab.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    popup = tab.page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=3000)
    tab.page.wait_for_function(
        "() => !document.querySelector('.leaflet-popup-content').textContent.includes('加载中')",
        timeout=3000,
    )
    assert "地块编号" in popup.inner_text() and parcel.parcel_id in popup.inner_text()
    assert tab.errors == []


def test_scale_click_on_a_project_over_land_opens_the_projects_popup(scale_tab, scale):
    """A project drawn over a parcel is the topmost thing there: a click opens its popup, and
    the parcel's (looked up under the click for the tiled land) never replaces it."""
    tab = scale_tab()
    name, lat, lng = scale.project_on_land
    tab.open(f"/?view=17/{lat}/{lng}")
    tab.page.wait_for_function(JS_POINTS_LOADED, arg=CLUSTERED)
    tab.wait_settled()
    point = tab.page.evaluate(f"(ll) => {JS_MAP}.latLngToContainerPoint(ll)", [lat, lng])
    box = tab.page.locator(".folium-map").bounding_box()
    tab.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    assert popup_title(tab.page) == name
    tab.page.wait_for_timeout(1000)  # a parcel's lookup would have answered by now
    assert popup_title(tab.page) == name
    assert tab.errors == []


def test_scale_projects_arrive_as_clusters(scale_tab, scale):
    tab = scale_tab()
    tab.open("/")
    tab.page.wait_for_function(JS_POINTS_LOADED, arg=CLUSTERED)
    assert tab.statuses("/api/layers/projects/points.bin") == [200]
    assert tab.count("projects") == scale.counts["projects"]

    # Over the county with the most projects, they are bubbles with numbers.
    county = max(scale.project_counts, key=scale.project_counts.get)
    west, south, east, north = scale.counties[county]
    tab.set_view((south + north) / 2, (west + east) / 2, MIN_ZOOM)
    tab.wait_settled()
    clusters = tab.clusters()
    assert clusters and all(n > 1 for n in clusters)
    assert sum(clusters) <= scale.counts["projects"]

    # Clicking one zooms in on it, where its projects spread out (and are all still there).
    zoom = tab.zoom()
    bubble = tab.page.evaluate(JS_CLICKABLE_CLUSTER, CLUSTERED)
    assert bubble is not None
    tab.page.mouse.click(bubble["x"], bubble["y"])
    tab.page.wait_for_function(f"(z) => {JS_MAP}.getZoom() > z", arg=zoom)
    tab.wait_settled()
    assert tab.page.evaluate(JS_OFF_CENTRE, [bubble["lat"], bubble["lng"]]) < 2
    assert bubble["count"] <= tab.shown()
    assert tab.external == [] and tab.errors == []


JS_OVERVIEW = """(id) => Array.from(document.querySelectorAll('.geoapp-overview-' + id),
    (e) => [Number(e.querySelector('strong').textContent.replace(/\\D/g, '')),
            (e.querySelector('span span') || {}).textContent || null,
            e.getBoundingClientRect().toJSON()])"""


def test_scale_whole_area_is_counted_per_county(scale_tab, scale):
    """Seen whole, the projects are one labelled count per county (no heap of bubbles;
    counties too close to tell apart share one, "name +n"); the counts add up to the filter's
    total, the labels do not cover each other, and a click on one zooms to that county, where
    the clusters take over."""
    tab = scale_tab()
    tab.open("/")
    tab.page.wait_for_function(JS_POINTS_LOADED, arg=CLUSTERED)
    assert tab.zoom() < OVERVIEW_BELOW
    tab.page.wait_for_function(f"() => document.querySelector('.geoapp-overview-{CLUSTERED}')")
    symbols = tab.page.evaluate(JS_OVERVIEW, CLUSTERED)
    assert tab.clusters() == []
    assert sum(count for count, _name, _box in symbols) == scale.counts["projects"]
    assert len(symbols) > 1
    named = [box for _c, _name, box in symbols]
    assert all(
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
        for i, a in enumerate(named)
        for b in named[i + 1 :]
    )
    assert tab.statuses("/tiles/") == []  # parcels are not shown at this zoom: not requested
    biggest = max(symbols, key=lambda s: s[0])[2]
    tab.page.mouse.click(biggest["x"] + biggest["width"] / 2, biggest["y"] + biggest["height"] / 2)
    tab.page.wait_for_function(f"() => {JS_MAP}.getZoom() >= {OVERVIEW_BELOW}")
    tab.wait_settled()
    assert tab.page.evaluate(JS_OVERVIEW, CLUSTERED) == []
    assert tab.clusters() or tab.drawn()[CLUSTERED]
    assert tab.external == [] and tab.errors == []


def test_scale_filter_reaches_the_tiles(scale_tab, scale):
    states = sorted(set(scale.parcels) - {LEFT_OUT_STATE})
    tab = scale_tab()
    tab.open("/?" + "&".join(f"land_state={state}" for state in states))
    assert tab.count("parcels") == scale.kept_parcels > 5000  # still more than tiles_above
    open_park(tab, scale)

    tiles = [url for url in tab.local if "/tiles/parcels/" in url]
    assert tiles
    for url in tiles:
        assert sorted(parse_qs(urlsplit(url).query)["land_state"]) == states, url
    assert tab.statuses("/tiles/parcels/") == [200] * len(tiles)
    # The factory parcel (purple without the filter) is left out; the occupied one stays.
    factory, occupied = scale.parcels[LEFT_OUT_STATE], scale.parcels["occupied"]
    assert tab.page.evaluate(JS_PIXEL, ["parcels", factory.lat, factory.lng])[3] == 0
    pixel = tab.page.evaluate(JS_PIXEL, ["parcels", occupied.lat, occupied.lng])
    assert painted_in(pixel, legend_rgb(tab, "已占用")), pixel
    # (The projects are broken by this filter: see test_scale_filter_keeps_other_layers.)
    assert tab.external == []


def test_scale_filter_keeps_other_layers(scale_tab, scale):
    states = sorted(set(scale.parcels) - {LEFT_OUT_STATE})
    tab = scale_tab()
    with tab.page.expect_response(lambda r: "/points.bin" in r.url) as points:
        tab.open("/?" + "&".join(f"land_state={state}" for state in states))
    assert points.value.status == 200  # a parcels filter: projects still come
    tab.page.wait_for_function(JS_POINTS_LOADED, arg=CLUSTERED, timeout=3000)

    tab.open("/?status=construction")  # a projects filter: parcels still come
    open_park(tab, scale, painted=False)
    assert set(tab.statuses("/tiles/parcels/")) == {200}
    assert tab.errors == []


# ---------------------------------------------------------------- importing


@ONE_BACKEND
def test_upload_page_reports_errors_then_imports(context, tmp_path):
    """A planner uploads a 界址点 file with an open ring, reads the report, fixes the file,
    uploads it again and applies it; the new parcel is then on the map."""
    from tests.test_import_service import SQUARE, survey_text

    path = tmp_path / "own.gpkg"
    GeoPackageStore.create(path, tiny_frames())
    broken, fixed = tmp_path / "新地块.txt", tmp_path / "新地块2.txt"
    broken.write_text(survey_text("XD-09", SQUARE, close=False), encoding="gb18030")
    fixed.write_text(survey_text("XD-09", SQUARE), encoding="gb18030")
    with serve({"GEOAPP_DATA": str(path)}) as url:
        tab = watch(context.new_page(), url)
        tab.page.goto(url + "/import")
        tab.page.get_by_label("地块（界址点坐标文件、Shapefile 压缩包、GeoPackage、KML）").check()
        tab.page.select_option("select[name=county]", LONG)
        tab.page.set_input_files("input[type=file]", str(broken))
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name="检查文件").click()
        report = tab.page.locator("table.report")
        assert report.is_visible()
        first = report.locator("tbody tr.error").first
        assert "错误" in first.inner_text() and re.search(r"\b\d+\b", first.inner_text())
        assert tab.page.get_by_role(
            "link", name="下载检查报告（Excel，问题单元格已标出）"
        ).is_visible()
        assert tab.page.get_by_role("button", name="只导入正确的 0 行").is_disabled()

        tab.page.get_by_role("link", name="上传其他文件").click()
        tab.page.get_by_label("地块（界址点坐标文件、Shapefile 压缩包、GeoPackage、KML）").check()
        tab.page.select_option("select[name=county]", LONG)
        tab.page.set_input_files("input[type=file]", str(fixed))
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name="检查文件").click()
        assert tab.page.locator("[data-figure=added]").inner_text().startswith("1 /")
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name="确认导入").click()
        assert "已导入：新增 1 条" in tab.page.locator("[role=status]").inner_text()
        assert len(open_store(path).read("parcels")) == 5
        assert tab.external == [] and tab.errors == []


@ONE_BACKEND
def test_a_column_mapped_by_hand_is_applied_through_gunicorn(context, tmp_path):
    """An official uploads a sheet whose 总投资 header has a typo: the report shows every
    column with samples, refuses to apply while the look-alike is unanswered, and after the
    column is mapped by hand (and the mapping saved) applies through `make run`'s gunicorn
    with 2 workers; next month's sheet of the same layout maps itself."""
    path = tmp_path / "own.gpkg"
    GeoPackageStore.create(path, tiny_frames())
    sheet = tmp_path / "11月重点项目.csv"
    sheet.write_text(
        "项目代码,项目名称,建设地点,经度,纬度,计划总技资\nM1,手工对应项目,陇县,106.85,34.9,2500\n",
        encoding="utf-8",
    )
    with gunicorn_serving(path) as url:
        tab = watch(context.new_page(), url)
        tab.page.goto(url + "/import")
        tab.page.set_input_files("input[type=file]", str(sheet))
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name="检查文件").click()
        typo = tab.page.locator("form.mapping").get_by_role("row", name=re.compile("计划总技资"))
        assert "像是“总投资”" in typo.inner_text() and "2500" in typo.inner_text()
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name="确认导入").click()
        assert "像是某个字段却没有导入" in tab.page.get_by_role("alert").inner_text()

        tab.page.get_by_label("计划总技资").select_option(label="总投资")
        tab.page.get_by_label("保存此对应，以后列名相同的表格自动使用").check()
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name="按此对应重新检查").click()
        assert tab.page.get_by_label("计划总技资").input_value() == "total_investment"
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name="确认导入").click()
        assert "已导入：新增 1 条" in tab.page.locator("[role=status]").inner_text()
        assert tab.external == [] and tab.errors == []
    stored = open_store(path).read("projects").set_index("project_id")
    assert stored.loc["M1", "total_investment"] == 2500.0

    from geoapp.imports.service import prepare_projects

    sheet.write_text(
        "项目代码,项目名称,建设地点,经度,纬度,计划总技资\nM2,下月项目,陇县,106.86,34.9,900\n",
        encoding="utf-8",
    )
    layers = load_layers(PROJECT_ROOT / "layers")
    prepared = prepare_projects(open_store(path), layers, sheet)
    assert prepared.unanswered == [] and prepared.frame.iloc[0]["total_investment"] == 900.0


AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
JS_AXE = """() => axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}})
    .then((r) => r.violations.map((v) => v.id + ": " + v.nodes.map((n) => n.target).join(" ")))"""
SCREENS = {"desktop": (1280, 720), "office": (1366, 768), "phone": (390, 844)}


@ONE_BACKEND
@pytest.mark.parametrize("screen", SCREENS)
def test_pages_have_no_wcag_violations(browser, base_url, screen, tmp_path, signed):
    """axe-core (WCAG 2 A and AA) on the map, the dashboard, the import form, an import report
    with its column mapping, and the OGC HTML pages, at office and phone sizes."""
    from tests.office_sheets import county_xlsx

    width, height = SCREENS[screen]
    context = signed(viewport={"width": width, "height": height}, locale="zh-CN")
    try:
        tab = watch(context.new_page(), base_url)
        for path in ["/", "/dashboard?as_of=2026-06-30", "/login", "/import",
                     "/edit/projects/2", "/history/projects/2",
                     "/edit/projects/2/progress", "/edit/projects/new", "/edit/parcels/1",
                     "/edit/projects/2/retire",
                     "/ogc/collections/projects/items?f=html",
                     "/ogc/collections/projects/queryables?f=html", "/ogc/api?f=html"]:  # fmt: skip
            tab.page.goto(base_url + path)
            if path.startswith("/dashboard"):  # its charts and small map drawn
                tab.page.wait_for_function("() => window.geoappDashboard.ready.then(() => 1)")
            tab.page.add_script_tag(path=str(AXE))
            assert tab.page.evaluate(JS_AXE) == [], (path, screen)
        tab.page.goto(base_url + "/import")
        tab.page.set_input_files("input[type=file]", str(county_xlsx(tmp_path / "陇县.xlsx")))
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name="检查文件").click()
        assert tab.page.locator("form.mapping").is_visible()
        tab.page.add_script_tag(path=str(AXE))
        assert tab.page.evaluate(JS_AXE) == [], ("import report", screen)
        assert tab.external == [] and tab.errors == []
    finally:
        context.close()

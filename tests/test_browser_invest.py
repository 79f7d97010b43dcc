"""The investor's journey in a real browser (Debian's chromium via Playwright), offline.

On the tiny fixture with county seats (tests/invest_fixture.py) served from a GeoPackage: from
the park list to a park's vacancy map, to a standard-land parcel's page, its PDF sheet
downloaded and read with pdftotext, and an enquiry sent (with a name written like HTML, which
stays text); through the ready-built factory space (/invest/factories); two sites ticked on
the free land, compared, the comparison's PDF downloaded and a column removed — at an office
screen (1366×768) and a phone (390×844); an editor attaches a photo and a PDF to a parcel that
an anonymous visitor then sees on its page at both sizes. axe-core finds no WCAG 2 A/AA
violation on any investors' page, nor on the officials' leads and attachment pages, at the
screen sizes of tests/test_browser.py. Requests leaving the app are blocked and recorded, as there.
"""

# ruff: noqa: F811 (fixtures imported from tests/test_browser.py are arguments by name)
from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest

from geoapp.invest.leads import LEADS_TABLE
from tests.accounts import PASSWORD, provision, signed_context
from tests.conftest import fill
from tests.fixtures import LONG, XSS_NAME, open_store, serve, settings_for
from tests.invest_fixture import invest_frames
from tests.test_browser import AXE, JS_AXE, SCREENS, Tab, browser, watch  # noqa: F401
from tests.test_parcel_attachments import looks_alike, pdf
from tests.test_photos import jpeg

pytestmark = pytest.mark.browser

JOURNEY_SCREENS = {"office": (1366, 768), "phone": (390, 844)}
JS_MAP_READY = "() => document.querySelector('#invest-map[data-ready]')"
JS_SHAPES = "() => document.querySelectorAll('#invest-map path.leaflet-interactive').length"
JS_IMAGE_LOADED = "(img) => img.complete && img.naturalWidth > 0"


@pytest.fixture(scope="module")
def served(request, tmp_path_factory) -> Iterator[tuple[str, str]]:
    where = fill("geopackage", invest_frames(), tmp_path_factory.mktemp("invest"), request)
    with serve(settings_for(where)) as url:
        yield url, where


@pytest.fixture
def tab_at(browser, served):
    """A page of a fresh, anonymous browser context at a screen size."""
    contexts = []

    def open_tab(width: int, height: int) -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return watch(context.new_page(), served[0])

    yield open_tab
    for context in contexts:
        context.close()


def go(tab: Tab, click) -> None:
    with tab.page.expect_navigation():
        click()
    tab.page.wait_for_function(JS_MAP_READY)


@pytest.mark.parametrize("screen", JOURNEY_SCREENS)
def test_an_investor_goes_from_the_parks_to_a_parcel_sheet_and_an_enquiry(
    tab_at, served, screen, tmp_path
):
    base, where = served
    tab = tab_at(*JOURNEY_SCREENS[screen])
    page = tab.page
    page.goto(base + "/invest")
    page.wait_for_function(JS_MAP_READY)
    assert page.get_by_role("heading", name="产业园区", exact=True).is_visible()
    assert page.evaluate(JS_SHAPES) >= 2  # the two parks' outlines (and their markers)
    go(tab, page.get_by_role("link", name="查看苏陕工业园可供土地").click)

    assert page.get_by_role("heading", name="苏陕工业园", level=1).is_visible()
    sites = page.locator("ol.site-list > li")
    assert sites.count() == 4  # P1-002 available, factories P1-004 and P1-005, 1号标准地
    assert "固定资产投资强度（不低于）" in sites.filter(has_text="1号标准地").inner_text()
    assert page.evaluate(JS_SHAPES) >= 2
    page.get_by_role("button", name="在地图上查看1号标准地").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "1号标准地" in popup.inner_text() and "挂牌出让中" in popup.inner_text()
    go(tab, page.locator("ol.site-list").get_by_role("link", name="1号标准地").click)

    assert page.get_by_role("heading", name="1号标准地", level=1).is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载地块说明书（PDF，A4）").click()
    pdf = tmp_path / "sheet.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout
    for words in ("P1-003", "地块说明书", "固定资产投资强度", "县城"):
        assert words in text.decode(), words

    before = _leads(where)
    page.get_by_label("您的姓名").fill(XSS_NAME)
    page.get_by_label("单位名称（选填）").fill("某某储能科技有限公司")
    page.get_by_label("联系电话").fill("0917-4612345")
    page.get_by_label("意向内容").fill(f"{screen}: 想了解该地块的供电和出让时间。")
    with page.expect_navigation():
        page.get_by_role("button", name="提交意向").click()
    assert "意向登记已送达园区招商部门" in page.get_by_role("status").inner_text()
    assert _leads(where) == before + 1
    assert tab.dialogs == [] and tab.errors == [] and tab.external == []
    assert not [s for _url, s in tab.responses if s >= 400]


@pytest.mark.parametrize("screen", JOURNEY_SCREENS)
def test_an_investor_browses_the_ready_built_factory_space(tab_at, served, screen):
    """From the header to /invest/factories: every factory with its floor area, rent and sale
    price; one on the map; the list narrowed to a park; no WCAG violation on the way."""
    base, _where = served
    tab = tab_at(*JOURNEY_SCREENS[screen])
    page = tab.page
    page.goto(base + "/invest")
    page.wait_for_function(JS_MAP_READY)
    header = page.get_by_role("navigation", name="主导航")
    go(tab, header.get_by_role("link", name="标准化厂房").click)

    assert page.get_by_role("heading", name="标准化厂房", level=1).is_visible()
    factories = page.locator("ol.site-list > li")
    assert factories.count() == 3  # P1-004, P1-005 (苏陕工业园), P2-002 (扎尔墩滩)
    first = factories.filter(has_text="P1-004").inner_text()
    for words in ("苏陕工业园", "建筑面积", "6,000 平方米", "12.5 元/平方米·月", "2,400 元/平方米"):
        assert words in first, words
    assert "合计：3 栋 / 13,700 平方米" in page.locator(".factory-total").inner_text()
    assert page.evaluate(JS_SHAPES) >= 3
    _no_wcag_violations(page, ("/invest/factories", screen))
    page.get_by_role("button", name="在地图上查看P2-002").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "P2-002" in popup.inner_text() and "3,200 平方米" in popup.inner_text()

    page.get_by_label("园区", exact=True).select_option(label="苏陕工业园 · 陇县")
    go(tab, page.get_by_role("button", name="查看", exact=True).click)
    assert page.url.endswith("/invest/factories?park=P1")
    assert factories.count() == 2
    assert "合计：2 栋 / 10,500 平方米" in page.locator(".factory-total").inner_text()
    _no_wcag_violations(page, ("/invest/factories?park=P1", screen))
    go(tab, page.locator("ol.site-list").get_by_role("link", name="P1-005").click)
    assert page.get_by_role("heading", name="P1-005", level=1).is_visible()
    assert "4,500 平方米" in page.locator("#main").inner_text()


@pytest.mark.parametrize("screen", JOURNEY_SCREENS)
def test_an_investor_ticks_sites_on_the_free_land_and_compares_them(tab_at, screen, tmp_path):
    """No script needed to pick: the ticks are a plain form; the table scrolls sideways on a
    phone, by keyboard too; the map numbers the sites as the table's columns."""
    tab = tab_at(*JOURNEY_SCREENS[screen])
    page = tab.page
    page.goto(tab.base + "/invest/vacancies")
    page.wait_for_function(JS_MAP_READY)
    for name in ("P2-001", "1号标准地", "P1-002"):
        page.get_by_role("checkbox", name=f"加入对比 {name}").check()
    go(tab, page.get_by_role("button", name="对比所选").click)

    assert page.get_by_role("heading", name="地块对比", level=1).is_visible()
    heads = [h.get_attribute("data-site") for h in page.locator("th.compare-site").all()]
    assert heads == ["parcels:P1-002", "parcels:P2-001", "standard_land:P1-003"]  # list order
    intensity = page.locator("tr[data-row=invest_intensity] td")
    assert intensity.all_inner_texts() == ["—", "—", "200 万元/亩"]
    assert sorted(page.locator(".invest-number").all_inner_texts()) == ["1", "2", "3"]  # map
    region = page.get_by_role("region", name="3 块地并排对比")
    wide = region.evaluate("e => e.scrollWidth > e.clientWidth")
    assert wide == (screen == "phone")  # the labels and three sites: wider than a phone
    if wide:
        region.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.querySelector('.compare-scroll').scrollLeft > 0")
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(JS_AXE) == [], ("compare", screen)

    with page.expect_download() as download:
        page.get_by_role("link", name="下载对比表（PDF，A4 横向）").click()
    pdf = tmp_path / "compare.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout
    for words in ("P1-002", "P2-001", "P1-003", "地块对比表", "固定资产投资强度"):
        assert words in text.decode(), words

    go(tab, page.get_by_role("link", name="移除 P2-001").click)
    heads = [h.get_attribute("data-site") for h in page.locator("th.compare-site").all()]
    assert heads == ["parcels:P1-002", "standard_land:P1-003"]
    assert tab.dialogs == [] and tab.errors == [] and tab.external == []
    assert not [s for _url, s in tab.responses if s >= 400]


def _no_wcag_violations(page, where) -> None:
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(JS_AXE) == [], where


def _leads(where) -> int:
    store = open_store(where)
    return len(store.read(LEADS_TABLE)) if LEADS_TABLE in store.tables() else 0


@pytest.mark.parametrize("screen", SCREENS)
def test_the_investors_pages_have_no_wcag_violations(browser, served, screen):
    base, _where = served
    width, height = SCREENS[screen]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    try:
        tab = watch(context.new_page(), base)
        for path in ["/invest", "/invest/parks/P1", "/invest/vacancies",
                     "/invest/parcels/standard_land/P1-003", "/invest/parcels/parcels/P2-001",
                     "/invest/parks/P2?lang=en", "/invest/parks/nothing", "/invest/factories",
                     "/invest/factories?park=P2&lang=en", "/invest/parcels/parcels/P1-004",
                     "/invest/factories?park=nothing", "/invest/compare",
                     "/invest/compare?site=parcels:P1-002&site=standard_land:P1-003"
                     "&site=parcels:P2-001", "/invest/compare?site=parcels:nothing&lang=en",
                     "/invest/parcels/parcels/P1-002?site=parcels:P2-001"]:  # fmt: skip
            tab.page.goto(base + path)
            tab.page.add_script_tag(path=str(AXE))
            assert tab.page.evaluate(JS_AXE) == [], (path, screen)
        tab.page.goto(base + "/invest/parks/P1?lang=zh")  # refusals beside the fields
        tab.page.get_by_label("联系电话").fill("12345")
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name="提交意向").click()
        assert tab.page.locator("#phone-error").is_visible()
        tab.page.add_script_tag(path=str(AXE))
        assert tab.page.evaluate(JS_AXE) == [], ("refused enquiry", screen)
        assert tab.external == [] and tab.errors == []
    finally:
        context.close()
    signed = signed_context(browser, base, viewport={"width": width, "height": height})
    try:
        tab = watch(signed.new_page(), base)
        tab.page.goto(base + "/leads")
        tab.page.add_script_tag(path=str(AXE))
        assert tab.page.evaluate(JS_AXE) == [], ("/leads", screen)
    finally:
        signed.close()


def test_an_editor_attaches_a_photo_that_an_investor_then_sees(browser, served, tmp_path):
    """An editor of 陇县 signs in, goes from P1-002's edit form to 照片和文件, is told a text file
    named ``.jpg`` is no photo beside the field, attaches a photo and a PDF; an anonymous
    visitor then finds both on the parcel page at an office screen and a phone: the thumbnail
    loaded, the original (saved again, without its metadata) and the PDF (byte for byte)
    downloaded; axe-core finds no violation on the editor's pages nor on the parcel page."""
    base, where = served
    provision(open_store(where), "editor_long", "editor", LONG)
    photo, notes, document = (
        tmp_path / "地块现状.jpg",
        tmp_path / "notes.jpg",
        tmp_path / "报告.pdf",
    )
    photo.write_bytes(jpeg(11, (1600, 1200)))
    notes.write_text("not a photo\n" * 20)
    document.write_bytes(pdf("Site report"))
    parcels = open_store(where).read("parcels")
    fid = int(parcels.index[parcels["parcel_id"] == "P1-002"][0])
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        tab = watch(context.new_page(), base)
        page = tab.page
        page.goto(base + "/login")
        page.fill("input[name=username]", "editor_long")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto(f"{base}/edit/parcels/{fid}")
        with page.expect_navigation():
            page.get_by_role("link", name="照片和文件").click()
        assert page.get_by_role("heading", name="照片和文件: P1-002", level=1).is_visible()
        assert "公开：投资者可在地块页查看" in page.locator(".public-notice").inner_text()
        _no_wcag_violations(page, "attachments, none yet")

        for file, caption in (
            (notes, "现场记录"),
            (photo, "地块现状（东南角）"),
            (document, "地块报告"),
        ):
            page.set_input_files("#f-file", str(file))
            page.get_by_label("说明", exact=True).fill(caption)
            with page.expect_navigation():
                page.get_by_role("button", name="上传").click()
            if file is notes:
                error = page.locator("#e-file")
                assert "“notes.jpg”既不是照片" in error.inner_text()
                assert page.get_by_label("照片或 PDF 文件").get_attribute("aria-invalid") == "true"
                _no_wcag_violations(page, "attachment refused")
            else:
                assert "已上传" in page.get_by_role("status").inner_text()
        thumbnail = page.locator(".attachment-photos img")
        thumbnail.scroll_into_view_if_needed()
        page.wait_for_function(JS_IMAGE_LOADED, arg=thumbnail.element_handle())
        assert page.locator(".document-list").inner_text().startswith("地块报告\n报告.pdf · PDF")
        _no_wcag_violations(page, "attachments, two")
        with page.expect_navigation():
            page.get_by_role("link", name="移除 地块报告").click()
        assert page.get_by_role("heading", name="移除“地块报告”？").is_visible()
        _no_wcag_violations(page, "removal asked")
        assert tab.errors == [] and tab.external == []
    finally:
        context.close()

    for screen, (width, height) in JOURNEY_SCREENS.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        try:
            tab = watch(context.new_page(), base)
            page = tab.page
            page.goto(base + "/invest/parcels/parcels/P1-002")
            section = page.get_by_role("region", name="照片和文件")
            image = section.get_by_role("img", name="照片：地块现状（东南角）")
            image.scroll_into_view_if_needed()
            page.wait_for_function(JS_IMAGE_LOADED, arg=image.element_handle())
            assert image.is_visible() and "地块现状（东南角）" in section.inner_text()
            assert re.search(r"报告\.pdf · PDF · \d+ KB", section.inner_text())
            original = section.locator(".attachment-photos a").get_attribute("href")
            # the photo saved again without its metadata (test_parcel_attachments.py), the same
            assert looks_alike(page.request.get(base + original).body(), photo.read_bytes())
            pdf_link = section.get_by_role("link", name="地块报告")
            assert page.request.get(base + pdf_link.get_attribute("href")).body() == (
                document.read_bytes()
            )
            wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not wide, screen
            _no_wcag_violations(page, ("parcel page with attachments", screen))
            assert tab.errors == [] and tab.external == []
            assert not [s for _url, s in tab.responses if s >= 400]
        finally:
            context.close()

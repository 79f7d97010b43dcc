"""智能选址 in a real browser (Debian's chromium via Playwright), offline, on the hand-worked
fixture of tests/test_siting.py: from the park list to the form, a ranked shortlist with its
reasons and numbered map, a shared link that gives the same list, two sites compared, and a
parcel's PDF sheet —
at an office screen and a phone. axe-core finds no WCAG 2 A/AA violation on the form, the
shortlist or the refused form at each screen size.
"""

# ruff: noqa: F811 (fixtures imported from tests/test_browser.py are arguments by name)
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import fill
from tests.fixtures import serve, settings_for
from tests.pdf import pdf_text
from tests.siting_fixture import siting_frames
from tests.test_browser import AXE, JS_AXE, Tab, browser, watch  # noqa: F401

pytestmark = pytest.mark.browser

SCREENS = {"office": (1366, 768), "phone": (390, 844)}
ALL_SCREENS = {"desktop": (1280, 720), **SCREENS, "large": (1920, 1080)}
JS_MAP_READY = "() => document.querySelector('#invest-map[data-ready]')"
JS_NUMBERS = "() => [...document.querySelectorAll('.invest-number')].map(t => t.textContent)"
ORDER = ["S1号标准地", "S2号标准地", "A3", "B1"]  # worked out by hand in tests/test_siting.py


@pytest.fixture(scope="module")
def served(request, tmp_path_factory) -> Iterator[str]:
    where = fill("geopackage", siting_frames(), tmp_path_factory.mktemp("siting"), request)
    with serve(settings_for(where)) as url:
        yield url


def open_tab(browser, base: str, width: int, height: int):
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(15_000)
    return context, watch(context.new_page(), base)


def titles(tab: Tab) -> list[str]:
    return tab.page.locator("ol.ranked-list .site-title").all_inner_texts()


def no_wcag_violations(tab: Tab, where) -> None:
    tab.page.add_script_tag(path=str(AXE))
    assert tab.page.evaluate(JS_AXE) == [], where


@pytest.mark.parametrize("screen", SCREENS)
def test_an_investor_finds_a_ranked_shortlist_and_shares_it(browser, served, screen, tmp_path):
    context, tab = open_tab(browser, served, *SCREENS[screen])
    page = tab.page
    try:
        page.goto(served + "/invest")
        with page.expect_navigation():
            page.get_by_role("link", name="为项目智能选址").click()
        page.wait_for_function(JS_MAP_READY)
        page.get_by_label("面积自 （亩）", exact=True).fill("40")
        page.get_by_label("面积至 （亩）", exact=True).fill("60")
        page.get_by_label("产业").fill("新材料")
        page.get_by_label("出让底价不高于").fill("18")
        page.get_by_label("距高速出口").fill("10")
        page.get_by_label("计划投资").fill("8,000")
        with page.expect_navigation():
            page.get_by_role("button", name="开始选址").click()
        page.wait_for_function(JS_MAP_READY)

        assert titles(tab) == ORDER
        first = page.locator("li.ranked").first.inner_text()
        assert "96 分" in first and "满足 5 项要求中的 4 项" in first
        s2 = page.locator("li.ranked").nth(1).inner_text()
        assert "投资强度：160 万元/亩" in s2 and "本地块需 10,000 万元" in s2
        assert sorted(page.evaluate(JS_NUMBERS)) == ["1", "2", "3", "4"]  # numbered on the map
        no_wcag_violations(tab, ("shortlist", screen))

        page.get_by_role("button", name="在地图上查看S2号标准地").click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert "2. S2号标准地" in popup.inner_text() and "85.1" in popup.inner_text()

        shared = page.url
        assert "area_min=40" in shared and "industry=" in shared
        other, again = open_tab(browser, served, *SCREENS[screen])
        try:
            again.page.goto(shared)
            assert titles(again) == ORDER  # the link is the shortlist
        finally:
            other.close()

        page.locator("li.ranked").nth(0).get_by_role("checkbox", name="对比").check()
        page.locator("li.ranked").nth(2).get_by_role("checkbox", name="对比").check()
        with page.expect_navigation():
            page.get_by_role("button", name="对比所选地块（2 至 4 个）").click()
        heads = [h.get_attribute("data-site") for h in page.locator("th.compare-site").all()]
        assert heads == ["standard_land:S1", "parcels:A3"]  # in the shortlist's order
        with page.expect_navigation():
            page.get_by_role("link", name="S1号标准地", exact=True).click()
        with page.expect_download() as download:
            page.get_by_role("link", name="下载地块说明书（PDF，A4）").click()
        text = pdf_text(download.value.path().read_bytes())
        assert "S1号标准地" in text and "投资强度" in text
        assert tab.errors == [] and tab.external == [] and tab.dialogs == []
        assert not [s for _url, s in tab.responses if s >= 500]
    finally:
        context.close()


@pytest.mark.parametrize("screen", ALL_SCREENS)
def test_the_siting_pages_have_no_wcag_violations(browser, served, screen):
    context, tab = open_tab(browser, served, *ALL_SCREENS[screen])
    try:
        asked = "/invest/siting?area_min=40&area_max=60&industry=新材料&gas=1&seat=20"
        for path in ["/invest/siting", "/invest/siting?kind=factory&highway=10&lang=en", asked]:
            tab.page.goto(served + path)
            tab.page.wait_for_function(JS_MAP_READY)
            no_wcag_violations(tab, (path, screen))
        answer = tab.page.goto(served + "/invest/siting?area_min=60&area_max=40&industry=火箭")
        assert answer.status == 400
        assert tab.page.locator("#need-area_max-error").is_visible()
        assert tab.page.locator("#need-industry-error").is_visible()
        no_wcag_violations(tab, ("refused", screen))
        assert tab.errors == [] and tab.external == []
    finally:
        context.close()

"""The header search's suggestions in a real browser (static/search.js over /api/search).

On the tiny fixture, served from a GeoPackage and from PostGIS (the fixtures of
tests/test_browser.py): the input is an ARIA combobox; typing suggests counties, parks and
features; arrows and Enter choose one — a park opens the map filtered by it, the other
filters kept, a project zooms to it and opens its popup; Enter without a choice still submits
the text filter; Escape closes; names stay text; touch works; axe finds nothing with the list
open. Requests leaving the app are blocked and recorded, as in tests/test_browser.py.
"""

# ruff: noqa: F811 (fixtures imported from tests/test_browser.py are arguments by name)
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from geoapp.config import PROJECT_ROOT
from tests.fixtures import LONG, XSS_NAME
from tests.test_browser import (  # noqa: F401  (fixtures, used by name)
    JS_AXE,
    Tab,
    base_url,
    browser,
    context,
    new_tab,
    popup_title,
    signed,
    watch,
)

pytestmark = pytest.mark.browser

INPUT = ".header-search input[name=q]"
LIST = "#header-search-list"
OPTIONS = LIST + " [role=option]"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def args(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def tab_to_search(tab: Tab) -> None:
    """From the top of the page to the search box by the Tab key alone."""
    page = tab.page
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name === 'q'"):
            return
    raise AssertionError("the search box cannot be reached with Tab")


def suggestions(tab: Tab, text: str) -> list[str]:
    """Type ``text`` and wait for the suggestions the list shows for it."""
    page = tab.page
    page.keyboard.type(text)
    page.wait_for_selector(OPTIONS, state="visible")
    assert page.get_attribute(INPUT, "aria-expanded") == "true"
    return page.locator(OPTIONS).all_inner_texts()


def active_option(tab: Tab) -> str:
    """The text of the option the input's aria-activedescendant points at."""
    return tab.page.evaluate(
        """(sel) => { const input = document.querySelector(sel);
            const id = input.getAttribute('aria-activedescendant');
            const option = id && document.getElementById(id);
            return option && option.getAttribute('aria-selected') === 'true'
                ? option.textContent : null; }""",
        INPUT,
    )


def press_down_to(tab: Tab, wanted: str) -> None:
    """Arrow down until the highlighted suggestion contains ``wanted``."""
    for _ in range(tab.page.locator(OPTIONS).count()):
        tab.page.keyboard.press("ArrowDown")
        if wanted in (active_option(tab) or ""):
            return
    raise AssertionError(f"no suggestion {wanted!r}")


def test_the_search_box_is_a_combobox(new_tab):
    tab = new_tab()
    tab.open("/")
    search = tab.page.locator(INPUT)
    assert search.get_attribute("role") == "combobox"
    assert search.get_attribute("aria-autocomplete") == "list"
    assert search.get_attribute("aria-expanded") == "false"
    assert search.get_attribute("aria-controls") == "header-search-list"
    listbox = tab.page.locator(LIST)
    assert listbox.get_attribute("role") == "listbox" and listbox.is_hidden()
    assert tab.errors == [] and tab.external == []


def test_a_park_chosen_by_keyboard_filters_the_map_keeping_the_other_filters(new_tab):
    tab = new_tab()
    tab.open("/?status=construction")
    tab_to_search(tab)
    shown = suggestions(tab, "苏陕")
    assert any("苏陕工业园" in s for s in shown)
    assert tab.page.locator(LIST + " [role=group]").first.inner_text().startswith("园区")
    press_down_to(tab, "苏陕工业园")
    with tab.page.expect_navigation() as navigation:
        tab.page.keyboard.press("Enter")
    tab.wait_drawn()
    asked = args(navigation.value.url)  # then the page writes its view= into the address
    assert asked == {"status": ["construction"], "park": ["P1"]}
    found = args(tab.page.url)
    assert found["park"] == ["P1"] and found["status"] == ["construction"]
    assert tab.page.locator("select[name=park]").input_value() == "P1"
    assert tab.errors == [] and tab.external == []


def test_a_county_replaces_the_park_of_another(new_tab):
    tab = new_tab()
    tab.open("/?park=P2")
    tab_to_search(tab)
    suggestions(tab, "陇县")
    press_down_to(tab, "610327")  # the county (its detail is its code), not a project
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    tab.wait_drawn()
    found = args(tab.page.url)
    assert found["county"] == [LONG] and "park" not in found


def test_a_project_chosen_by_keyboard_opens_its_popup(new_tab):
    tab = new_tab()
    tab.open("/")
    tab_to_search(tab)
    shown = suggestions(tab, "陇县医院")
    assert any("陇县医院项目" in s for s in shown)
    assert tab.page.locator(LIST + " [role=group]").first.inner_text().startswith("重点项目")
    press_down_to(tab, "陇县医院项目")
    tab.page.keyboard.press("Enter")
    assert popup_title(tab.page) == "陇县医院项目"
    sel = args(tab.page.url)["sel"][0]
    assert sel.startswith("projects:")
    assert tab.page.locator(LIST).is_hidden()
    assert tab.page.get_attribute(INPUT, "aria-expanded") == "false"
    assert tab.page.input_value(INPUT) == ""  # the text filter is left as it was
    assert tab.errors == [] and tab.external == []


def test_enter_without_a_choice_still_filters_by_text(new_tab):
    tab = new_tab()
    tab.open("/")
    tab_to_search(tab)
    suggestions(tab, "风电")
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    tab.wait_drawn()
    assert args(tab.page.url)["q"] == ["风电"]
    assert tab.count("projects") == 1


def test_escape_closes_and_no_match_is_said(new_tab):
    tab = new_tab()
    tab.open("/")
    tab_to_search(tab)
    suggestions(tab, "陇县")
    tab.page.keyboard.press("Escape")
    assert tab.page.locator(LIST).is_hidden()
    assert tab.page.get_attribute(INPUT, "aria-expanded") == "false"
    assert tab.page.input_value(INPUT) == "陇县"  # the first Escape only closes the list
    tab.page.keyboard.press("ArrowDown")  # opens it again, on the first suggestion
    assert tab.page.locator(LIST).is_visible() and active_option(tab)
    tab.page.keyboard.press("Escape")
    tab.page.keyboard.type("没有这个")
    tab.page.wait_for_selector(".search-note", state="visible")
    assert tab.page.locator(".search-note").inner_text() == "无匹配结果"
    assert tab.page.locator(".search-combo [role=status]").inner_text() == "无匹配结果"
    assert tab.page.locator(LIST).is_hidden()


def test_names_stay_text(new_tab):
    tab = new_tab()
    tab.open("/")
    tab_to_search(tab)
    shown = suggestions(tab, "<img")
    assert any(XSS_NAME in s for s in shown)
    assert tab.page.locator(LIST + " img").count() == 0
    assert tab.dialogs == [] and tab.errors == []


def test_touch_on_a_phone(new_tab, browser, signed):
    ctx = signed(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    try:
        tab = new_tab(ctx)
        tab.open("/")
        tab.page.tap(INPUT)
        suggestions(tab, "扎尔")
        option = tab.page.locator(OPTIONS, has_text="扎尔墩滩工业集中区")
        box = option.bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390
        with tab.page.expect_navigation():
            option.tap()
        tab.wait_drawn()
        assert args(tab.page.url)["park"] == ["P2"]
        assert tab.errors == [] and tab.external == []
    finally:
        ctx.close()


@pytest.mark.parametrize("screen", [(1280, 720), (390, 844)], ids=["desktop", "phone"])
def test_no_wcag_violations_with_the_list_open(browser, base_url, screen, signed):
    width, height = screen
    ctx = signed(viewport={"width": width, "height": height}, locale="zh-CN")
    try:
        tab = watch(ctx.new_page(), base_url)
        tab.open("/")
        tab.page.focus(INPUT)
        suggestions(tab, "P")  # parks, parcels and standard land
        tab.page.keyboard.press("ArrowDown")
        tab.page.add_script_tag(path=str(AXE))
        assert tab.page.evaluate(JS_AXE) == []
        assert tab.page.locator(LIST).is_visible()
        assert tab.external == [] and tab.errors == []
    finally:
        ctx.close()

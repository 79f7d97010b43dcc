"""Site photos in a real browser (Debian's chromium via Playwright), on the tiny fixture served
from a GeoPackage and from PostGIS (the fixtures of tests/test_browser.py).

An editor (the test admin, signed in through /login) opens 本月进度, fills the month's figures,
attaches a photo made with Pillow, saves, and sees its thumbnail on the history page — loaded,
with alt text, linking to the original byte for byte; a text file named ``.jpg`` is refused
beside the photo field; axe-core finds no WCAG 2 A/AA violation on these pages.
"""

# ruff: noqa: F811 (fixtures imported from tests/test_browser.py are arguments by name)
from __future__ import annotations

from datetime import date

import pytest

from geoapp.config import PROJECT_ROOT
from tests.test_browser import (  # noqa: F401  (fixtures, used by name)
    JS_AXE,
    base_url,
    browser,
    context,
    new_tab,
    signed,
)
from tests.test_photos import jpeg

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
JS_LOADED = "(img) => img.complete && img.naturalWidth > 0"


def no_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(JS_AXE)


def test_an_editor_attaches_a_photo_and_sees_its_thumbnail_in_the_history(new_tab, tmp_path):
    photo = tmp_path / "工地东侧.jpg"
    photo.write_bytes(jpeg(8, (1600, 1200)))
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a photo\n" * 20)
    tab = new_tab()
    page = tab.page
    page.goto(tab.base + "/edit/projects/2/progress")
    page.get_by_label("月份").fill(date.today().strftime("%Y-%m"))
    page.get_by_label("累计完成投资（万元）").fill("800")
    page.set_input_files("#f-photos", [str(photo), str(notes)])
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    error = page.locator("#e-photos")
    assert "“notes.jpg”不是 JPEG、PNG 或 WebP 图片" in error.inner_text()
    assert "工地东侧.jpg" not in error.inner_text()
    assert page.get_by_label("现场照片").get_attribute("aria-invalid") == "true"
    assert no_violations(page) == [], "refused photo"

    page.set_input_files("#f-photos", str(photo))
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "/history/projects/2" in page.url and page.get_by_text("已保存。").is_visible()
    thumbnail = page.locator(".photo-months img")
    assert thumbnail.count() == 1 and "现场照片 1" in thumbnail.get_attribute("alt")
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function(JS_LOADED, arg=thumbnail.element_handle())
    assert page.locator(".photo-months figcaption").inner_text().startswith("工地东侧.jpg")
    original = page.locator(".photo-months a").get_attribute("href")
    assert page.request.get(tab.base + original).body() == photo.read_bytes()
    assert no_violations(page) == [], "history with a photo"

    page.goto(tab.base + "/edit/projects/2/progress")  # this month's photos, on the form
    kept = page.locator(".photo-month img")
    assert kept.count() == 1
    kept.scroll_into_view_if_needed()  # thumbnails load lazily
    page.wait_for_function(JS_LOADED, arg=kept.element_handle())
    assert no_violations(page) == [], "progress form with a photo"
    assert tab.external == [] and tab.errors == []

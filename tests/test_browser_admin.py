"""The admin's pages in a real browser (Debian's chromium via Playwright).

On the tiny fixture (tests/fixtures.py) served from a GeoPackage, with two projects retired
(A2, named like HTML, and A3): the admin adds an account in the page and the new user signs
in in a second browser and sees their county only; the admin brings a retired project back;
axe-core finds no WCAG 2 A/AA violation on any admin page at any of the screen sizes of
tests/test_browser.py. Requests leaving the app are blocked and recorded, as there.
"""

# ruff: noqa: F811 (fixtures imported from tests/test_browser.py are arguments by name)
from __future__ import annotations

from collections.abc import Iterator

import pytest

from geoapp.stores import Change, ChangeSet, Store
from tests.accounts import signed_context
from tests.fixtures import LONG, XSS_NAME, open_store, serve, settings_for, tiny_frames
from tests.test_browser import AXE, JS_AXE, SCREENS, Tab, browser, watch  # noqa: F401

pytestmark = pytest.mark.browser

LONG_PROJECTS = 4  # in tests/fixtures.py
RETIRED = ("A2", "A3")
JS_IN_VIEW = (
    "(e) => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
)


@pytest.fixture(scope="module")
def served(request, tmp_path_factory) -> Iterator[tuple[str, Store]]:
    """The tiny fixture with A2 and A3 retired by an editor, served; its URL and store."""
    from tests.conftest import fill

    where = fill("geopackage", tiny_frames(), tmp_path_factory.mktemp("admin"), request)
    store = open_store(where)
    store.apply(ChangeSet("editor_long", [Change("delete", "projects", (c,)) for c in RETIRED]))
    with serve(settings_for(where)) as url:
        yield url, store


@pytest.fixture
def admin_tab(browser, served) -> Iterator[Tab]:
    """A page of a browser context signed in as the test admin."""
    context = signed_context(browser, served[0], viewport={"width": 1366, "height": 768})
    context.set_default_timeout(10_000)
    yield watch(context.new_page(), served[0])
    context.close()


def submit(tab: Tab, button: str) -> None:
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name=button).click()


def test_the_admin_adds_an_official_who_signs_in_in_another_browser(admin_tab, browser, served):
    base, store = served
    tab = admin_tab
    tab.page.goto(base + "/admin/users")
    tab.page.get_by_label("用户名").fill("browser-official")
    tab.page.get_by_label("角色").select_option("official")
    tab.page.get_by_label("管辖范围（行政区划代码）").fill(LONG)
    submit(tab, "添加账号")
    secret = tab.page.locator(".secret-value")
    assert secret.evaluate(JS_IN_VIEW)  # the form's answer opens at #add-title, below the list
    password = secret.inner_text()
    assert tab.page.locator("table.admin-table").first.get_by_text("browser-official").is_visible()

    other = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        theirs = watch(other.new_page(), base)
        theirs.page.goto(base + "/login")
        theirs.page.fill("input[name=username]", "browser-official")
        theirs.page.fill("input[name=password]", password)
        submit(theirs, "登录")
        theirs.wait_drawn()
        live = store.read("projects")["county_code"] == LONG  # A2 and A3 retired: 2 of 4
        assert theirs.count("projects") == int(live.sum()) < LONG_PROJECTS
        assert theirs.drawn()["projects"] + sum(theirs.clusters()) == int(live.sum())
        assert theirs.page.locator(".app-nav").get_by_text("系统管理").count() == 0
        assert theirs.page.goto(base + "/admin/users").status == 403
        assert theirs.external == [] and theirs.errors == []
    finally:
        other.close()
    assert tab.external == [] and tab.errors == []


def test_the_admin_restores_a_retired_project_that_stays_text(admin_tab, served):
    base, store = served
    tab = admin_tab
    tab.page.goto(base + "/admin/retired")
    row = tab.page.locator("tr", has_text="A2")
    assert row.get_by_role("link").inner_text() == XSS_NAME  # shown as text, not run
    assert "editor_long" in row.inner_text()
    submit(tab, f"恢复 {XSS_NAME}")
    assert "/history/projects/" in tab.page.url
    assert tab.page.get_by_role("status").inner_text() == "已保存。"
    assert ("A2",) not in {e.key for e in store.retired("projects")}
    assert tab.dialogs == [] and tab.external == [] and tab.errors == []


@pytest.mark.parametrize("screen", SCREENS)
def test_admin_pages_have_no_wcag_violations(browser, served, screen):
    """axe-core (WCAG 2 A and AA) on the users page (also with refusals beside the fields),
    an account with a token just shown, the retired records and a retired record's history."""
    base, store = served
    width, height = SCREENS[screen]
    viewport = {"width": width, "height": height}
    context = signed_context(browser, base, viewport=viewport, locale="zh-CN")
    try:
        tab = watch(context.new_page(), base)
        fid = store.retired("projects")[0].feature_id

        def check(what: str) -> None:
            tab.page.add_script_tag(path=str(AXE))
            assert tab.page.evaluate(JS_AXE) == [], (what, screen)

        for path in ["/admin/users", "/admin/users/admin", "/admin/retired",
                     f"/admin/retired/projects/{fid}"]:  # fmt: skip
            tab.page.goto(base + path)
            check(path)
        tab.page.goto(base + "/admin/users")
        tab.page.get_by_label("用户名").fill("bad|name")
        tab.page.get_by_label("初始密码").fill("short")
        submit(tab, "添加账号")
        assert tab.page.locator(".field-error").count() == 3
        check("refusals")
        tab.page.goto(base + "/admin/users/admin")
        submit(tab, "生成令牌")
        assert tab.page.locator(".secret-value").is_visible()
        check("token shown once")
        assert tab.external == [] and tab.errors == []
    finally:
        context.close()

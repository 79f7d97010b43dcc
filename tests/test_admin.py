"""The admin's pages: accounts made and changed in forms, retired records brought back.

Through the Flask test client, signed in as a person is (``/login``, CSRF token in every
form), on every backend. tests/fixtures.py: 陇县 610327 holds projects A1–A4, 临泽 620723 B1.
"""

from __future__ import annotations

import html
import logging
import re

import pytest

from geoapp import create_app
from geoapp.auth import users
from geoapp.stores import Change, ChangeSet
from tests.accounts import PASSWORD, bearer, csrf_of, provision, signed_in, signed_in_by_form
from tests.fixtures import LINZE, LONG, XSS_NAME, open_store, settings_for

LONG_PROJECTS = 4
NEW_PASSWORD = "a-new-password-42"


@pytest.fixture
def app(where):
    provision(open_store(where))  # the test admin, password tests.accounts.PASSWORD
    return create_app(settings_for(where) | {"GEOAPP_LOGIN_LIMIT": "1000 per minute"})


@pytest.fixture
def admin(app):
    return Browser(app, "admin")


class Browser:
    """A person at a browser: signed in through /login, sending the page's CSRF token."""

    def __init__(self, app, name: str, password: str = PASSWORD):
        self.client = signed_in_by_form(app, name, password)
        self.token = csrf_of(self.client.get("/").get_data(as_text=True))

    def get(self, url: str):
        return self.client.get(url)

    def post(self, url: str, **form: str):
        return self.client.post(url, data=form | {"csrf_token": self.token})


def text(answer) -> str:
    return answer.get_data(as_text=True)


def errors_of(answer) -> dict[str, str]:
    """Field → the refusal shown beside it (``<span class="field-error" id="e-field">``)."""
    found = re.findall(r'class="field-error" id="e-([\w-]+)"[^>]*>([^<]+)<', text(answer))
    return {name: html.unescape(message) for name, message in found}


def shown_once(answer) -> str:
    return html.unescape(re.search(r'class="secret-value"[^>]*>([^<]+)<', text(answer)).group(1))


def projects_seen(app, headers=None, client=None) -> int:
    client = client or app.test_client()
    page = client.get("/api/layers/projects/features", headers=headers or {})
    return page.get_json()["numberMatched"]


# --- the store: what is retired ---------------------------------------------------------------


def test_retired_lists_the_rows_deleted_and_not_brought_back(where):
    store = open_store(where)
    store.apply(
        ChangeSet("editor_long", [Change("update", "projects", ("A1",), {"completed": 5.0})])
    )
    gone = [Change("delete", "projects", (code,)) for code in ("A1", "A2", "B1")]
    store.apply(ChangeSet("editor_long", gone))
    store.restore("projects", ("B1",), 0, "restore:admin")
    retired = store.retired("projects")
    assert [e.key for e in retired] == [("A2",), ("A1",)]  # newest first
    assert {e.author for e in retired} == {"editor_long"} and {e.op for e in retired} == {"delete"}
    a1 = next(e for e in retired if e.key == ("A1",))
    assert a1.before["name"] == "陇县乳制品项目" and a1.before["completed"] == 5.0
    assert [e.key for e in store.retired("projects", fid=a1.feature_id)] == [("A1",)]
    assert store.retired("parks") == [] and len(store.retired("projects", limit=1)) == 1


# --- accounts: users.py -----------------------------------------------------------------------


def test_every_bad_field_is_named_at_once_in_chinese_and_english(where):
    store = open_store(where)
    with pytest.raises(users.AccountError) as refused:
        users.add_user(store, "a|b", "short", "boss", "61x", "admin", ["610327"])
    assert refused.value.by_field("zh") == {
        "username": "用户名应为 1–64 个可打印字符，不含“|”",
        "role": "角色“boss”无效，应为：investor, official, editor, admin",
        "jurisdiction": "“61x”不是行政区划代码：省 21、市 2114 或县 211421",
        "password": "密码至少需要 10 个字符",
    }
    assert "the password needs at least 10 characters" in str(refused.value)  # the CLI's text
    with pytest.raises(users.AccountError, match="no county or city"):
        users.add_user(store, "x", NEW_PASSWORD, "official", "610372", "admin", ["610327"])
    assert users.all_users(store) == []


# --- accounts: the pages ----------------------------------------------------------------------


def test_an_admin_adds_an_official_who_signs_in_and_sees_only_the_jurisdiction(app, admin):
    answer = admin.post(
        "/admin/users", username="long-official", role="official", jurisdiction=LONG, password=""
    )
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    password = shown_once(answer)  # made for them, shown this once
    assert len(password) >= users.MIN_PASSWORD
    listed = text(admin.get("/admin/users"))
    assert "long-official" in listed and "陇县" in listed and password not in listed
    official = signed_in_by_form(app, "long-official", password)
    assert projects_seen(app, client=official) == LONG_PROJECTS
    assert official.get("/admin/users").status_code == 403
    assert official.get("/import").status_code == 403


def test_a_role_change_takes_effect_and_a_retired_account_cannot_sign_in(app, admin):
    admin.post("/admin/users", username="clerk", role="official", jurisdiction=LONG,
               password=NEW_PASSWORD)  # fmt: skip
    clerk = signed_in_by_form(app, "clerk", NEW_PASSWORD)
    assert clerk.get("/import").status_code == 403
    changed = admin.post("/admin/users/clerk/role", role="editor", jurisdiction=f"{LONG},{LINZE}")
    assert changed.status_code == 200 and "角色和管辖范围已保存" in text(changed)
    assert clerk.get("/import").status_code == 200  # the same session, the new role
    assert projects_seen(app, client=clerk) == LONG_PROJECTS + 1
    retired = admin.post("/admin/users/clerk/retire")
    assert retired.status_code == 302
    assert clerk.get("/").status_code == 302  # signed out: its session ends at once
    visitor = app.test_client()
    form = {"username": "clerk", "password": NEW_PASSWORD}
    form["csrf_token"] = csrf_of(text(visitor.get("/login")))
    assert visitor.post("/login", data=form).status_code == 401
    listing = text(admin.get(retired.location))
    assert re.search(r"clerk <span class=\"badge\">已停用</span>", listing)


def test_a_token_issued_in_the_page_reads_the_api_as_its_account(app, admin):
    admin.post("/admin/users", username="gis-desk", role="official", jurisdiction=LINZE,
               password=NEW_PASSWORD)  # fmt: skip
    answer = admin.post("/admin/users/gis-desk/token", label="QGIS, 规划科")
    token = shown_once(answer)
    assert answer.headers["Cache-Control"] == "no-store"
    assert "GDAL_HTTP_HEADERS" in text(answer) and "OAPIF:http://localhost/ogc" in text(answer)
    assert projects_seen(app, bearer(token)) == 1
    assert "这一次" in text(answer) and token not in text(admin.get("/admin/users/gis-desk"))
    admin.post("/admin/users/gis-desk/retire")
    assert app.test_client().get("/api/layers", headers=bearer(token)).status_code == 401


def test_a_new_password_set_in_the_page_ends_the_old_one(app, admin):
    admin.post("/admin/users", username="clerk", role="official", jurisdiction=LONG,
               password=NEW_PASSWORD)  # fmt: skip
    clerk = signed_in_by_form(app, "clerk", NEW_PASSWORD)
    answer = admin.post("/admin/users/clerk/password", password="")
    fresh = shown_once(answer)
    assert clerk.get("/").status_code == 302
    assert projects_seen(app, client=signed_in_by_form(app, "clerk", fresh)) == LONG_PROJECTS


@pytest.mark.parametrize(
    "form, field, said",
    [
        ({"username": ""}, "username", "用户名应为 1–64 个可打印字符"),
        ({"username": "a|b"}, "username", "不含“|”"),
        ({"username": "admin"}, "username", "用户“admin”已存在"),
        ({"role": "boss"}, "role", "角色“boss”无效"),
        ({"jurisdiction": "999999"}, "jurisdiction", "“999999”不对应任何县区"),
        ({"jurisdiction": "61-03"}, "jurisdiction", "不是行政区划代码"),
        ({"jurisdiction": ""}, "jurisdiction", "“official”角色需要管辖范围"),
        ({"password": "short"}, "password", "密码至少需要 10 个字符"),
    ],
)
def test_a_bad_account_is_refused_beside_its_field_and_nothing_written(
    where, admin, form, field, said
):
    before = open_store(where).version()
    good = {"username": "new-one", "role": "official", "jurisdiction": LONG, "password": ""}
    answer = admin.post("/admin/users", **(good | form))
    assert answer.status_code == 400
    assert said in errors_of(answer)[field]
    assert f'aria-describedby="h-{field} e-{field}"' in text(answer)
    assert 'class="secret-value"' not in text(answer)
    assert open_store(where).version() == before


def test_refusals_speak_english_on_an_english_page(admin):
    answer = admin.post("/admin/users?lang=en", username="x", role="official",
                        jurisdiction="999999", password="short")  # fmt: skip
    assert errors_of(answer) == {
        "jurisdiction": "jurisdiction code 999999 is no county or city of the boundaries layer",
        "password": "the password needs at least 10 characters",
    }


def test_an_admin_cannot_retire_or_demote_themselves(where, admin):
    before = open_store(where).version()
    retire = admin.post("/admin/users/admin/retire")
    assert retire.status_code == 400
    assert errors_of(retire)["retire"] == "不能停用自己的账号：请另一位管理员操作"
    demote = admin.post("/admin/users/admin/role", role="editor", jurisdiction=LONG)
    assert errors_of(demote)["role"] == "不能取消自己的管理员角色：请另一位管理员操作"
    assert open_store(where).version() == before
    assert admin.get("/admin/users").status_code == 200


def test_a_retired_account_is_restored_without_its_tokens(app, admin):
    store = app.extensions["geoapp"].store
    token = provision(store, "old-hand", "editor", LONG)
    admin.post("/admin/users/old-hand/retire")
    answer = admin.post("/admin/users/old-hand/restore")
    assert answer.status_code == 302
    assert users.find_user(store, "old-hand").role == "editor"
    assert projects_seen(app, client=signed_in_by_form(app, "old-hand")) == LONG_PROJECTS
    assert app.test_client().get("/api/layers", headers=bearer(token)).status_code == 401
    assert admin.post("/admin/users/old-hand/restore").status_code == 404  # not retired now


def test_names_stay_text_and_secrets_stay_out_of_the_logs(admin, caplog):
    caplog.set_level(logging.DEBUG)
    answer = admin.post("/admin/users", username=XSS_NAME, role="investor", jurisdiction="",
                        password=NEW_PASSWORD)  # fmt: skip
    assert answer.status_code == 200
    page = text(admin.get("/admin/users"))
    assert XSS_NAME not in page and html.escape(XSS_NAME) in page
    assert NEW_PASSWORD not in caplog.text


# --- retired records --------------------------------------------------------------------------


def fid_of(store, code: str) -> int:
    frame = store.read("projects")
    return int(frame.index[frame["project_id"] == code][0])


def test_a_retired_project_is_listed_and_restored_where_it_was(app, admin):
    store = app.extensions["geoapp"].store
    fid = fid_of(store, "A1")
    store.apply(ChangeSet("editor_long", [Change("delete", "projects", ("A1",))]))
    assert projects_seen(app, client=signed_in(app)) == LONG_PROJECTS  # 5 − 1
    listing = text(admin.get("/admin/retired"))
    row = re.search(r"<tr>\s*<th scope=\"row\".*?</tr>", listing, re.S).group(0)
    assert "陇县乳制品项目" in row and "editor_long" in row and "陇县" in row and "A1" in row
    history = admin.get(f"/history/projects/{fid}")  # gone from the map: the admin's page
    assert history.status_code == 302 and history.location == f"/admin/retired/projects/{fid}"
    page = text(admin.get(history.location))
    assert "已由 editor_long 于" in page and "陇县乳制品项目" in page
    official = signed_in(app, "long-official", "official", LONG)
    assert official.get(f"/history/projects/{fid}").status_code == 404
    back = admin.post(f"/admin/retired/projects/{fid}/restore")
    assert back.status_code == 302 and back.location == f"/history/projects/{fid}?saved=1"
    feature = signed_in(app).get(f"/api/layers/projects/features/{fid}")
    assert (
        feature.status_code == 200 and feature.get_json()["properties"]["name"] == "陇县乳制品项目"
    )
    assert store.history("projects", ("A1",), limit=1)[0].author == "restore:admin"
    assert "陇县乳制品项目" not in text(admin.get("/admin/retired"))


def test_a_retired_record_is_restored_at_the_version_chosen(app, admin):
    store = app.extensions["geoapp"].store
    fid = fid_of(store, "A3")
    store.apply(ChangeSet("e", [Change("update", "projects", ("A3",), {"completed": 1.0})]))
    store.apply(ChangeSet("e", [Change("update", "projects", ("A3",), {"completed": 2.0})]))
    store.apply(ChangeSet("e", [Change("delete", "projects", ("A3",))]))
    version = store.history("projects", ("A3",))[-1].version
    assert f'value="{version}"' in text(admin.get(f"/admin/retired/projects/{fid}"))
    admin.post(f"/admin/retired/projects/{fid}/restore", version=str(version))
    assert store.read("projects").loc[fid, "completed"] == 1.0


def test_an_admin_of_one_county_sees_only_its_retired_records(app, where):
    store = app.extensions["geoapp"].store
    b1 = fid_of(store, "B1")
    store.apply(ChangeSet("e", [Change("delete", "projects", (c,)) for c in ("A4", "B1")]))
    provision(store, "long-admin", "admin", LONG)
    long_admin = Browser(app, "long-admin")
    listing = text(long_admin.get("/admin/retired"))
    assert "陇县风电项目" in listing and "临泽储能电站" not in listing
    assert long_admin.get(f"/admin/retired/projects/{b1}").status_code == 404
    assert long_admin.post(f"/admin/retired/projects/{b1}/restore").status_code == 404
    assert store.retired("projects", fid=b1)


def test_a_retired_name_stays_text(app, admin):
    store = app.extensions["geoapp"].store
    store.apply(ChangeSet("<b>x</b>", [Change("delete", "projects", ("A2",))]))
    page = text(admin.get("/admin/retired"))
    assert XSS_NAME not in page and html.escape(XSS_NAME) in page and "<b>x</b>" not in page

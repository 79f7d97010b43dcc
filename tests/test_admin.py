"""The admin's pages: accounts made and changed in forms, retired records brought back.

Through the Flask test client, signed in as a person is (``/login``, CSRF token in every
form), on every backend. tests/fixtures.py: 陇县 610327 holds projects A1–A4, 临泽 620723 B1.
"""

from __future__ import annotations

import pytest

from geoapp.auth import users
from geoapp.stores import Change, ChangeSet
from tests.fixtures import open_store

NEW_PASSWORD = "a-new-password-42"


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

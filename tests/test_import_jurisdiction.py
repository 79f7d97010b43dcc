"""An editor imports inside their jurisdiction only: a row elsewhere is an error at its row.

The sheet is what a 陇县 office would send, with one row that belongs to 临泽 (by its stated
county code) and one that names a stored 临泽 project by its code (an update there).
"""

from __future__ import annotations

import io
import re

import pytest

from geoapp import create_app
from tests.accounts import signed_in
from tests.fixtures import LINZE, LONG, open_store, settings_for

SHEET = (
    "2024年陇县重点项目计划表\n"
    "项目代码,项目名称,县区代码,建设地点,经度,纬度,总投资（万元）\n"
    f"J-1,陇县新材料项目,{LONG},陇县城关镇,106.85,34.9,5000\n"
    f"J-2,临泽光伏项目,{LINZE},临泽县,100.12,39.12,8000\n"
    f"B1,临泽的旧项目改名,{LONG},陇县城关镇,106.86,34.91,100\n"
)


@pytest.fixture
def app(gpkg):
    return create_app(settings_for(gpkg))


def _upload(client, sheet: str = SHEET, **form):
    data = {"kind": "projects", "file": (io.BytesIO(sheet.encode("utf-8")), "陇县.csv")} | form
    return client.post("/import", data=data, content_type="multipart/form-data")


def test_rows_outside_the_jurisdiction_are_errors_at_their_rows(app, gpkg):
    editor = signed_in(app, "editor_long", "editor", LONG)
    stored_b = open_store(gpkg).read("projects").query("county_code == @LINZE")
    assert "B1" in set(stored_b["project_id"])  # the fixture's 临泽 project
    page = _upload(editor)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("不在您的管辖范围") == 2
    token = re.search(r"/import/([0-9a-f]{24})/apply", html).group(1)
    done = editor.post(f"/import/{token}/apply", data={"only_valid": "1"})
    assert done.status_code == 200
    after = open_store(gpkg).read("projects")
    assert "J-1" in set(after["project_id"]) and "J-2" not in set(after["project_id"])
    b1 = after[after["project_id"] == "B1"].iloc[0]
    assert b1["county_code"] == LINZE and b1["name"] != "临泽的旧项目改名"
    history = open_store(gpkg).history("projects", ("J-1",))
    assert history[0].author.startswith("editor_long ")


def test_a_scope_outside_the_jurisdiction_is_refused(app):
    editor = signed_in(app, "editor_long", "editor", LONG)
    answer = _upload(editor, scope=LINZE)
    assert answer.status_code == 400
    assert "管辖范围" in answer.get_data(as_text=True)


def test_an_upload_is_seen_and_applied_by_its_sender_only(app, gpkg):
    editor = signed_in(app, "editor_long", "editor", LONG)
    other = signed_in(app, "editor_linze", "editor", LINZE)
    html = _upload(editor).get_data(as_text=True)
    token = re.search(r"/import/([0-9a-f]{24})/apply", html).group(1)
    before = open_store(gpkg).version()
    assert other.get(f"/import/{token}").status_code == 404
    assert other.post(f"/import/{token}/apply", data={"only_valid": "1"}).status_code == 404
    assert open_store(gpkg).version() == before
    assert signed_in(app).get(f"/import/{token}").status_code == 200  # an admin may

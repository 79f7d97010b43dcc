"""Adding a feature from the web (code, fields, a place placed or drawn) and retiring one,
on every backend: what an editor of 陇县 (610327) does, and what is refused with nothing
written. Project A1 and parcel P1-001 are 陇县's in tests/fixtures.py.
"""

from __future__ import annotations

import json
import re

import pytest
from shapely.geometry import Point, box, mapping

from tests.accounts import signed_in
from tests.fixtures import LINZE, LONG, XSS_NAME, open_store
from tests.test_editing import fid_of, form_of

INSIDE_LONG = json.dumps(mapping(Point(106.86, 34.9)))
INSIDE_LINZE = json.dumps(mapping(Point(100.12, 39.12)))


@pytest.fixture
def editor(app):
    return signed_in(app, "editor_long", "editor", LONG)


def new_project(**values: str) -> dict[str, str]:
    """The new-project form as an editor fills it in, in the words of a sheet."""
    form = {"project_id": "2026-610327-30-01-000099", "name": "陇县新材料项目", "status": "在建"}
    return form | {"total_investment": "2.5亿", "geometry": INSIDE_LONG} | values


def test_an_editor_adds_a_project_with_its_place(editor, where):
    assert 'id="edit-map"' in editor.get("/edit/projects/new").get_data(as_text=True)
    done = editor.post("/edit/projects/new", data=new_project())
    assert done.status_code == 302 and "/history/projects/" in done.location
    row = open_store(where).read("projects").query("project_id == '2026-610327-30-01-000099'")
    assert len(row) == 1
    row = row.iloc[0]
    assert (row["name"], row["status"], row["total_investment"]) == (
        "陇县新材料项目",
        "construction",
        25000.0,
    )
    assert row["county_code"] == LONG  # found from where it was placed
    assert (round(row.geometry.x, 6), round(row.geometry.y, 6)) == (106.86, 34.9)
    history = open_store(where).history("projects", ("2026-610327-30-01-000099",))
    assert [(h.op, h.author) for h in history] == [("insert", "editor_long")]
    listed = editor.get(f"/api/layers/projects/features?county={LONG}").get_json()
    assert "陇县新材料项目" in {f["properties"]["name"] for f in listed["features"]}


def test_an_editor_draws_a_parcel(editor, where):
    outline = json.dumps(mapping(box(106.861, 34.901, 106.863, 34.903)))
    form = {"parcel_id": "P1-NEW", "land_state": "", "geometry": outline}
    done = editor.post("/edit/parcels/new", data=form)
    assert done.status_code == 302
    row = open_store(where).read("parcels").query("parcel_id == 'P1-NEW'").iloc[0]
    assert row.geometry.geom_type == "Polygon" and row["county_code"] == LONG


@pytest.mark.parametrize(
    "values, field, said",
    [
        ({"project_id": ""}, "project_id", "请填写编号"),
        ({"project_id": "A1"}, "project_id", "已存在"),  # a code that is taken
        ({"geometry": ""}, "geometry", "请在地图上标出位置"),
        ({"geometry": INSIDE_LINZE}, "geometry", "不在您的管辖范围"),
        ({"geometry": json.dumps(mapping(box(106.8, 34.8, 106.9, 34.9)))}, "geometry", "应为点"),
        ({"total_investment": "很多"}, "total_investment", "很多"),
        ({"planned_start": "2026-13-40"}, "planned_start", "2026-13-40"),
    ],
)
def test_a_bad_new_project_is_refused_beside_its_field(editor, where, values, field, said):
    before = open_store(where).version()
    answer = editor.post("/edit/projects/new", data=new_project(**values))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    beside = re.search(rf'id="e-{field}"[^>]*>([^<]*)<', page)
    assert beside and said in beside.group(1)
    assert open_store(where).version() == before
    assert form_of(page)["name"] == "陇县新材料项目"  # what was typed is still there


def test_text_of_a_new_project_stays_text(editor, where):
    done = editor.post("/edit/projects/new", data=new_project(name=XSS_NAME, owner=XSS_NAME))
    assert done.status_code == 302
    for url in (done.location, f"/?county={LONG}"):
        page = editor.get(url).get_data(as_text=True)
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_an_editor_retires_a_project_and_its_history_keeps_it(editor, where):
    fid = fid_of(where, "A1")
    confirm = editor.get(f"/edit/projects/{fid}/retire").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', confirm).group(1)
    done = editor.post(f"/edit/projects/{fid}/retire", data={"version": version})
    assert done.status_code == 200 and "已移除" in done.get_data(as_text=True)
    assert open_store(where).read("projects").query("project_id == 'A1'").empty
    assert editor.get(f"/api/layers/projects/features/{fid}").status_code == 404
    assert "陇县乳制品项目" not in editor.get(f"/?county={LONG}").get_data(as_text=True)
    history = open_store(where).history("projects", ("A1",))
    assert (history[0].op, history[0].author) == ("delete", "editor_long")
    assert history[0].before["name"] == "陇县乳制品项目"


def test_retiring_from_a_stale_page_is_refused(app, editor, where):
    fid = fid_of(where, "A1")
    confirm = editor.get(f"/edit/projects/{fid}/retire").get_data(as_text=True)
    stale = re.search(r'name="version" value="(\d+)"', confirm).group(1)
    other = signed_in(app, "editor_long2", "editor", LONG)
    url = f"/edit/projects/{fid}"
    assert (
        other.post(
            url, data=form_of(other.get(url).get_data(as_text=True)) | {"completed": "700"}
        ).status_code
        == 302
    )
    answer = editor.post(f"/edit/projects/{fid}/retire", data={"version": stale})
    assert answer.status_code == 409 and "已被他人修改" in answer.get_data(as_text=True)
    assert len(open_store(where).read("projects").query("project_id == 'A1'")) == 1


def test_who_may_add_and_retire(app, where):
    a1, b1 = fid_of(where, "A1"), fid_of(where, "B1")
    linze = signed_in(app, "editor_linze", "editor", LINZE)
    official = signed_in(app, "official_long", "official", LONG)
    assert official.get("/edit/projects/new").status_code == 403
    assert official.post("/edit/projects/new", data=new_project()).status_code == 403
    assert official.get(f"/edit/projects/{a1}/retire").status_code == 403
    assert linze.get(f"/edit/projects/{a1}/retire").status_code == 404  # not theirs
    assert linze.post(f"/edit/projects/{a1}/retire", data={"version": "0"}).status_code == 404
    assert linze.get(f"/edit/projects/{b1}/retire").status_code == 200
    assert signed_in(app).get("/edit/boundaries/new").status_code == 404  # not edited
    assert len(open_store(where).read("projects").query("project_id == 'A1'")) == 1

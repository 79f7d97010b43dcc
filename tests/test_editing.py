"""Editing a feature in its form: fields typed as imports type cells, the place checked, the
jurisdiction kept, stale saves shown the other person's changes, every save in the history.

Project A1 (陇县乳制品项目, 610327) of tests/fixtures.py; B1 is 临泽's (620723).
"""

from __future__ import annotations

import html
import json
import re

import pytest
from shapely.geometry import Point, box, mapping

from geoapp import create_app
from tests.accounts import signed_in
from tests.fixtures import LINZE, LONG, XSS_NAME, open_store, settings_for


@pytest.fixture
def app(where):
    return create_app(settings_for(where))


@pytest.fixture
def editor(app):
    return signed_in(app, "editor_long", "editor", LONG)


def fid_of(where, code: str) -> int:
    frame = open_store(where).read("projects")
    return int(frame.index[frame["project_id"] == code][0])


def form_of(page: str) -> dict[str, str]:
    """The values a browser would send back from the edit form, entities decoded."""
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    fields.pop("csrf_token", None)
    return {k: html.unescape(v) for k, v in fields.items()}


def test_an_editor_changes_figures_in_the_words_of_a_sheet(editor, where):
    url = f"/edit/projects/{fid_of(where, 'A1')}"
    form = form_of(editor.get(url).get_data(as_text=True))
    assert form["name"] == "陇县乳制品项目" and form["status"] == "construction"
    form |= {"total_investment": "1.2亿", "planned_start": "2026年5月1日", "status": "在建"}
    done = editor.post(url, data=form)
    assert done.status_code == 302 and "/history/projects/" in done.location
    row = open_store(where).read("projects").query("project_id == 'A1'").iloc[0]
    assert row["total_investment"] == 12000.0
    assert str(row["planned_start"])[:10] == "2026-05-01"
    history = open_store(where).history("projects", ("A1",))
    assert len(history) == 1 and history[0].author == "editor_long"
    assert set(history[0].fields) >= {"total_investment", "planned_start"}
    page = editor.get(done.location).get_data(as_text=True)
    assert re.search(r"1,000\s*→\s*12,000", page) and "editor_long" in page


def test_a_stale_save_shows_what_changed_and_loses_nothing(app, where):
    first = signed_in(app, "editor_long", "editor", LONG)
    second = signed_in(app, "editor_long2", "editor", LONG)
    url = f"/edit/projects/{fid_of(where, 'A1')}"
    mine = form_of(first.get(url).get_data(as_text=True))
    theirs = form_of(second.get(url).get_data(as_text=True))
    assert first.post(url, data=mine | {"completed": "600"}).status_code == 302
    clash = second.post(url, data=theirs | {"name": "陇县乳业二期"})
    page = clash.get_data(as_text=True)
    assert clash.status_code == 409
    conflict = re.search(r'<section class="notice notice-error conflict".*?</section>', page, re.S)
    cells = re.findall(r"<td>\s*([^<]*?)\s*</td>", conflict.group(0))
    assert cells[1:] == ["累计完成投资", "250", "600"] and cells[0].startswith("editor_long, ")
    assert 'value="陇县乳业二期"' in page  # the editor's own value is kept in the form
    row = open_store(where).read("projects").query("project_id == 'A1'").iloc[0]
    assert row["name"] == "陇县乳制品项目" and row["completed"] == 600.0
    merged = form_of(page)
    assert second.post(url, data=merged).status_code == 302  # merged: based on the new version
    row = open_store(where).read("projects").query("project_id == 'A1'").iloc[0]
    assert row["name"] == "陇县乳业二期" and row["completed"] == 600.0
    assert [e.author for e in open_store(where).history("projects", ("A1",))] == [
        "editor_long2",
        "editor_long",
    ]


@pytest.mark.parametrize(
    "field, value, said",
    [
        ("status", "差不多", "不是有效的“建设阶段”"),
        ("total_investment", "-5", "金额不能为负数"),
        ("planned_start", "明年", "明年"),
    ],
)
def test_a_bad_value_is_refused_beside_its_field(editor, where, field, value, said):
    before = open_store(where).version()
    url = f"/edit/projects/{fid_of(where, 'A1')}"
    form = form_of(editor.get(url).get_data(as_text=True))
    answer = editor.post(url, data=form | {field: value})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    error = re.search(rf'<span class="field-error" id="e-{field}">([^<]+)</span>', page)
    assert error and said in error.group(1)
    assert f'aria-describedby="e-{field}"' in page
    assert open_store(where).version() == before


def _moved(lon: float, lat: float) -> str:
    return json.dumps(mapping(Point(lon, lat)))


@pytest.mark.parametrize(
    "geometry, said",
    [
        (_moved(100.12, 39.12), "不在您的管辖范围"),  # into 临泽
        (_moved(150.0, 10.0), "不在中国境内"),
        (json.dumps(mapping(box(106.8, 34.8, 106.9, 34.9))), "应为点"),
        ("{not json", "无法识别"),
    ],
)
def test_a_bad_place_is_refused_and_nothing_is_written(editor, where, geometry, said):
    before = open_store(where).version()
    url = f"/edit/projects/{fid_of(where, 'A1')}"
    form = form_of(editor.get(url).get_data(as_text=True))
    answer = editor.post(url, data=form | {"geometry": geometry})
    assert answer.status_code == 400 and said in answer.get_data(as_text=True)
    assert open_store(where).version() == before


def test_a_point_moved_inside_the_county_is_saved_with_its_county(editor, where):
    url = f"/edit/projects/{fid_of(where, 'A1')}"
    form = form_of(editor.get(url).get_data(as_text=True))
    assert editor.post(url, data=form | {"geometry": _moved(106.9, 34.95)}).status_code == 302
    row = open_store(where).read("projects").query("project_id == 'A1'").iloc[0]
    assert (round(row.geometry.x, 6), round(row.geometry.y, 6)) == (106.9, 34.95)
    assert row["county_code"] == LONG


def test_a_self_crossing_parcel_outline_is_refused(app, where):
    editor = signed_in(app, "editor_long", "editor", LONG)
    parcels = open_store(where).read("parcels")
    fid = int(parcels.index[parcels["parcel_id"] == "P1-001"][0])
    form = form_of(editor.get(f"/edit/parcels/{fid}").get_data(as_text=True))
    corners = [(106.80, 34.85), (106.81, 34.86), (106.81, 34.85), (106.80, 34.86), (106.80, 34.85)]
    bowtie = {"type": "Polygon", "coordinates": [corners]}
    answer = editor.post(f"/edit/parcels/{fid}", data=form | {"geometry": json.dumps(bowtie)})
    assert answer.status_code == 400 and "图形无效" in answer.get_data(as_text=True)


def test_who_may_edit_what(app, where):
    a1, b1 = fid_of(where, "A1"), fid_of(where, "B1")
    linze = signed_in(app, "editor_linze", "editor", LINZE)
    official = signed_in(app, "official_long", "official", LONG)
    assert linze.get(f"/edit/projects/{a1}").status_code == 404  # not theirs: as if missing
    assert linze.get(f"/edit/projects/{b1}").status_code == 200
    assert official.get(f"/edit/projects/{a1}").status_code == 403
    assert official.get(f"/history/projects/{a1}").status_code == 200
    assert official.get(f"/history/projects/{b1}").status_code == 404
    boundary = signed_in(app).get("/edit/boundaries/0")
    assert boundary.status_code == 404  # a layer with nothing to edit


def test_text_saved_through_the_form_stays_text(app, editor, where):
    """The marker in every text field the form edits: stored as written, shown as text on
    the form, the history and the map page, and sent as data by the API."""
    url = f"/edit/projects/{fid_of(where, 'A1')}"
    form = form_of(editor.get(url).get_data(as_text=True))
    marker = XSS_NAME + '"><script>alert(2)</script>'
    layer = app.extensions["geoapp"].layer("projects", "internal")
    texts = [n for n in layer.edit if layer.fields[n].type == "text"]
    assert len(texts) >= 5
    assert editor.post(url, data=form | dict.fromkeys(texts, marker)).status_code == 302
    row = open_store(where).read("projects").query("project_id == 'A1'").iloc[0]
    assert all(row[n] == marker for n in texts)
    feature = editor.get(f"/api/layers/projects/features/{fid_of(where, 'A1')}").get_json()
    assert feature["properties"]["owner"] == marker
    pages = (editor.get(f"/history/projects/{fid_of(where, 'A1')}"), editor.get(url))
    for page in (*pages, editor.get(f"/?county={LONG}")):
        html = page.get_data(as_text=True)
        assert "<img src=x" not in html and "<script>alert(2)" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_an_admin_restores_a_version_and_others_may_not(app, where):
    editor = signed_in(app, "editor_long", "editor", LONG)
    url = f"/edit/projects/{fid_of(where, 'A1')}"
    form = form_of(editor.get(url).get_data(as_text=True))
    editor.post(url, data=form | {"name": "改错的名字"})
    editor.post(url, data=form_of(editor.get(url).get_data(as_text=True)) | {"name": "又改了"})
    first = open_store(where).history("projects", ("A1",))[-1].version
    restore = f"/history/projects/{fid_of(where, 'A1')}/restore"
    assert editor.post(restore, data={"version": str(first)}).status_code == 403
    assert signed_in(app).post(restore, data={"version": str(first)}).status_code == 302
    row = open_store(where).read("projects").query("project_id == 'A1'").iloc[0]
    assert row["name"] == "改错的名字"
    assert open_store(where).history("projects", ("A1",))[0].author == "restore:admin"


def test_monthly_progress_goes_into_the_history_and_the_project(editor, where):
    url = f"/edit/projects/{fid_of(where, 'A1')}/progress"
    page = editor.get(url).get_data(as_text=True)
    assert 'name="month"' in page and "本月进度" in page
    done = editor.post(
        url,
        data={"month": "2026-11", "completed": "0.06亿", "status": "在建", "remarks": "主体封顶"},
    )
    assert done.status_code == 302
    store = open_store(where)
    rows = store.read("progress").query("project_id == 'A1'")
    assert len(rows) == 1 and rows.iloc[0]["completed"] == 600.0
    assert rows.iloc[0]["remarks"] == "主体封顶"
    assert store.read("projects").query("project_id == 'A1'").iloc[0]["completed"] == 600.0
    assert store.history("progress")[0].author == "editor_long"


def test_the_month_says_the_project_has_started_and_its_warning_follows(editor, where):
    """A2 (planned for 2026, not started: red) reports 已开工 on 5 November: it has started,
    and its warning is worked out from that (no longer late to start)."""
    url = f"/edit/projects/{fid_of(where, 'A2')}/progress"
    sent = {"month": "2026-11", "completed": "10", "status": "在建", "start_state": "已开工",
            "actual_start": "2026年11月5日"}  # fmt: skip
    assert editor.post(url, data=sent).status_code == 302
    row = open_store(where).read("projects").query("project_id == 'A2'").iloc[0]
    assert row["start_state"] == "started" and str(row["actual_start"])[:10] == "2026-11-05"
    assert "未开工" not in str(row["warning_reason"])
    page = editor.get(url).get_data(as_text=True)
    assert 'id="f-start_state"' in page and 'id="f-actual_start"' in page


@pytest.mark.parametrize(
    "field, value, said",
    [
        ("month", "十一月", "不是月份"),
        ("completed", "很多", "很多"),
        ("remarks", "长" * 501, "500"),
        ("start_state", "开了", "开了"),
        ("actual_start", "2026-13-05", "2026-13-05"),
    ],
)
def test_a_bad_month_report_is_refused_beside_its_field(editor, where, field, value, said):
    before = open_store(where).version()
    sent = {"month": "2026-11", "completed": "600", "status": "construction"} | {field: value}
    answer = editor.post(f"/edit/projects/{fid_of(where, 'A1')}/progress", data=sent)
    error = re.search(rf'id="e-{field}">([^<]+)<', answer.get_data(as_text=True))
    assert answer.status_code == 400 and error and said in error.group(1)
    assert open_store(where).version() == before


def test_saving_an_unchanged_form_writes_nothing(editor, where):
    before = open_store(where).version()
    url = f"/edit/projects/{fid_of(where, 'A2')}"  # a red warning: not worked out anew either
    form = form_of(editor.get(url).get_data(as_text=True))
    assert editor.post(url, data=form).status_code == 302
    assert open_store(where).version() == before

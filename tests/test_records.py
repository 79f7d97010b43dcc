"""The Store contract v2 — change sets, versions, history, restore, stable ids — run against
every backend (``where`` is parametrised by backend: GeoPackage and PostGIS).

Each test starts from the tiny fixture data (tests/fixtures.py): projects A1–A5, parcels
P1-001…, parks P1/P2. A refused change set must leave the data, the version and the history
exactly as they were.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from shapely.geometry import Point, Polygon, box

from geoapp.stores import Change, ChangeRefused, ChangeSet, Query
from geoapp.stores.base import Store
from tests.fixtures import open_store, snapshot, table_rows

VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")


@pytest.fixture
def store(where: str) -> Store:
    return open_store(where)


def one(store: Store, *changes: Change, author: str = "tester"):
    return store.apply(ChangeSet(author, list(changes)))


def project(store: Store, code: str) -> dict:
    found = store.read("projects", Query(any_of={"project_id": frozenset({code})}))
    assert len(found) == 1
    return found.iloc[0].to_dict() | {"id": int(found.index[0])}


def test_an_update_changes_only_the_fields_it_names(store):
    before = project(store, "A1")
    one(store, Change("update", "projects", ("A1",), {"completed": 777.0}))
    after = project(store, "A1")
    assert after["completed"] == 777.0
    for name in ("name", "owner", "leader", "unit", "actual_start", "total_investment"):
        assert after[name] == before[name], name
    assert after["geometry"].equals(before["geometry"])


def test_ids_never_move(store):
    ids = {code: project(store, code)["id"] for code in ("A1", "A2", "A3")}
    one(store, Change("update", "projects", ("A2",), {"name": "改名"}))
    one(store, Change("delete", "projects", ("A1",)))
    added = one(store, Change("insert", "projects", ("N1",), {"geometry": Point(106.8, 34.9)}))
    assert project(store, "A2")["id"] == ids["A2"]
    assert project(store, "A3")["id"] == ids["A3"]
    assert added.ids[("N1",)] not in ids.values()  # a deleted row's id is never handed out
    one(store, Change("insert", "projects", ("A1",), {"geometry": Point(106.8, 34.9)}))
    assert project(store, "A1")["id"] == ids["A1"]  # the same key comes back under its id


def test_every_applied_change_is_in_the_history_with_before_and_after(store):
    applied = one(
        store,
        Change("update", "projects", ("A1",), {"completed": 1.0, "geometry": Point(106.81, 34.9)}),
        Change("delete", "projects", ("A2",)),
        author="import:三月.xlsx",
    )
    entries = store.history()
    assert [(e.table, e.key, e.op) for e in entries] == [
        ("projects", ("A2",), "delete"),
        ("projects", ("A1",), "update"),
    ]
    update = entries[1]
    assert update.author == "import:三月.xlsx" and update.change_set == applied.change_set
    assert update.fields == ("completed", "geometry")
    assert update.before["name"] == update.after["name"]
    assert update.after["completed"] == 1.0
    assert update.after["geometry"].equals(Point(106.81, 34.9))
    assert not update.before["geometry"].equals(update.after["geometry"])
    assert entries[0].after is None and entries[0].before["project_id"] == "A2"


def test_an_update_that_changes_nothing_writes_no_history(store):
    value = project(store, "A1")["completed"]
    applied = one(store, Change("update", "projects", ("A1",), {"completed": value}))
    assert applied.updated == 0 and store.history() == []


def test_a_stale_version_is_a_conflict_that_names_the_fields(store):
    one(store, Change("update", "projects", ("A1",), {"completed": 5.0}), author="王科长")
    seen = store.history("projects", ("A1",))[0].version
    one(store, Change("update", "projects", ("A1",), {"leader": "李四", "completed": 6.0}))
    stale = Change("update", "projects", ("A1",), {"completed": 9.0}, base_version=seen)
    fresh = Change("update", "projects", ("A3",), {"completed": 9.0})
    version = store.version()
    with pytest.raises(ChangeRefused) as refused:
        one(store, fresh, stale)
    assert refused.value.conflict
    (message,) = refused.value.messages("zh")
    assert "A1" in message and "completed" in message and "leader" in message
    assert "Reload" in refused.value.messages("en")[0]
    assert store.version() == version
    assert project(store, "A3")["completed"] != 9.0  # nothing of the set was written


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            Change("update", "projects", ("A1",), {"completed": "约三千"}, row=7),
            "completed",
            "不是数字",
        ),
        (Change("update", "projects", ("A1",), {"status": "在建中"}), "status", "不是允许的取值"),
        (
            Change("update", "projects", ("A1",), {"actual_start": "三月"}),
            "actual_start",
            "不是日期",
        ),
        (Change("update", "projects", ("A1",), {"colour": "red"}), "colour", "不在"),
        (Change("update", "projects", ("A1",), {"project_id": "B1"}), "project_id", "不能修改"),
        (Change("update", "projects", ("NOPE",), {"completed": 1.0}), "project_id", "不存在"),
        (Change("insert", "projects", ("A1",), {"geometry": Point(1, 1)}), "project_id", "已存在"),
        (Change("insert", "projects", ("N1",), {"name": "没有位置"}), "geometry", "位置"),
        (
            Change("update", "projects", ("A1",), {"geometry": Point(500000, 3800000)}),
            "geometry",
            "EPSG:4326",
        ),
        (
            Change("update", "projects", ("A1",), {"geometry": box(106.8, 34.8, 106.9, 34.9)}),
            "geometry",
            "point",
        ),
        (
            Change(
                "update",
                "parcels",
                ("P1-001",),
                {"geometry": Polygon([(106.8, 34.8), (106.9, 34.9), (106.9, 34.8), (106.8, 34.9)])},
            ),
            "geometry",
            "Self-intersection",
        ),
        (Change("update", "nowhere", ("A1",), {"x": 1}), None, "没有名为"),
    ],
)
def test_bad_values_are_refused_whole_naming_row_and_field(store, change, field, words):
    before = snapshot(store)
    good = Change("update", "projects", ("A2",), {"completed": 42.0})
    with pytest.raises(ChangeRefused) as refused:
        one(store, good, change)
    (refusal,) = refused.value.refusals
    assert (refusal.index, refusal.field) == (1, field)
    message = refusal.message("zh")
    assert words in message and "/".join(change.key) in message
    if change.row is not None:
        assert message.startswith(f"第 {change.row} 行")
    assert snapshot(store) == before
    assert project(store, "A2")["completed"] != 42.0


def test_a_key_named_twice_in_one_set_is_refused(store):
    twice = [Change("update", "projects", ("A1",), {"completed": v}) for v in (1.0, 2.0)]
    with pytest.raises(ChangeRefused, match="两次"):
        store.apply(ChangeSet("tester", twice))


def test_delete_is_soft_and_restore_brings_the_row_back_under_its_id(store):
    row = project(store, "A4")
    one(store, Change("update", "projects", ("A4",), {"completed": 11.0}))
    one(store, Change("delete", "projects", ("A4",)))
    assert store.read("projects", Query(any_of={"project_id": frozenset({"A4"})})).empty
    edited = store.history("projects", ("A4",))[1].version
    store.restore("projects", ("A4",), edited, "admin")
    back = project(store, "A4")
    assert back["id"] == row["id"] and back["completed"] == 11.0
    assert back["name"] == row["name"] and back["geometry"].equals(row["geometry"])
    store.restore("projects", ("A4",), 0, "admin")  # as it was before any recorded change
    assert project(store, "A4")["completed"] == row["completed"]
    assert [e.author for e in store.history("projects", ("A4",))][:2] == ["admin", "admin"]


def test_restore_of_an_unknown_version_is_refused(store):
    with pytest.raises(ChangeRefused, match="没有版本 99"):
        store.restore("projects", ("A1",), 99, "admin")


def test_dates_and_numbers_keep_their_types(store):
    one(
        store,
        Change(
            "update",
            "projects",
            ("A2",),
            {"actual_start": date(2026, 4, 1), "planned_start": "2026-02-01", "annual_plan": 5},
        ),
    )
    frame = store.read("projects")
    assert str(frame["actual_start"].dtype).startswith("datetime64")
    assert frame["annual_plan"].dtype == float
    row = project(store, "A2")
    assert (row["actual_start"].date(), row["planned_start"].date()) == (
        date(2026, 4, 1),
        date(2026, 2, 1),
    )
    assert store.read("projects")["total_investment"].sum() > 0  # sums still work


def test_changes_since_names_the_changed_rows(store):
    start = store.changes_since(0).token
    one(store, Change("update", "projects", ("A1",), {"completed": 3.0}))
    one(store, Change("update", "parcels", ("P1-001",), {"land_state": "reserved"}))
    changed = store.changes_since(start)
    assert changed.rows == {
        "projects": frozenset({project(store, "A1")["id"]}),
        "parcels": frozenset(
            store.read("parcels", Query(any_of={"parcel_id": frozenset({"P1-001"})})).index
        ),
    }
    assert store.changes_since(changed.token).rows == {}


def test_a_second_store_on_the_same_data_sees_every_write(store, where):
    other = open_store(where)
    assert len(other.read("projects")) == 5  # cached now
    one(store, Change("update", "projects", ("A1",), {"geometry": Point(100.15, 39.15)}))
    one(store, Change("insert", "projects", ("N2",), {"geometry": Point(100.2, 39.2)}))
    one(store, Change("delete", "projects", ("B1",)))
    codes = sorted(other.read("projects", Query(bbox=(100.0, 39.0, 100.3, 39.3)))["project_id"])
    assert codes == ["A1", "N2"]
    assert other.extent("projects").count == 5


def test_a_declared_table_without_rows_takes_its_first_write(store):
    values = {"project_id": "A1", "month": date(2026, 3, 1), "geometry": Point(106.8, 34.9)}
    one(store, Change("insert", "progress", ("A1", "2026-03-01"), values | {"completed": 5.0}))
    assert "progress" in store.tables()
    assert store.read("progress")["completed"].tolist() == [5.0]


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs GDAL's ogrinfo")
def test_after_writes_gdal_reads_a_valid_geopackage_with_its_index_in_sync(gpkg):
    store = open_store(gpkg)
    assert "progress" not in store.tables()  # created by its first write, below
    one(
        store,
        Change("update", "parcels", ("P1-001",), {"geometry": box(106.81, 34.86, 106.82, 34.87)}),
        Change("insert", "parcels", ("N-1",), {"geometry": box(106.9, 34.9, 106.91, 34.91)}),
        Change("delete", "parcels", ("P1-002",)),
    )
    one(store, Change("insert", "progress", ("A1", "2026-03-01"), {"geometry": Point(106.8, 35)}))
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(gpkg)], capture_output=True, text=True, check=True
    )
    assert "ERROR" not in info.stderr, info.stderr
    parcels = info.stdout.split("Layer name: parcels")[1].split("Layer name:")[0]
    assert "Feature Count: 4" in parcels
    found = subprocess.run(
        ["ogrinfo", "-ro", str(gpkg), "parcels", "-spat", "106.899", "34.899", "106.911", "34.911"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "N-1" in found.stdout  # found through the R-tree GDAL uses for -spat
    rows = table_rows(gpkg)
    assert len(rows["rtree_parcels_geom_rowid"]) == 4
    if VALIDATOR.is_file():  # GDAL's GeoPackage validator, from Debian's python3-gdal
        checked = subprocess.run(
            ["/usr/bin/python3", str(VALIDATOR), "-k", str(gpkg)], capture_output=True, text=True
        )
        problems = (checked.stdout + checked.stderr).splitlines()
        # Debian's validator (GDAL 3.6) predates GeoPackage 1.4, whose R-tree triggers
        # update6/update7 replace update1/update3: GDAL 3.12 writes those, in every new file.
        assert all(
            re.fullmatch(r"Req 75: rtree_\w+_update[13] trigger missing", p) for p in problems
        )


def test_a_filter_in_use_follows_every_kind_of_write(store):
    """The cached answer to a filter is brought up to date by the rows a write changed."""
    building = Query(any_of={"status": frozenset({"construction"})})

    def codes() -> list[str]:
        return sorted(store.read("projects", building)["project_id"])

    assert codes() == ["A1", "A4", "B1"]
    one(store, Change("update", "projects", ("A2",), {"status": "construction"}))
    assert codes() == ["A1", "A2", "A4", "B1"]
    one(store, Change("update", "projects", ("A4",), {"status": "completed"}))
    one(store, Change("delete", "projects", ("A1",)))
    values = {"status": "construction", "geometry": Point(106.8, 34.9)}
    one(store, Change("insert", "projects", ("N1",), values))
    assert codes() == ["A2", "B1", "N1"]
    assert store.extent("projects", building).count == 3

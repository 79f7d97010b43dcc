"""`geoapp db copy` between a GeoPackage and PostGIS, both ways: every table, every feature id
and the whole history arrive, checked by counts and checksums; a non-empty target is refused."""

from __future__ import annotations

from click.testing import CliRunner
from shapely.geometry import Point

from geoapp.cli import main
from geoapp.stores import Change, ChangeSet, GeoPackageStore
from tests.fixtures import open_store


def assert_same_data(original, copy) -> None:
    """Every table of the original, row by row under the same ids, and the same history."""
    for table in original.tables():
        mine, theirs = original.read(table).to_wkt(), copy.read(table).to_wkt()
        assert list(mine.index) == list(theirs.index), table
        for column in mine.columns:
            assert mine[column].astype(str).tolist() == theirs[column].astype(str).tolist()
    assert original.history(limit=100) == copy.history(limit=100)


def _copy(source: str, target: str):
    return CliRunner().invoke(main, ["db", "copy", source, target])


def test_the_demo_goes_to_postgis_and_back_with_ids_and_history(
    demo_frames, tmp_path, postgis_cluster
):
    start = tmp_path / "demo.gpkg"
    GeoPackageStore.create(start, demo_frames)
    store = open_store(start)
    code = store.read("projects").iloc[4]["project_id"]
    store.apply(ChangeSet("王科长", [Change("update", "projects", (code,), {"completed": 9.0})]))
    store.apply(
        ChangeSet(
            "李四", [Change("delete", "parcels", (store.read("parcels").iloc[0]["parcel_id"],))]
        )
    )
    store.apply(
        ChangeSet("张三", [Change("insert", "projects", ("NEW-1",), {"geometry": Point(107, 35)})])
    )
    url = postgis_cluster.database()
    there = _copy(str(start), url)
    assert there.exit_code == 0, there.output
    assert "DIFFERENT" not in there.output and "projects" in there.output
    back = tmp_path / "back.gpkg"
    again = _copy(url, str(back))
    assert again.exit_code == 0, again.output
    for copy in (open_store(url), open_store(back)):
        assert_same_data(store, copy)
    pg = open_store(url)  # the copy takes writes where the original left off
    applied = pg.apply(
        ChangeSet("王五", [Change("insert", "projects", ("NEW-2",), {"geometry": Point(107, 35)})])
    )
    assert applied.ids[("NEW-2",)] > max(store.read("projects").index)
    assert pg.history(limit=1)[0].version == store.history(limit=1)[0].version + 1
    pg.restore("projects", (code,), 0, "admin")  # the copied history still restores


def test_a_target_with_data_is_refused(where, tmp_path, postgis_cluster):
    existing = tmp_path / "exists.gpkg"
    existing.write_bytes(b"")
    refused = _copy(where, str(existing))
    assert refused.exit_code == 1 and "exists" in refused.output
    url = postgis_cluster.database()
    assert _copy(where, url).exit_code == 0
    again = _copy(where, url)
    assert again.exit_code == 1 and "empty database" in again.output

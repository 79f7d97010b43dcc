"""The GeoPackage store: filtered reads and clear errors naming the path (writes: test_records)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geoapp import create_app
from geoapp.errors import StoreError
from geoapp.stores import GeoPackageStore, Query
from tests.fixtures import open_store


@pytest.fixture
def store(gpkg: Path) -> GeoPackageStore:
    return open_store(gpkg)


def test_lists_tables(store):
    assert store.tables() == ["boundaries", "parks", "parcels", "standard_land", "projects"]


def test_read_returns_wgs84_with_all_rows(store):
    projects = store.read("projects")
    assert projects.crs.to_epsg() == 4326
    assert len(projects) == 5
    assert projects["total_investment"].sum() == 15000


def test_bbox_keeps_only_intersecting_features(store):
    # The 610327 test county spans 106.7–107.0 E; a box over its west half holds A1 and A3.
    got = store.read("projects", Query(bbox=(106.7, 34.8, 106.85, 35.0)))
    assert sorted(got["project_id"]) == ["A1", "A3"]


def test_any_of_and_prefix_filters_combine(store):
    query = Query(any_of={"status": frozenset({"construction"})}, prefix={"county_code": "6103"})
    assert sorted(store.read("projects", query)["project_id"]) == ["A1", "A4"]


def test_filter_value_is_data_not_sql(store):
    query = Query(any_of={"status": frozenset({"construction' OR '1'='1"})})
    assert len(store.read("projects", query)) == 0


def test_columns_selection_keeps_geometry(store):
    got = store.read("projects", Query(columns=("name",)))
    assert list(got.columns) == ["name", "geometry"]


def test_dates_are_stored_as_dates(store):
    projects = store.read("projects").set_index("project_id")
    assert str(projects.loc["A1", "actual_start"].date()) == "2026-03-15"
    assert projects["actual_start"].isna().sum() == 1


def test_create_refuses_other_crs(tmp_path):
    frame = gpd.GeoDataFrame({"geometry": [Point(500000, 3800000)]}, crs=4545)
    with pytest.raises(StoreError, match="must be in EPSG:4326"):
        GeoPackageStore.create(tmp_path / "x.gpkg", {"projects": frame})
    assert list(tmp_path.iterdir()) == []  # no file, no temporary copy


def test_missing_file_names_path(tmp_path):
    path = tmp_path / "nothing.gpkg"
    with pytest.raises(StoreError, match=re.escape(f"GeoPackage not found: {path}")):
        open_store(path)


def test_not_sqlite_names_path(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"this is not a database" * 50)
    with pytest.raises(StoreError, match=f"not a GeoPackage.*{re.escape(str(path))}"):
        open_store(path)


def test_sqlite_without_geopackage_tables_names_path(tmp_path):
    path = tmp_path / "plain.gpkg"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match=re.escape(f"corrupt GeoPackage {path}")):
        open_store(path)


def test_truncated_geopackage_names_path(tmp_path, gpkg):
    path = tmp_path / "truncated.gpkg"
    path.write_bytes(gpkg.read_bytes()[:3000])
    with pytest.raises(StoreError, match=re.escape(str(path))):
        open_store(path)


def test_app_start_up_error_names_the_path(tmp_path):
    path = tmp_path / "missing.gpkg"
    with pytest.raises(StoreError, match=re.escape(str(path))):
        create_app({"GEOAPP_DATA": path})


def test_copies_left_by_a_killed_write_are_removed_once_stale(gpkg):
    import os
    import time

    stale = gpkg.parent / f".{gpkg.stem}.abc123.tmp.gpkg"
    fresh = gpkg.parent / f".{gpkg.stem}.def456.tmp.gpkg"
    for leftover in (stale, fresh):
        leftover.write_bytes(b"half-written")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    open_store(gpkg)
    assert not stale.exists() and fresh.exists()  # a recent one may still be being written

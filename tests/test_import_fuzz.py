"""Random bytes and random rows thrown at the importers: they refuse or report, never crash,
and a dry run never writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoapp.config import PROJECT_ROOT
from geoapp.imports.problems import FileRefused
from geoapp.imports.service import prepare_parcels, prepare_projects
from geoapp.layers import load_layers
from geoapp.stores import GeoPackageStore
from tests.fixtures import open_store, tiny_frames

LAYERS = load_layers(PROJECT_ROOT / "layers")
HEADERS = [
    "项目代码",
    "项目名称",
    "建设地点",
    "建设阶段",
    "总投资（万元）",
    "计划开工时间",
    "经度",
    "纬度",
    "行政区划代码",
]
CELL = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**6), 10**9).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["在建", "2026年3月", "106.8", "34.9", "610327", "", "=1+1"]),
)
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def store_in(tmp_path: Path) -> tuple[GeoPackageStore, bytes]:
    path = tmp_path / "store.gpkg"
    if not path.exists():
        GeoPackageStore.create(path, tiny_frames())
    return open_store(path), path.read_bytes()


@FUZZ
@given(rows=st.lists(st.lists(CELL, min_size=len(HEADERS), max_size=len(HEADERS)), max_size=8))
def test_random_rows_are_reported_not_crashing(tmp_path, rows):
    store, before = store_in(tmp_path)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    sheet = tmp_path / "rows.csv"
    sheet.write_text(text.getvalue(), encoding="utf-8")
    try:
        prepared = prepare_projects(store, LAYERS, sheet)
    except FileRefused as refused:
        assert refused.problem.reason
    else:
        assert len(prepared.frame) + len(prepared.rejected) <= max(prepared.read, len(rows))
        assert all(p.reason for p in prepared.problems)
    assert store.path.read_bytes() == before


@FUZZ
@given(
    data=st.binary(max_size=2000),
    suffix=st.sampled_from([".xlsx", ".csv", ".txt", ".zip", ".gpkg", ".kml"]),
)
def test_random_bytes_are_refused_or_reported(tmp_path, data, suffix):
    store, before = store_in(tmp_path)
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    prepare = prepare_projects if suffix in (".xlsx", ".csv") else prepare_parcels
    try:
        prepared = prepare(store, LAYERS, path)
    except FileRefused as refused:
        assert refused.problem.reason
    else:
        assert all(p.reason for p in prepared.problems)
    assert store.path.read_bytes() == before

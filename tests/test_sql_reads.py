"""PostGIS answering queries and tiles in SQL (``GEOAPP_DATABASE_READS=sql``) gives what the
in-memory index gives, on the demo's 1,288 projects and 320 parcels: same rows, same order,
same values, same counts and boxes, and tiles with the same features."""

from __future__ import annotations

import dataclasses

import mapbox_vector_tile
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoapp.config import PROJECT_ROOT
from geoapp.cql2 import parse
from geoapp.layers import load_layers
from geoapp.ogc import CqlFilter, queryables
from geoapp.query import MapFilter
from geoapp.stores.base import Query
from geoapp.tiles import build_tile
from geoapp.views import OFFICIAL_AUDIENCE
from tests.fixtures import SCHEMAS, SqlReads, open_store

LAYERS = {layer.id: layer for layer in load_layers(PROJECT_ROOT / "layers")}
CQL = [
    "status = 'construction' AND total_investment > 50000",
    "name LIKE '%产业%' OR CASEI(owner) LIKE '%公司'",
    "planned_start BETWEEN DATE('2026-03-01') AND DATE('2026-06-30')",
    "S_INTERSECTS(geometry, BBOX(106.7, 34.7, 107.1, 35.1)) AND NOT level = 'county'",
    "actual_start IS NULL",
]
QUERIES = [
    Query(),
    Query(any_of={"status": frozenset({"construction", "preparatory"})}),
    Query(prefix={"county_code": "6103"}),
    Query(ranges={"total_investment": (10000, 100000)}),
    Query(ranges={"planned_start": ("2026-09-01", None)}),
    Query(contains=(("name", "owner", "project_id"), "科技")),
    Query(contains=(("name",), "50%_")),
    Query(bbox=(106.5, 34.5, 107.5, 35.5)),
    Query(shape=Point(106.85, 34.9).buffer(0.2)),
    Query(ids=frozenset({1, 5, 9, 10_000})),
    Query(any_of={"status": frozenset({"construction"})}, offset=20, limit=15),
    Query(columns=("project_id", "status"), limit=7),
]


@pytest.fixture(scope="module")
def stores(postgis_cluster, demo_frames):
    from geoapp.stores.postgis import PostGISStore

    url = postgis_cluster.database()
    PostGISStore.create(url, demo_frames, SCHEMAS)
    return open_store(url), open_store(SqlReads(url))


def cql(text: str) -> CqlFilter:
    types = queryables(LAYERS["projects"], OFFICIAL_AUDIENCE)
    return CqlFilter("cql2-text", text, parse(text), tuple(sorted(types.items())))


def query_id(query: Query) -> str:
    """The same id in every process (sets sorted: their order follows the hash seed, and
    pytest-xdist's workers must collect the same tests)."""
    asked = []
    for f in dataclasses.fields(query):
        value = getattr(query, f.name)
        if value in (None, (), {}) or value == f.default:
            continue
        if isinstance(value, dict):
            value = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in value.items()}
        asked.append(f"{f.name}={value}")
    return ";".join(asked)[:60] or "all"


@pytest.mark.parametrize(
    "query", QUERIES + [Query(where=cql(text)) for text in CQL], ids=lambda q: query_id(q)
)
def test_sql_reads_equal_memory_reads(stores, query):
    memory, sql = stores
    expected, got = memory.read("projects", query), sql.read("projects", query)
    assert len(expected) > 0 or query.ids is not None or query.contains is not None
    assert list(got.index) == list(expected.index)
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(_plain(got), _plain(expected))
    whole = Query(**{**query.__dict__, "offset": 0, "limit": None, "columns": None})
    money = ("total_investment", "annual_plan", "completed")
    counted, box_ = sql.extent("projects", whole, money), memory.extent("projects", whole, money)
    assert counted.count == box_.count
    assert counted.bbox == pytest.approx(box_.bbox) if box_.bbox else counted.bbox is None
    assert counted.sums == pytest.approx(box_.sums)
    rows = memory.read("projects", whole)
    assert box_.sums["total_investment"] == pytest.approx(float(rows["total_investment"].sum()))


@pytest.mark.parametrize(("layer", "zoom"), [("projects", 12), ("parcels", 15), ("parcels", 17)])
def test_database_tiles_hold_the_features_of_memory_tiles(stores, layer, zoom):
    """At zooms where no feature is thinned away, both tiles hold exactly the same features
    with the same styling properties (the shapes differ only by rounding)."""
    memory, sql = stores
    definition = LAYERS[layer]
    for lon, lat in [(106.85, 34.88), (106.82, 34.86), (100.15, 39.15)]:
        zxy = _tile_of(lon, lat, zoom)
        args = (definition, MapFilter(), OFFICIAL_AUDIENCE, *zxy)
        expected = _features(build_tile(memory, *args), layer)
        got = _features(build_tile(sql, *args), layer)
        assert got == expected


def test_database_tiles_thin_dense_parcels_at_low_zoom(stores):
    """At z10 (the parcels' least zoom) most parcels are smaller than a pixel: one per
    2×2-pixel cell still shows."""
    memory, sql = stores
    zxy = _tile_of(106.85, 34.88, 10)
    args = (LAYERS["parcels"], MapFilter(), OFFICIAL_AUDIENCE, *zxy)
    in_memory, in_sql = build_tile(memory, *args), build_tile(sql, *args)
    shown = _features(in_sql, "parcels")
    assert 0 < len(shown) < len(memory.read("parcels", Query(bbox=box(106, 34, 108, 36).bounds)))
    assert abs(len(shown) - len(_features(in_memory, "parcels"))) <= max(3, len(shown) // 4)


def _features(data: bytes, layer: str) -> dict[int, dict]:
    decoded = mapbox_vector_tile.decode(data) if data else {}
    return {f["id"]: f["properties"] for f in decoded.get(layer, {}).get("features", [])}


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    import math

    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


def _plain(frame):
    """Values as a user reads them (text, numbers, dates; missing as None), geometries as
    WKB: the two paths may hold text in different pandas dtypes."""
    frame = pd.DataFrame(frame).astype(object)
    frame = frame.where(frame.notna(), None)
    frame["geometry"] = frame["geometry"].map(lambda g: None if g is None else g.wkb)
    return frame

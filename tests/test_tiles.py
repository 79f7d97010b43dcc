"""Vector tiles, compact points and paging through the Flask test client, on the tiny fixture."""

from __future__ import annotations

import math
import re
import shutil

import mapbox_vector_tile
import numpy as np
import pytest
from shapely.geometry import Point

from geoapp import create_app
from geoapp.config import PROJECT_ROOT
from geoapp.stores import Change, ChangeSet, Query
from geoapp.tilecache import TileCache
from tests.accounts import signed_in
from tests.fixtures import LINZE, open_store
from tests.pages import page_layers

P1_PARCELS = {"P1-001", "P1-002", "P1-003"}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


P1_TILE = "/tiles/parcels/{}/{}/{}.pbf".format(*tile_of(106.815, 34.855, 14))


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def parcel_ids(client, fids) -> set[str]:
    return {
        client.get(f"/api/layers/parcels/features/{fid}").get_json()["properties"]["parcel_id"]
        for fid in fids
    }


def test_tile_holds_the_parcels_of_its_area_clipped_to_it(client):
    response = client.get(P1_TILE)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    features = decode(response.data)["parcels"]["features"]
    assert parcel_ids(client, [f["id"] for f in features]) == P1_PARCELS
    assert {f["properties"]["land_state"] for f in features} == {
        "occupied",
        "available",
        "standard_land",
    }
    coords = np.array([xy for f in features for xy in f["geometry"]["coordinates"][0]])
    assert coords.min() >= -64 and coords.max() <= 4096 + 64


def test_tile_carries_only_styling_fields(client):
    features = decode(client.get(P1_TILE).data)["parcels"]["features"]
    assert all(set(f["properties"]) == {"land_state"} for f in features)


def test_tile_honours_filters(client):
    available = decode(client.get(P1_TILE + "?land_state=available").data)
    assert parcel_ids(client, [f["id"] for f in available["parcels"]["features"]]) == {"P1-002"}
    assert client.get(P1_TILE + f"?county={LINZE}").data == b""


def test_tile_below_min_zoom_is_empty(client):
    response = client.get("/tiles/parcels/{}/{}/{}.pbf".format(*tile_of(106.815, 34.855, 9)))
    assert response.status_code == 200 and response.data == b""


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/tiles/parcels/23/0/0.pbf", 400, "z"),
        ("/tiles/parcels/3/8/0.pbf", 400, "x"),
        ("/tiles/parcels/3/0/9.pbf", 400, "y"),
        ("/tiles/parcels/a/0/0.pbf", 400, "z"),
        ("/tiles/parcels/1/-1/0.pbf", 400, "x"),
        ("/tiles/parcels/14/0/0.pbf?land_state=sold", 400, "land_state"),
        ("/tiles/nothing/1/0/0.pbf", 404, "layer"),
        ("/public/tiles/projects/1/0/0.pbf", 404, "layer"),
    ],
)
def test_bad_tile_requests_are_refused_by_parameter(client, url, status, parameter):
    response = client.get(url)
    assert response.status_code == status
    assert response.get_json()["parameter"] == parameter


def test_public_tiles_never_carry_internal_fields(gpkg, tmp_path):
    layers = tmp_path / "layers"
    shutil.copytree(PROJECT_ROOT / "layers", layers)
    toml = layers / "parcels.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'label = { zh = "土地状态", en = "Land state" }',
            'label = { zh = "土地状态", en = "Land state" }\naudience = "internal"',
        ),
        encoding="utf-8",
    )
    client = signed_in(create_app({"GEOAPP_DATA": gpkg, "GEOAPP_LAYERS_DIR": layers}))
    official = decode(client.get(P1_TILE).data)["parcels"]["features"]
    public = decode(client.get("/public" + P1_TILE).data)["parcels"]["features"]
    assert len(official) == len(public) == 3
    assert all("land_state" in f["properties"] for f in official)
    assert all(f["properties"] == {} for f in public)


def test_etag_gives_304_until_the_data_changes(client, where):
    first = client.get(P1_TILE)
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    assert client.get(P1_TILE, headers={"If-None-Match": etag}).status_code == 304
    open_store(where).apply(ChangeSet("test", [Change("delete", "parcels", ("P1-001",))]))
    second = client.get(P1_TILE, headers={"If-None-Match": etag})
    assert second.status_code == 200 and second.headers["ETag"] != etag
    assert len(decode(second.data)["parcels"]["features"]) == 2


def test_tile_cache_is_bounded_and_dropped_on_new_data():
    cache = TileCache(max_bytes=1000)
    for i in range(500):  # a flood of distinct tiles
        cache.put("v1", ("parcels", i), b"x" * 100)
        assert cache.size <= 1000
    assert len(cache) == 10
    assert cache.get("v1", ("parcels", 499)) == b"x" * 100
    assert cache.get("v1", ("parcels", 0)) is None  # least recently used went first
    assert cache.get("v2", ("parcels", 499)) is None and cache.size == 900  # stale: dropped
    assert cache.get("v1", ("parcels", 498)) == b"x" * 100  # the others stay


def test_a_write_to_one_table_keeps_the_other_layers_tiles(client, where):
    etag = client.get(P1_TILE).headers["ETag"]
    change = Change("update", "projects", ("A1",), {"completed": 1.0})
    open_store(where).apply(ChangeSet("test", [change]))
    assert client.get(P1_TILE, headers={"If-None-Match": etag}).status_code == 304


def test_points_bin_is_decodable(client):
    data = client.get("/api/layers/projects/points.bin?status=construction").data
    n = int(np.frombuffer(data[:4], "<u4")[0])
    assert n == 3 and len(data) == 4 + 14 * n
    lon = np.frombuffer(data, "<f4", n, 4)
    lat = np.frombuffer(data, "<f4", n, 4 + 4 * n)
    ids = np.frombuffer(data, "<i4", n, 4 + 8 * n)
    fill = np.frombuffer(data, "<u1", n, 4 + 12 * n)
    stroke = np.frombuffer(data, "<u1", n, 4 + 13 * n)
    names = {
        client.get(f"/api/layers/projects/features/{i}").get_json()["properties"]["name"]
        for i in ids
    }
    assert names == {"陇县乳制品项目", "陇县风电项目", "临泽储能电站"}
    assert np.allclose(sorted(lon), [100.105, 106.805, 106.95], atol=1e-4)
    assert np.allclose(sorted(lat), [34.82, 34.855, 39.105], atol=1e-4)
    assert set(fill) == {2}  # index of "construction" among the declared statuses
    assert set(stroke) == {2}  # "green"


def test_points_bin_is_only_for_point_layers(client):
    assert client.get("/api/layers/parcels/points.bin").status_code == 400


def test_feature_lookup(client):
    assert (
        client.get("/api/layers/projects/features/2").get_json()["properties"]["project_id"] == "A2"
    )
    assert client.get("/api/layers/projects/features/999").status_code == 404
    assert client.get("/api/layers/projects/features/x1").status_code == 404  # no such code
    by_code = client.get("/api/layers/projects/features/A2").get_json()
    assert by_code["id"] == 2 and by_code["properties"]["project_id"] == "A2"
    assert client.get("/api/layers/projects/features/" + "9" * 300).status_code == 400


def test_features_page_with_bbox_limit_and_offset(client):
    url = "/api/layers/parcels/features?bbox=106.7,34.8,107,35&limit=2"
    first = client.get(url).get_json()
    second = client.get(url + "&offset=2").get_json()
    assert (first["numberMatched"], first["numberReturned"]) == (3, 2)
    assert (second["numberMatched"], second["numberReturned"]) == (3, 1)
    ids = [f["properties"]["parcel_id"] for f in first["features"] + second["features"]]
    assert sorted(ids) == sorted(P1_PARCELS)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=5,1,10,0", "bbox"),
        ("bbox=5,0,5,1", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=0,0,200,1", "bbox"),
        ("limit=0", "limit"),
        ("limit=20000", "limit"),
        ("offset=-1", "offset"),
    ],
)
def test_bad_paging_is_refused(client, query, parameter):
    response = client.get(f"/api/layers/parcels/features?{query}")
    assert response.status_code == 400 and response.get_json()["parameter"] == parameter


def test_large_layers_leave_the_page_for_tiles_and_points(gpkg, tmp_path):
    layers = tmp_path / "layers"
    shutil.copytree(PROJECT_ROOT / "layers", layers)
    for name in ("parcels", "projects"):
        toml = layers / f"{name}.toml"
        text = re.sub(r"tiles_above = \d+", "tiles_above = 2", toml.read_text(encoding="utf-8"))
        toml.write_text(text, encoding="utf-8")
    client = signed_in(create_app({"GEOAPP_DATA": gpkg, "GEOAPP_LAYERS_DIR": layers}))
    specs = page_layers(client.get("/?county=610327").get_data(as_text=True))
    assert specs["parcels"][0]["mode"] == "tiles" and specs["parcels"][1] is None
    assert specs["parcels"][0]["urls"]["tiles"] == ("/tiles/parcels/{z}/{x}/{y}.pbf?county=610327")
    assert specs["projects"][0]["mode"] == "points"
    first = specs["projects"][1]  # no feature in the page: only counts per county to draw first
    assert set(first) == {"counts"} and first["counts"]["total"] == 4
    assert specs["parks"][0]["mode"] == "inline"


def test_amap_basemap_shifts_tiles_and_points(gpkg):
    plain = signed_in(create_app({"GEOAPP_DATA": gpkg}))
    amap = signed_in(create_app({"GEOAPP_DATA": gpkg, "GEOAPP_BASEMAP": "amap"}))
    tile = P1_TILE
    a = decode(plain.get(tile).data)["parcels"]["features"]
    b = decode(amap.get(tile).data)["parcels"]["features"]
    assert a[0]["geometry"] != b[0]["geometry"]
    lon_plain = np.frombuffer(plain.get("/api/layers/projects/points.bin").data, "<f4", 5, 4)
    lon_amap = np.frombuffer(amap.get("/api/layers/projects/points.bin").data, "<f4", 5, 4)
    assert 0.001 < float(np.abs(lon_amap - lon_plain).max()) < 0.01


def test_store_changes_show_in_the_extent(gpkg):
    store = open_store(gpkg)
    assert store.extent("projects").count == 5
    values = {"county_code": LINZE, "geometry": Point(121.5, 41.5)}
    store.apply(ChangeSet("test", [Change("insert", "projects", ("Z",), values)]))
    assert store.extent("projects").count == 6
    assert store.extent("projects").bbox[2:] == (121.5, 41.5)
    assert store.extent("projects", Query(bbox=(121, 41, 122, 42))).count == 1

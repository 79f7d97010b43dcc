"""Our numpy MVT encoder, checked by decoding with the reference library (mapbox-vector-tile)."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, shape

from geoapp.mvt import encode_layer, varints


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def test_varints_match_protobuf():
    data, sizes = varints(np.array([0, 1, 127, 128, 300, 16384, 2**31]))
    assert data == bytes([0, 1, 127, 128, 1, 172, 2, 128, 128, 1, 128, 128, 128, 128, 8])
    assert sizes.tolist() == [1, 1, 1, 2, 2, 3, 5]


def test_polygons_with_holes_and_parts_round_trip():
    geoms = [
        box(10, 10, 50, 40),
        Polygon([(0, 0), (100, 0), (100, 100), (0, 100)], [[(10, 10), (20, 10), (20, 20)]]),
        MultiPolygon([box(200, 200, 300, 300), box(400, 400, 410, 420)]),
    ]
    data = encode_layer(
        "parcels",
        "polygon",
        geoms,
        np.array([7, 8, 9]),
        {"land_state": ["available", "occupied", "available"]},
    )
    layer = decode(data)["parcels"]
    assert layer["extent"] == 4096
    assert [f["id"] for f in layer["features"]] == [7, 8, 9]
    assert [f["properties"] for f in layer["features"]] == [
        {"land_state": "available"},
        {"land_state": "occupied"},
        {"land_state": "available"},
    ]
    for feature, original in zip(layer["features"], geoms, strict=True):
        assert shape(feature["geometry"]).area == pytest.approx(original.area)
        assert shape(feature["geometry"]).is_valid


def test_exterior_rings_get_positive_area_whatever_their_input_winding():
    clockwise = Polygon([(0, 0), (0, 100), (100, 100), (100, 0)])
    data = encode_layer("l", "polygon", [clockwise, clockwise.reverse()], np.array([1, 2]), {})
    for feature in decode(data)["l"]["features"]:
        assert shape(feature["geometry"]).area == 10_000


def test_points_and_missing_values():
    points = shapely.points([[1, 2], [4000, 4095]])
    data = encode_layer("p", "point", points, np.array([1, 2]), {"s": ["a", None], "n": [1.5, 2]})
    features = decode(data)["p"]["features"]
    assert [f["geometry"]["coordinates"] for f in features] == [[1, 2], [4000, 4095]]
    assert features[0]["properties"] == {"s": "a", "n": 1.5}
    assert features[1]["properties"] == {"n": 2}


def test_features_that_vanish_are_skipped():
    data = encode_layer(
        "l", "polygon", [box(1, 1, 1.2, 1.2), box(0, 0, 10, 10)], np.array([1, 2]), {}
    )
    assert [f["id"] for f in decode(data)["l"]["features"]] == [2]

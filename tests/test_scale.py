"""Province-scale generator (on small sizes) and the store's in-memory index."""

from __future__ import annotations

import pandas as pd
import shapely

from geoapp.config import PROJECT_ROOT
from geoapp.demo.scale import build_scale
from geoapp.stores import Query
from geoapp.stores.frame_index import FrameIndex
from tests.fixtures import open_store

BOUNDARIES = PROJECT_ROOT / "data" / "boundaries.geojson"


def test_scale_data_has_the_asked_sizes_and_the_demo_schema(demo_frames):
    frames = build_scale(BOUNDARIES, parcels=2_000, projects=700, seed=3)
    assert len(frames["parcels"]) == 2_000 and len(frames["projects"]) == 700
    for table in ("parks", "parcels", "standard_land", "projects"):
        assert set(demo_frames[table].columns) <= set(frames[table].columns), table
    assert (frames["parcels"]["area_mu"].between(8, 16)).all()  # 80 m × 100 m less roads


def test_scale_data_has_landmarks_of_every_kind_utilities_and_factory_space():
    frames = build_scale(BOUNDARIES, parcels=1_000, projects=10, seed=7)
    landmarks = frames["landmarks"]
    counties = frames["boundaries"].set_index("adcode").geometry
    for kind in ("county_seat", "highway_exit", "railway_station"):  # one per county, inside it
        mine = landmarks[landmarks["kind"] == kind]
        assert sorted(mine["county_code"]) == sorted(counties.index[counties.index != "211400"])
        assert shapely.contains(counties[mine["county_code"]].values, mine.geometry.values).all()
    airports = landmarks[landmarks["kind"] == "airport"]
    assert len(airports) == 2 + 2 + 1 + 1  # Shaanxi, Liaoning; Gansu and Shanxi have one county
    assert frames["parks"]["power_kva"].gt(0).all()
    parcels = frames["parcels"]
    factory = parcels["land_state"] == "factory"
    assert parcels.loc[factory, "floor_m2"].notna().all()
    assert parcels.loc[~factory, "floor_m2"].isna().all()


def test_scale_features_lie_in_their_counties():
    frames = build_scale(BOUNDARIES, parcels=1_500, projects=300, seed=4)
    counties = frames["boundaries"].set_index("adcode").geometry
    for table in ("parks", "projects"):
        frame = frames[table]
        assert all(
            counties[c].contains(g)
            for c, g in zip(frame["county_code"], frame.geometry, strict=True)
        ), table


def test_same_seed_same_scale_data():
    a = build_scale(BOUNDARIES, parcels=600, projects=50, seed=5)
    b = build_scale(BOUNDARIES, parcels=600, projects=50, seed=5)
    pd.testing.assert_frame_equal(a["parcels"].to_wkt(), b["parcels"].to_wkt())


def test_index_turns_repetitive_text_into_categories(gpkg):
    frames = build_scale(BOUNDARIES, parcels=3_000, projects=10, seed=6)
    index = FrameIndex(frames["parcels"])
    assert isinstance(index.frame["land_state"].dtype, pd.CategoricalDtype)
    assert not isinstance(index.frame["parcel_id"].dtype, pd.CategoricalDtype)
    available = frames["parcels"]["land_state"] == "available"
    assert index.extent(Query(any_of={"land_state": frozenset({"available"})})).count == int(
        available.sum()
    )


def test_store_read_keeps_feature_ids(gpkg):
    projects = open_store(gpkg).read("projects", Query(ids=frozenset({2, 4})))
    assert projects.index.tolist() == [2, 4]
    assert projects["project_id"].tolist() == ["A2", "A4"]

"""Independent OGC API Features clients against the app served over HTTP: OWSLib (Python) and
GDAL's OAPIF driver (ogrinfo, ogr2ogr from Debian's gdal-bin), as a GIS user would run them.
What they answer is checked against the JSON API and against the store itself, read with
pandas, never against the OGC code under test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from urllib.request import urlopen

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from owslib.ogcapi.features import Features

from geoapp.config import PROJECT_ROOT
from geoapp.layers import load_layers
from geoapp.views import OFFICIAL_AUDIENCE
from tests.accounts import as_admin, bearer, token_of
from tests.fixtures import open_store, serve
from tests.test_ogc import gdal_env, ogrinfo, served  # noqa: F401 (served: the tiny data over HTTP)

LAYERS = {layer.id: layer for layer in load_layers(PROJECT_ROOT / "layers")}
GDAL_ENV = gdal_env()


@pytest.fixture(scope="module")
def demo_served(demo_gpkg):
    """The demo data (1,288 projects with spread-out dates, real county outlines) over HTTP."""
    with serve({"GEOAPP_DATA": str(demo_gpkg)}) as root:
        yield root


def api_json(url: str) -> dict:
    with urlopen(as_admin(url), timeout=30) as response:
        return json.load(response)


# OWSLib -------------------------------------------------------------------------------------


@pytest.fixture
def owslib(served):  # noqa: F811 (the fixture imported above)
    return Features(served, headers=bearer(token_of("admin")))


def json_api(served_url: str, query: str) -> dict:
    """The app's own JSON API (``/api/layers/…``) on the same server."""
    root = served_url.removesuffix("/ogc")
    return api_json(f"{root}/api/layers/projects/features?{query}")


def test_owslib_reads_the_landing_page_conformance_and_collections(owslib):
    assert {link["rel"] for link in owslib.links} >= {"service-desc", "conformance", "data"}
    assert owslib.api()["openapi"].startswith("3.0")
    conforms = owslib.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conforms
    assert owslib.feature_collections() == [
        "boundaries",
        "parks",
        "parcels",
        "standard_land",
        "projects",
    ]
    projects = owslib.collection("projects")
    assert projects["extent"]["spatial"]["bbox"] == [[100.105, 34.82, 106.95, 39.105]]
    queryables = owslib.collection_queryables("projects")["properties"]
    assert queryables["total_investment"]["type"] == "number"


def test_owslib_items_with_a_bbox_match_the_json_api(owslib, served):  # noqa: F811
    bbox = [106.7, 34.8, 106.85, 35.0]
    found = owslib.collection_items("projects", bbox=bbox, limit=100)
    api = json_api(served, "bbox=" + ",".join(map(str, bbox)))
    assert found["numberMatched"] == api["numberMatched"] == 2
    ids = sorted(f["properties"]["project_id"] for f in found["features"])
    assert ids == sorted(f["properties"]["project_id"] for f in api["features"]) == ["A1", "A3"]


def test_owslib_pages_through_everything_with_limit_and_offset(owslib, served):  # noqa: F811
    pages, offset = [], 0
    while True:
        page = owslib.collection_items("projects", limit=2, offset=offset)
        assert page["numberMatched"] == 5 and page["numberReturned"] == len(page["features"])
        pages.append([f["id"] for f in page["features"]])
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 2
    assert pages == [[1, 2], [3, 4], [5]]
    everything = json_api(served, "limit=100")["features"]
    assert [fid for page in pages for fid in page] == [f["id"] for f in everything]


@pytest.mark.parametrize(
    ("cql", "same_as"),
    [
        ("status = 'construction'", "status=construction"),
        ("status = 'construction' AND total_investment >= 2500", "status=construction&"
         "total_investment_min=2500"),
        ("S_INTERSECTS(geometry, BBOX(106.7, 34.8, 106.85, 35.0))", "bbox=106.7,34.8,106.85,35"),
    ],
)  # fmt: skip
def test_owslib_cql2_filters_count_what_the_json_api_counts(owslib, served, cql, same_as):  # noqa: F811
    found = owslib.collection_items("projects", filter=cql, limit=100)
    api = json_api(served, same_as)
    assert 0 < found["numberMatched"] == api["numberMatched"] < 5
    assert {f["id"] for f in found["features"]} == {f["id"] for f in api["features"]}


# GDAL ---------------------------------------------------------------------------------------


def test_gdal_copies_every_layer_into_a_geopackage_unchanged(demo_served, demo_gpkg, tmp_path):
    """ogr2ogr, paging 10 features at a time (GDAL's default), writes the same features, ids,
    values and geometries (every coordinate bit for bit) as the store holds."""
    assert shutil.which("ogr2ogr"), "ogr2ogr is missing: make test installs gdal-bin"
    out = tmp_path / "copy.gpkg"
    done = subprocess.run(
        ["ogr2ogr", "-f", "GPKG", "-preserve_fid", str(out), f"OAPIF:{demo_served}/ogc"],
        capture_output=True,
        text=True,
        timeout=300,
        env=GDAL_ENV,
    )
    assert done.returncode == 0, done.stderr
    store = open_store(demo_gpkg)
    copied = {name for name, _kind in pyogrio.list_layers(out)}
    assert copied == set(LAYERS)
    for name, layer in LAYERS.items():
        copy = gpd.read_file(out, layer=name, fid_as_index=True)
        kept = store.read(layer.table)
        fields = layer.visible_fields(OFFICIAL_AUDIENCE)
        assert sorted(copy.index) == sorted(kept.index) and len(kept) > 0, name
        copy = copy.loc[kept.index]
        assert [c for c in copy.columns if c != "geometry"] == fields, name
        for field in fields:
            assert plain(copy[field]) == plain(kept[field]), (name, field)
            if layer.fields[field].type == "number":  # typed by the collection's schema
                assert pd.api.types.is_float_dtype(copy[field]), (name, field, copy[field].dtype)
        same = shapely.equals_exact(copy.geometry.values, kept.geometry.values, tolerance=0)
        assert same.all(), (name, list(kept.index[~same][:5]))


def plain(column: pd.Series) -> list:
    """Values as a user compares them: missing is None, a date is a date, categories are text."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return [None if pd.isna(v) else v.date() for v in column]
    return [None if pd.isna(v) else v for v in column.astype(object)]


# A comparison on the collection's time (planned_start) goes to the server as `datetime`; one on
# another date field has to be evaluated by GDAL itself (CAST makes it so), because GDAL sends
# every date comparison as `datetime`, naming no field (README, OGC API Features).
DAY = pd.Timestamp("2026-06-01")
DATE_FILTERS = [
    ("planned_start >= '2026-06-01'", lambda p: p.planned_start >= DAY,
     "planned_start_min=2026-06-01"),
    ("planned_start <= '2026-06-01'", lambda p: p.planned_start <= DAY,
     "planned_start_max=2026-06-01"),
    ("planned_start = '2026-06-01'", lambda p: p.planned_start == DAY,
     "planned_start_min=2026-06-01&planned_start_max=2026-06-01"),
    ("planned_start >= '2026-04-01' AND planned_start <= '2026-09-30'",
     lambda p: p.planned_start.between(pd.Timestamp("2026-04-01"), pd.Timestamp("2026-09-30")),
     "planned_start_min=2026-04-01&planned_start_max=2026-09-30"),
    ("planned_end >= CAST('2028-06-01' AS TIMESTAMP)",
     lambda p: p.planned_end >= pd.Timestamp("2028-06-01"), "planned_end_min=2028-06-01"),
    ("actual_start <= CAST('2026-05-01' AS TIMESTAMP)",
     lambda p: p.actual_start <= pd.Timestamp("2026-05-01"), "actual_start_max=2026-05-01"),
]  # fmt: skip


@pytest.fixture(scope="module")
def demo_projects(demo_gpkg) -> pd.DataFrame:
    return open_store(demo_gpkg).read("projects")


def test_the_time_that_datetime_filters_is_declared(demo_served, demo_projects):
    """The collection's time, which `datetime` (and so GDAL's date filters) select on, is
    marked in its queryables with the OGC API Features Part 5 role."""
    url = f"{demo_served}/ogc/collections/projects"
    queryables = api_json(f"{url}/queryables")["properties"]
    roles = {name: q["x-ogc-role"] for name, q in queryables.items() if "x-ogc-role" in q}
    assert roles == {"planned_start": "primary-instant"}
    start = demo_projects.planned_start
    for interval, matches in [
        ("2026-06-01/..", start >= DAY),
        ("../2026-06-01", start <= DAY),
        ("2026-06-01", start == DAY),
        (
            "2026-04-01/2026-09-30",
            start.between(pd.Timestamp("2026-04-01"), pd.Timestamp("2026-09-30")),
        ),
    ]:
        answer = api_json(f"{url}/items?limit=1&datetime={interval}")
        assert 0 < answer["numberMatched"] == matches.sum() < len(start), interval


@pytest.mark.parametrize(("where", "matches", "api_query"), DATE_FILTERS)
def test_gdal_date_filters_count_what_pandas_and_the_json_api_count(
    demo_served, demo_projects, where, matches, api_query
):
    expected = int(matches(demo_projects).sum())
    assert 0 < expected < len(demo_projects)  # the filter splits the data: it cannot pass idly
    api = api_json(f"{demo_served}/api/layers/projects/features?limit=1&{api_query}")
    assert api["numberMatched"] == expected
    out = ogrinfo(
        "-so", "-oo", "PAGE_SIZE=1000", "-where", where, f"OAPIF:{demo_served}/ogc", "projects"
    )
    assert re.search(r"^Feature Count: (\d+)$", out, re.M).group(1) == str(expected), out

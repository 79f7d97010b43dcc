"""The server's clusters of one view (geoapp/points/clusters.py): what the map draws before its own
index of every point is built, in the page (geoapp/points/first_view.py) and from
``/api/layers/<id>/clusters``.

Worked by hand on a few points whose screen positions are known, then on the demo county's
1,288 projects (above ``tiles_above``: the map page fetches them as points), where no project
may be lost or counted twice.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from geoapp import create_app
from geoapp.config import PROJECT_ROOT
from geoapp.layers import load_layers
from geoapp.points.arrays import NO_VALUE, PointSet
from geoapp.points.clusters import (
    MAX_ZOOM,
    TILE_PX,
    box_around,
    geographic,
    mercator,
    view_clusters,
)
from geoapp.points.first_view import HALF_HEIGHT_PX, HALF_WIDTH_PX
from tests.accounts import signed_in
from tests.fixtures import settings_for

PROJECTS = next(lyr for lyr in load_layers(PROJECT_ROOT / "layers") if lyr.id == "projects")
STATUS = [v.key for v in PROJECTS.fields["status"].values]
WARNING = [v.key for v in PROJECTS.fields["warning"].values]  # red first: the most urgent
ZOOM = 12


def at_pixels(pixels: list[tuple[float, float]], warnings: list[int]) -> PointSet:
    """Points at world pixel positions of zoom 12, with ids 101, 102, … and warning codes."""
    world = TILE_PX * 2.0**ZOOM
    xy = np.array(pixels) / world
    lon, lat = geographic(xy[:, 0], xy[:, 1])
    n = len(pixels)
    return PointSet(
        lon=lon,
        lat=lat,
        ids=np.arange(101, 101 + n, dtype=np.int64),
        fill=np.full(n, STATUS.index("construction"), dtype=np.uint8),
        stroke=np.array(warnings, dtype=np.uint8),
    )


def by_count(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda item: -item["properties"].get("point_count", 1))


# A cell of the grid starts at a multiple of CELL_PX (64): 640 px is a cell's corner. The
# figures below are worked out for that cell.
NEAR = [(650.0, 650.0), (660.0, 650.0), (655.0, 670.0)]  # 20 px apart: one bubble
ACROSS = [(700.0, 900.0), (708.0, 900.0)]  # 8 px apart, on either side of a cell border (704)
ALONE = (2000.0, 2000.0)


def test_points_a_few_pixels_apart_make_one_bubble_ranked_by_the_most_urgent():
    green, red = WARNING.index("green"), WARNING.index("red")
    points = at_pixels([*NEAR, ALONE], [green, red, NO_VALUE, green])
    bubble, alone = by_count(view_clusters(points, ZOOM, PROJECTS))
    assert bubble["properties"]["cluster"] is True
    assert bubble["properties"]["point_count"] == 3
    assert bubble["properties"]["rank"] == red  # the ring's colour: red inside
    x, y = mercator(*np.array(bubble["geometry"]["coordinates"]).reshape(2, 1))
    world = TILE_PX * 2.0**ZOOM
    assert x[0] * world == pytest.approx(655, abs=0.01)  # the members' mean
    assert y[0] * world == pytest.approx(656.67, abs=0.01)
    # 20 px apart at zoom 12 spread over a cell (64 px) at zoom 14 (80 px): it breaks there
    assert bubble["properties"]["expansion_zoom"] == 14
    assert alone["id"] == 104 and "cluster" not in alone["properties"]
    assert alone["properties"] == {"status": "construction", "warning": "green"}


def test_a_cell_border_between_two_close_points_does_not_part_them():
    (bubble,) = view_clusters(at_pixels(ACROSS, [NO_VALUE, NO_VALUE]), ZOOM, PROJECTS)
    assert bubble["properties"]["point_count"] == 2
    assert bubble["properties"]["rank"] == 99  # no warning inside


def test_past_the_deepest_zoom_every_point_stands_alone_and_none_is_lost():
    points = at_pixels([*NEAR, *ACROSS, ALONE], [NO_VALUE] * 6)
    deep = view_clusters(points, MAX_ZOOM + 1, PROJECTS)
    assert sorted(item["id"] for item in deep) == list(range(101, 107))
    rng = np.random.default_rng(1)
    many = at_pixels([tuple(p) for p in rng.uniform(0, 5000, (3000, 2))], [NO_VALUE] * 3000)
    for zoom in (9, 12, 15):
        items = view_clusters(many, zoom, PROJECTS)
        assert sum(item["properties"].get("point_count", 1) for item in items) == 3000


def test_members_at_one_place_never_part():
    (bubble,) = view_clusters(at_pixels([(900.0, 900.0)] * 4, [NO_VALUE] * 4), ZOOM, PROJECTS)
    assert bubble["properties"]["expansion_zoom"] == MAX_ZOOM + 1


@pytest.fixture(scope="module")
def demo_client(demo_gpkg):
    return signed_in(create_app(settings_for(demo_gpkg)))


def test_the_clusters_of_a_view_stand_for_every_project_in_it(demo_client, demo_frames):
    projects = demo_frames["projects"]
    west, south, east, north = projects.total_bounds
    bbox = f"{west},{south},{east},{north}"
    body = demo_client.get(f"/api/layers/projects/clusters?zoom=11&bbox={bbox}").get_json()
    assert body["zoom"] == 11
    assert sum(i["properties"].get("point_count", 1) for i in body["items"]) == len(projects)
    building = demo_client.get(
        f"/api/layers/projects/clusters?zoom=11&bbox={bbox}&status=construction"
    ).get_json()
    counted = sum(i["properties"].get("point_count", 1) for i in building["items"])
    assert counted == (projects["status"] == "construction").sum()


@pytest.mark.parametrize(
    "query, parameter",
    [("bbox=1,2,3,4", "zoom"), ("zoom=30", "zoom"), ("zoom=12&status=nope", "status")],
)
def test_a_bad_clusters_request_is_refused_naming_the_parameter(demo_client, query, parameter):
    bad = demo_client.get(f"/api/layers/projects/clusters?{query}")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == parameter


def test_clusters_are_only_for_point_layers(demo_client):
    bad = demo_client.get("/api/layers/parcels/clusters?zoom=12")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "layer"


def test_the_map_page_comes_with_its_first_symbols(demo_client, demo_frames):
    """A shared link to zoom 12 carries the clusters of its view; every page carries the
    counts per county (the view fitted to the data may be one that shows them)."""
    projects = demo_frames["projects"]
    lat, lon = projects.geometry.y.median(), projects.geometry.x.median()
    page = demo_client.get(f"/?view=12/{lat:.5f}/{lon:.5f}").get_data(as_text=True)
    first = _first_view(page)
    assert first["clusters"]["zoom"] == 12
    shown = sum(i["properties"].get("point_count", 1) for i in first["clusters"]["items"])
    west, south, east, north = box_around(lat, lon, 12, HALF_WIDTH_PX, HALF_HEIGHT_PX)
    x, y = projects.geometry.x, projects.geometry.y
    inside = int(((x >= west) & (x <= east) & (y >= south) & (y <= north)).sum())
    assert shown == inside > 0  # every project around the view, none twice
    assert sum(area["count"] for area in first["counts"]["areas"]) == len(projects)
    whole = _first_view(demo_client.get("/").get_data(as_text=True))
    assert "clusters" not in whole and whole["counts"]["total"] == len(projects)
    hidden = demo_client.get(f"/?view=12/{lat:.5f}/{lon:.5f}&hide=projects")
    assert _first_view(hidden.get_data(as_text=True)) == {}  # asked for when switched on


def _first_view(page: str) -> dict:
    """The data argument of the projects' ``geoapp.layer(map, spec, data)`` call."""
    start = page.index('{"id":"projects"')
    spec, end = json.JSONDecoder().raw_decode(page, start)
    assert spec["mode"] == "points"
    data = re.match(r"\s*,\s*", page[end:])
    return json.JSONDecoder().raw_decode(page, end + data.end())[0]

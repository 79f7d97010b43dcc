"""Counts per county for a layer seen whole (``/api/layers/<id>/counts``): what the map shows
below the layer's ``overview_below`` zoom instead of points."""

from __future__ import annotations

from shapely.geometry import Point

from tests.fixtures import LONG, tiny_frames


def test_counts_per_county_follow_the_filter(client):
    projects = tiny_frames()["projects"]
    boundaries = tiny_frames()["boundaries"].set_index("adcode")
    body = client.get("/api/layers/projects/counts").get_json()
    assert body["total"] == len(projects)
    counted = {area["code"]: area["count"] for area in body["areas"]}
    assert counted == projects["county_code"].value_counts().to_dict()
    for area in body["areas"]:  # each label point lies inside its county, named
        assert boundaries.loc[area["code"]].geometry.contains(Point(area["lon"], area["lat"]))
        assert area["name"] == boundaries.loc[area["code"], "name"]
    building = projects[projects["status"] == "construction"]["county_code"].value_counts()
    filtered = client.get("/api/layers/projects/counts?status=construction").get_json()
    assert {a["code"]: a["count"] for a in filtered["areas"]} == building.to_dict()
    only_long = client.get(f"/api/layers/projects/counts?county={LONG}").get_json()
    assert [a["code"] for a in only_long["areas"]] == [LONG]


def test_counts_with_a_bad_filter_are_refused_naming_it(client):
    bad = client.get("/api/layers/projects/counts?status=nope")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "status"


def test_the_legend_counts_each_class_of_the_filter(client):
    """The legend says how many of the filtered projects are in each status (and warning)."""
    import re

    projects = tiny_frames()["projects"]
    in_long = projects[projects["county_code"] == LONG]
    page = client.get(f"/?county={LONG}").get_data(as_text=True)
    legend = page[page.index('id="legend"') :]
    counts = dict(
        re.findall(
            r'<span class="legend-label">([^<]+)</span><span class="legend-count" '
            r'data-count="(\d+)"',
            legend,
        )
    )
    assert counts["在建"] == str((in_long["status"] == "construction").sum())
    building = sum(
        int(counts[label]) for label in ("谋划储备", "前期推进", "在建", "竣工", "投产", "达效")
    )
    assert building == len(in_long)

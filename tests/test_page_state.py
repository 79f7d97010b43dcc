"""The address reproduces the screen: view, hidden layers, selection; the results list."""

from __future__ import annotations

import json
import re

import pytest

from tests.fixtures import LONG


def page_options(html: str) -> dict:
    match = re.search(r"geoapp\.page\(\s*\w+,\s*(\{.*?\})\);", html, re.S)
    assert match, "the page controls are missing"
    return json.loads(match.group(1))


def test_view_in_the_url_wins_over_fitting(client):
    html = client.get("/?view=12/34.9/106.85").get_data(as_text=True)
    assert "fitBounds" not in html
    assert re.search(r"center:\s*\[34\.9,\s*106\.85\]", html)
    assert re.search(r'"zoom":\s*12|zoom:\s*12', html)


def test_hidden_layers_start_switched_off(client):
    html = client.get("/?hide=parcels,parks").get_data(as_text=True)
    added = set(re.findall(r"(declared_layer_\w+)\.addTo\(", html))
    declared = re.findall(
        r"var (declared_layer_\w+) = geoapp\.layer\(\s*\w+,\s*\{\"id\":\"(\w+)\"", html
    )
    shown = {layer for var, layer in declared if var in added}
    assert shown == {"boundaries", "standard_land", "projects"}
    assert 'name="hide" value="parcels,parks"' in html  # kept when filters change


def test_selection_and_drawn_area_reach_the_page(client):
    area = "POLYGON((106.7 34.8, 106.85 34.8, 106.85 35, 106.7 35, 106.7 34.8))"
    options = page_options(client.get(f"/?sel=projects:3&within={area}").get_data(as_text=True))
    assert options["selected"] == ["projects", 3]
    assert options["area"]["type"] == "Polygon"


@pytest.mark.parametrize(
    ("query", "param"),
    [("view=99/1/1", "view"), ("view=abc", "view"), ("sel=projects", "sel"), ("sel=nope:1", "sel")],
)
def test_bad_page_state_is_explained(client, query, param):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert f'data-param="{param}"' in response.get_data(as_text=True)


def test_results_list_shows_the_selection(client):
    html = client.get(f"/?county={LONG}&status=construction").get_data(as_text=True)
    rows = re.findall(r'<tr data-fid="(\d+)" data-lat="([\d.]+)" data-lon="([\d.]+)"', html)
    assert [fid for fid, _lat, _lon in rows] == ["1", "4"]
    assert ("1", "34.855", "106.805") in rows
    table = html[html.index('<table class="results"') : html.index("</table>")]
    assert "陇县乳制品项目" in table and "陇县" in table and "在建" in table and "1,000" in table
    assert "2026-03-01" in table


def test_export_links_carry_the_filter(client):
    html = client.get(f"/?county={LONG}&status=construction").get_data(as_text=True)
    assert f'href="/export/projects.xlsx?county={LONG}&amp;status=construction"' in html

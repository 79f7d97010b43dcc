"""进度看板 through the Flask test client, on every backend: the page's figures are those of
``/api/rates`` for the same filter and date, its charts' data those of ``/api/rankings``; an
official sees their county only; a bad date or filter is named on the page (400); the red list
links each project to the map, its name as text; the links between the map and the dashboard
keep the filter.

On tests/fixtures.py at 2026-06-30: A2 (named like HTML, planned for March, not started) is
red, three months late; the other projects, half their annual plan done, are green (time
progress 49.6 %); at 2026-12-31 they are 50 points behind, red.
"""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from lxml import html as lxml_html

from geoapp import dashboard
from geoapp.config import PROJECT_ROOT
from geoapp.layers import load_layers
from tests.accounts import signed_in
from tests.fixtures import LINZE, LONG, XSS_NAME

PROJECTS = {lyr.id: lyr for lyr in load_layers(PROJECT_ROOT / "layers")}["projects"]
RATES = ("start_rate", "start_resume_rate", "new_start_rate", "resume_rate", "investment_rate")
FILTERS = ("", "park=P1", f"county={LONG}&category=energy,social", "level=province")


def page_of(response) -> tuple[lxml_html.HtmlElement, dict]:
    """The page's document and what it hands to its script (the snapshot, months, URLs)."""
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    config = json.loads(doc.get_element_by_id("dashboard-config").text)
    return doc, config


def figures(doc) -> dict[str, tuple[str, float | None]]:
    """Each key figure as the page writes it, and the share its bar is drawn to."""
    found = {}
    for box in doc.xpath("//*[@data-figure]"):
        share = box.get("data-share")
        text = box.xpath(".//*[@class='figure-value']")[0].text_content().strip()
        found[box.get("data-figure")] = (text, None if share is None else float(share))
    return found


@pytest.mark.parametrize("as_of", ["2026-03-31", "2026-06-30", "2026-12-31"])
def test_the_figures_are_those_of_api_rates_for_the_same_filter_and_date(client, as_of):
    for flt in FILTERS:
        query = f"{flt}&as_of={as_of}".lstrip("&")
        response = client.get(f"/dashboard?{query}")
        assert response.status_code == 200, query
        doc, config = page_of(response)
        api = client.get(f"/api/rates?{query}").get_json()
        assert config["snap"]["rates"] == api
        shown = figures(doc)
        for key in RATES:
            share = api["rates"][key]
            assert shown[key] == (dashboard_percent(share), share), (query, key)
        assert shown["count"][0] == f"{api['projects']['count']:,}"
        as_json = client.get(f"/api/dashboard?{query}").get_json()
        assert as_json["rates"] == api and as_json["figures"] == config["snap"]["figures"]


def dashboard_percent(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.1f}%"


def test_the_charts_show_the_rankings_of_the_api(client):
    """By county when the filter spans counties, by park inside one; by category always."""
    for flt, by in (("", "county"), (f"county={LONG}", "park"), ("park=P1", "park")):
        query = f"{flt}&as_of=2026-06-30".lstrip("&")
        snap = client.get(f"/api/dashboard?{query}").get_json()
        assert snap["areas"] == client.get(f"/api/rankings?{query}&by={by}").get_json()
        by_category = client.get(f"/api/rankings?{query}&by=category").get_json()
        assert snap["categories"] == by_category
        assert snap["rankings"] == snap["areas"]  # the 红黑榜 ranks the chart's places
    unit = client.get("/api/dashboard?as_of=2026-06-30&by=unit").get_json()["rankings"]
    assert unit == client.get("/api/rankings?as_of=2026-06-30&by=unit").get_json()
    assert {p["key"] for p in unit["places"]} == {"工信局", "发改局"}


def test_warnings_are_those_of_the_reporting_date_red_first(client, app):
    store = app.extensions["geoapp"].store
    fids = store.read("projects").reset_index().set_index("project_id")["fid"].to_dict()
    june = client.get("/api/dashboard?as_of=2026-06-30").get_json()
    assert june["warnings"]["counts"] == {"red": 1, "yellow": 0, "green": 4}
    (row,) = june["warnings"]["rows"]
    assert row["fid"] == fids["A2"] and row["name"] == XSS_NAME
    assert row["reason"] == "计划3月开工，逾期3个月未开工" and row["place"] == "陇县"
    assert june["colours"] == {
        str(fid): ("red" if code == "A2" else "green") for code, fid in fids.items()
    }
    december = client.get(f"/api/dashboard?as_of=2026-12-31&county={LONG}").get_json()
    assert [r["colour"] for r in december["warnings"]["rows"]] == ["red"] * 4
    assert december["warnings"]["rows"][0]["fid"] == fids["A2"]  # 陇县's four, all red by then


def test_a_red_project_links_to_the_map_and_its_name_stays_text(client):
    response = client.get("/dashboard?as_of=2026-06-30&county=610327")
    text = response.get_data(as_text=True)
    assert XSS_NAME not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    doc, _config = page_of(response)
    (link,) = doc.xpath("//table[contains(@class, 'warn-table')]//a")
    assert link.text_content() == XSS_NAME
    target = urlsplit(link.get("href"))
    assert target.path == "/" and parse_qs(target.query)["county"] == [LONG]
    (sel,) = parse_qs(target.query)["sel"]
    assert sel.startswith("projects:") and client.get(link.get("href")).status_code == 200
    parts = client.get("/api/dashboard?as_of=2026-06-30").get_json()["html"]
    assert XSS_NAME not in json.dumps(parts, ensure_ascii=False)
    assert "&lt;img src=x onerror=alert(1)&gt;" in parts["warnings"]


def test_an_official_sees_only_their_county(app):
    official = signed_in(app, "official_long", "official", LONG)
    doc, config = page_of(official.get("/dashboard?as_of=2026-12-31"))
    assert figures(doc)["count"][0] == "4"
    assert "临泽" not in lxml_html.tostring(doc, encoding="unicode")
    store = app.extensions["geoapp"].store
    long_fids = store.read("projects").query("county_code == @LONG").index
    assert set(config["snap"]["colours"]) == {str(f) for f in long_fids}
    other = official.get(f"/api/dashboard?as_of=2026-12-31&county={LINZE}")
    assert other.status_code == 400 or other.get_json()["rates"]["projects"]["count"] == 0


@pytest.mark.parametrize("value", ["2026-13-01", "tomorrow", "1999-12-31", "2026-02-30", ""])
def test_a_bad_reporting_date_is_named_on_the_page(client, value):
    response = client.get(f"/dashboard?as_of={value}&county={LONG}")
    assert response.status_code == 400
    doc, config = page_of(response)
    (notice,) = doc.xpath("//*[contains(@class, 'notice-error')]")
    assert notice.get("data-param") == "as_of" and "as_of" in notice.text_content()
    assert config["snap"]["as_of"] == date.today().isoformat()  # the rest: today's figures
    assert figures(doc)["count"][0] == "4"
    answer = client.get(f"/api/dashboard?as_of={value}")
    assert answer.status_code == 400 and answer.get_json()["parameter"] == "as_of"


def test_a_bad_filter_is_named_as_the_map_page_names_it(client):
    response = client.get("/dashboard?status=bogus&as_of=2026-06-30")
    assert response.status_code == 400
    doc, _config = page_of(response)
    assert [n.get("data-param") for n in doc.xpath("//*[contains(@class, 'notice-error')]")] == [
        "status"
    ]
    assert figures(doc)["count"][0] == "5"
    bad_by = client.get("/dashboard?by=colour&as_of=2026-06-30")
    assert bad_by.status_code == 400 and b'data-param="by"' in bad_by.data
    assert client.get("/api/dashboard?by=colour").get_json()["parameter"] == "by"


def test_the_links_between_map_and_dashboard_keep_the_filter(client):
    shared = f"county={LONG}&status=construction&land_state=available&view=12/34.9/106.85"
    doc = lxml_html.fromstring(client.get(f"/?{shared}").get_data(as_text=True))
    to_dashboard = {a.get("href") for a in doc.xpath("//a[starts-with(@href, '/dashboard')]")}
    assert to_dashboard == {f"/dashboard?{shared.replace('/', '%2F')}"}
    back = client.get(f"/dashboard?{shared}&as_of=2026-06-30&by=unit")
    doc, _config = page_of(back)
    to_map = {
        a.get("href")
        for a in doc.xpath("//a[@data-keep-query]")
        if "dashboard" not in a.get("href")
    }
    assert to_map == {f"/?{shared.replace('/', '%2F')}"}
    assert client.get(to_map.pop()).status_code == 200
    # The form keeps what it does not offer: applying it loses neither view nor parcel state.
    hidden = {
        i.get("name"): i.get("value")
        for i in doc.xpath("//form[@id='filter-form']//input[@type='hidden']")
    }
    assert hidden == {"view": "12/34.9/106.85", "land_state": "available", "by": "unit"}


def test_the_slider_moves_through_the_year_of_the_reporting_date(client):
    _doc, config = page_of(client.get("/dashboard?as_of=2025-03-15"))
    stops = [m["as_of"] for m in config["months"]]
    assert len(stops) == 12 and stops[2] == "2025-03-15" and stops[-1] == "2025-12-31"
    assert stops[1] == "2025-02-28" and config["monthIndex"] == 2
    assert config["months"][2]["date"] == "2025年3月15日"


def test_slider_months_and_area_breakdown():
    assert dashboard.slider_months(date(2026, 3, 31), date(2026, 12, 3))[-1] == date(2026, 12, 3)
    assert len(dashboard.slider_months(date(2026, 12, 31), date(2026, 12, 3))) == 12
    projects = pd.DataFrame({"county_code": [LONG, LONG], "park_id": ["P1", None]})
    assert dashboard.area_breakdown(projects, PROJECTS) == "park"
    both = pd.DataFrame({"county_code": [LONG, LINZE], "park_id": ["P1", "P2"]})
    assert dashboard.area_breakdown(both, PROJECTS) == "county"

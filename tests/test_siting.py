"""智能选址 on a fixture whose right order is worked out by hand (tests/siting_fixture.py).

The investor asks for 40–60 亩, 新材料, a reserve price of at most 18 万元/亩, a highway exit
within 10 km, and brings 8,000 万元. With siting.toml's weights (area 3, industry 2, price 2,
highway 1, investment intensity 3) and tolerance 0.5 (a value 50 % beyond its limit earns
nothing):
- S1 (standard land, P1, 50 亩, 投资强度 150, price 20): price 11.1 % over → 1 − 0.111/0.5 =
  0.778 of 2; 8,000 / 50 = 160 ≥ 150 met; the rest met: (3+2+1.556+1+3)/11 = 96.0;
- S2 (the same, 投资强度 200): 160 is 20 % short of 200 → 0.6 of 3: (3+2+1.556+1+1.8)/11 = 85.1;
- A3 (parcel, P1, 80 亩, price 15): 80 is a third over 60 → 0.333 of 3; no indicators to meet
  (not standard land): (1+2+2+1)/8 = 75.0;
- B1 (parcel in 临泽, 50 亩, price 15): area and price met, 食品加工 and ~600 km: 5/8 = 62.5.
The occupied parcel and the factory building are not land on offer.
"""

from __future__ import annotations

import re

import pytest

from geoapp import create_app
from geoapp.config import PROJECT_ROOT
from geoapp.errors import ConfigError
from geoapp.stores.changes import Change, ChangeSet
from tests.conftest import fill
from tests.fixtures import settings_for
from tests.siting_fixture import siting_frames

NEED = "area_min=40&area_max=60&industry=新材料&price_max=18&highway=10&invest_wan=8000"
BY_HAND = [("standard_land:S1", 96.0), ("standard_land:S2", 85.1), ("parcels:A3", 75.0),
           ("parcels:B1", 62.5)]  # fmt: skip


@pytest.fixture(params=["geopackage", "postgis"])
def where(request, tmp_path):
    return fill(request.param, siting_frames(), tmp_path, request)


@pytest.fixture
def gpkg_where(request, tmp_path):
    return fill("geopackage", siting_frames(), tmp_path, request)


def ranking(client, query: str = NEED) -> list[tuple[str, float]]:
    answer = client.get(f"/invest/siting.json?{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [(r["site"], r["score"]) for r in answer.get_json()["results"]]


def test_the_shortlist_is_the_order_worked_out_by_hand(where):
    client = create_app(settings_for(where)).test_client()
    assert ranking(client) == BY_HAND
    answer = client.get(f"/invest/siting.json?{NEED}").get_json()
    assert answer["considered"] == 4  # S1, S2, A3, B1: neither O1 (occupied) nor F1 (factory)
    assert answer["fully_met"] == 0  # S1's price is 20 > 18


def test_each_site_says_which_requirement_it_meets_and_why(gpkg_where):
    client = create_app(settings_for(gpkg_where)).test_client()
    page = client.get(f"/invest/siting?{NEED}").get_data(as_text=True)
    s2 = reasons_of(page, "standard_land:S2")
    assert (
        "near",
        "投资强度：160 万元/亩（要求：不低于 200 万元/亩（本地块需 10,000 万元））",
    ) in s2
    assert ("near", "出让底价：20 万元/亩（要求：不高于 18 万元/亩）") in s2
    assert ("met", "面积：50 亩（要求：40–60 亩）") in s2
    assert ("met", "产业：是（要求：新材料）") in s2
    assert "满足 5 项要求中的 3 项" in page
    english = client.get(f"/invest/siting?{NEED}&lang=en").get_data(as_text=True)
    s2 = reasons_of(english, "standard_land:S2")
    assert ("near", "Investment intensity: 160 10k CNY/mu (asked: at least 200 10k CNY/mu "
            "(10,000 10k CNY for this parcel))") in s2  # fmt: skip


def reasons_of(page: str, site: str) -> list[tuple[str, str]]:
    """(status, text) of each reason listed for ``site``, as a reader sees the text."""
    item = next(part for part in page.split('<li class="ranked"') if f'"{site}"' in part)
    found = []
    for status, body in re.findall(r'class="reason reason-(\w+)">(.*?)</li>', item, re.S):
        body = re.sub(r'<span class="(mark|visually-hidden)".*?</span>', "", body, flags=re.S)
        text = " ".join(re.sub(r"<[^>]+>", "", body).split()).replace(" （", "（")
        found.append((status, text))
    return found


def test_the_highway_distance_is_geodesic_km(gpkg_where):
    """S1's centre is 0.05° of latitude south of the exit: 0.05 × 110.95 km = 5.55 km."""
    client = create_app(settings_for(gpkg_where)).test_client()
    answer = client.get(f"/invest/siting.json?{NEED}").get_json()
    s1 = answer["results"][0]
    highway = next(r for r in s1["reasons"] if r["label"] == "距高速出口")
    assert highway["status"] == "met"
    assert abs(float(highway["value"].split()[0]) - 5.55) < 0.02


def test_the_same_link_gives_the_same_list_and_a_write_shows_at_once(gpkg_where):
    app = create_app(settings_for(gpkg_where))
    client = app.test_client()
    assert ranking(client) == ranking(client) == BY_HAND
    page = client.get(f"/invest/siting?{NEED}").get_data(as_text=True)
    assert 'name="area_max" inputmode="decimal" maxlength="14" autocomplete="off"\n' in page
    assert 'value="60"' in page and 'value="新材料"' in page  # the form shows what was asked
    store = app.extensions["geoapp"].store
    sold = Change("update", "standard_land", ("S1",), {"stage": "transferred"})
    store.apply(ChangeSet("tests", [sold]))
    assert ranking(client) == BY_HAND[1:]  # S1 is sold: no longer on offer


def test_the_weights_come_from_the_settings_file(gpkg_where, tmp_path):
    """With price weighing 10: S1 16.78/19 = 88.3, A3 14/16 = 87.5, S2 15.58/19 = 82.0,
    B1 13/16 = 81.2 (81.25 rounded to the even tenth)."""
    text = (PROJECT_ROOT / "siting.toml").read_text(encoding="utf-8")
    weights = tmp_path / "siting.toml"
    weights.write_text(text.replace("price = 2 ", "price = 10 "), encoding="utf-8")
    app = create_app(settings_for(gpkg_where) | {"GEOAPP_SITING": str(weights)})
    order = ranking(app.test_client())
    assert order == [("standard_land:S1", 88.3), ("parcels:A3", 87.5),
                     ("standard_land:S2", 82.0), ("parcels:B1", 81.2)]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[weights]\nprise = 2\n", "weights.prise"),
        ("[weights]\narea = -1\n", "weights.area must be from 0"),
        ("[weights]\narea = 'high'\n", "weights.area must be a number"),
        ("[scoring]\nshortlist = 0\n", "scoring.shortlist must be from 1"),
        ("[scoring]\nshortlist = 2.5\n", "scoring.shortlist must be a whole number"),
        ("[weight]\narea = 1\n", "unknown section [weight]"),
        ("weights = [", "not a TOML file"),
    ],
)
def test_a_wrong_settings_file_stops_the_app_naming_the_file_and_key(
    gpkg_where, tmp_path, text, named
):
    path = tmp_path / "siting.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        create_app(settings_for(gpkg_where) | {"GEOAPP_SITING": str(path)})
    assert str(path) in str(refused.value) and named in str(refused.value)


@pytest.mark.parametrize(
    ("query", "field", "zh", "en"),
    [
        ("area_min=-5", "area_min", "不能小于 0", "At least 0"),
        ("area_min=60&area_max=40", "area_max", "不能小于下限（60）", "At least the minimum (60)"),
        ("highway=abc", "highway", "请填写数字", "Enter a number"),
        ("highway=0", "highway", "不能小于 0.1", "At least 0.1"),
        ("industry=造火箭", "industry", "没有园区以“造火箭”为主导产业", "No park here names"),
        ("kind=castle", "kind", "请选择土地或标准化厂房", "Choose land or factory space"),
        ("invest_wan=1e999", "invest_wan", "不能小于 0", "At least 0"),
        ("budget=99999999999", "budget", "不能大于", "At most"),
        ("industry=" + "新" * 41, "industry", "最多 40 个字", "At most 40 characters"),
    ],
)
def test_impossible_requirements_are_refused_beside_their_field(gpkg_where, query, field, zh, en):
    client = create_app(settings_for(gpkg_where)).test_client()
    page = client.get(f"/invest/siting?{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert f'id="need-{field}-error">{zh}' in html
    assert 'class="shortlist"' not in html  # nothing ranked
    answer = client.get(f"/invest/siting.json?{query}&lang=en")
    assert answer.status_code == 400
    assert answer.get_json()["errors"][field].startswith(en)


def test_numbers_are_read_as_people_type_them(gpkg_where):
    client = create_app(settings_for(gpkg_where)).test_client()
    typed = NEED.replace("invest_wan=8000", "invest_wan=8,000").replace("40", "４０")
    assert ranking(client, typed) == BY_HAND


def test_markup_in_a_requirement_is_shown_as_text(gpkg_where):
    client = create_app(settings_for(gpkg_where)).test_client()
    html = client.get("/invest/siting?industry=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_factory_space_is_ranked_apart_from_land(gpkg_where):
    client = create_app(settings_for(gpkg_where)).test_client()
    answer = client.get("/invest/siting.json?kind=factory&highway=10").get_json()
    assert [r["site"] for r in answer["results"]] == ["parcels:F1"]


def test_the_form_alone_ranks_nothing_and_offers_the_industries(gpkg_where):
    client = create_app(settings_for(gpkg_where)).test_client()
    page = client.get("/invest/siting")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="shortlist"' not in html
    for industry in ("新材料", "装备制造", "食品加工", "工业用地"):
        assert f'<option value="{industry}">' in html


def test_the_parks_utilities_count_and_ties_go_by_id(gpkg_where):
    """P1 has 8,000 kVA, 6,000 t/day and gas: its three sites meet 5,000 kVA, 4,000 t/day and
    gas, tied at 100 and listed by layer and id. B1's park (2,500 kVA, 3,000 t/day, no gas)
    is 50 % short of the power (nothing), has no gas (nothing) and is 25 % short of the water:
    half of its weight 1, of 2 + 1 + 1 = 4 → 12.5."""
    client = create_app(settings_for(gpkg_where)).test_client()
    order = ranking(client, "power_kva=5000&gas=1&water=4000")
    assert order == [("parcels:A3", 100.0), ("standard_land:S1", 100.0),
                     ("standard_land:S2", 100.0), ("parcels:B1", 12.5)]  # fmt: skip

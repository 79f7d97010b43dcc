"""对比: up to four sites side by side, read as an investor reads the page and the PDF.

tests/fixtures.py: P1-002 (available parcel, 苏陕工业园, 陇县), 1号标准地 P1-003 (standard land
with indicators, same park) and P2-001 (available parcel, 扎尔墩滩工业集中区, 临泽); each a
0.01° box. Here P2-001's reserve price is lowered to 15 万元/亩 (the others: 20) and 陇县 gets a
highway exit, so the lowest price and a second kind of distance have something to show.
"""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pytest
from lxml import html as lxml_html
from shapely.geometry import Point

from geoapp import create_app
from geoapp.geo import area_mu
from tests.conftest import fill
from tests.fixtures import LONG, settings_for
from tests.invest_fixture import FACTORIES, LONG_SEAT, invest_frames
from tests.pdf import pdf_page_size, pdf_text

THREE = ["parcels:P1-002", "standard_land:P1-003", "parcels:P2-001"]
EXIT = (106.83, 34.84)  # 陇县's highway exit, south-east of the park


def compare_frames() -> dict[str, gpd.GeoDataFrame]:
    frames = invest_frames()
    parcels = frames["parcels"]
    parcels.loc[parcels["parcel_id"] == "P2-001", "price_wan_per_mu"] = 15.0
    exit_row = {"landmark_id": "exit-1", "name": "陇县高速出口", "kind": "highway_exit",
                "county_code": LONG, "geometry": Point(EXIT)}  # fmt: skip
    landmarks = frames["landmarks"]
    frames["landmarks"] = gpd.GeoDataFrame(
        [*landmarks.to_dict("records"), exit_row], geometry="geometry", crs=4326
    )
    return frames


@pytest.fixture(params=["geopackage", "postgis"])
def client(request, tmp_path):
    where = fill(request.param, compare_frames(), tmp_path, request)
    return create_app(settings_for(where)).test_client()


@pytest.fixture
def gpkg_client(request, tmp_path):
    where = fill("geopackage", compare_frames(), tmp_path, request)
    return create_app(settings_for(where)).test_client()


def url(*sites: str, lang: str | None = None, pdf: bool = False) -> str:
    query = "&".join([f"site={s}" for s in sites] + ([f"lang={lang}"] if lang else []))
    return f"/invest/compare{'.pdf' if pdf else ''}?{query}"


def table_of(page: str) -> dict:
    """The comparison as a reader sees it: column ids in order, and each row's label,
    cell texts, whether it is greyed, which cells are marked best, and links."""
    doc = lxml_html.fromstring(page)
    heads = doc.xpath("//table[@class='compare-table']/thead//th[contains(@class,'compare-site')]")
    rows = {}
    for tr in doc.xpath("//table[@class='compare-table']/tbody/tr[@data-row]"):
        cells = tr.xpath("td")
        rows[tr.get("data-row")] = {
            "label": tr.xpath("th")[0].text_content().strip(),
            "texts": [re.sub(r"\s+", " ", td.text_content()).strip() for td in cells],
            "same": "same" in (tr.get("class") or ""),
            "best": [i for i, td in enumerate(cells) if "best" in (td.get("class") or "")],
            "links": [(td.xpath(".//a/@href") or [None])[0] for td in cells],
        }
    return {
        "columns": [h.get("data-site") for h in heads],
        "remove": [h.xpath(".//a[@class='compare-remove']/@href")[0] for h in heads],
        "rows": rows,
    }


def areas_of(*ids: str) -> list[float]:
    """The parcels' areas in 亩, measured from their outlines (``geo.area_mu``)."""
    boxes = compare_frames()["parcels"].set_index("parcel_id").loc[list(ids)]
    return list(area_mu(gpd.GeoDataFrame(boxes, crs=4326)))


def mu_text(mu: float) -> str:
    """亩 as the pages write them: grouped, at most two decimals."""
    return f"{mu:,.2f}".rstrip("0").rstrip(".") + " 亩"


def test_three_sites_side_by_side_with_their_values_and_units(client):
    answer = client.get(url(*THREE))
    assert answer.status_code == 200
    table = table_of(answer.get_data(as_text=True))
    rows = table["rows"]
    assert table["columns"] == THREE
    areas = areas_of("P1-002", "P1-003", "P2-001")
    assert rows["area_mu"]["texts"] == [mu_text(a) for a in areas]
    assert rows["area_m2"]["texts"] == [f"{round(a * 10000 / 15):,} m²" for a in areas]
    assert rows["id"]["texts"] == ["P1-002", "P1-003", "P2-001"]
    assert rows["id"]["links"][1].startswith("/invest/parcels/standard_land/P1-003?")
    assert rows["kind"]["texts"] == ["可供地块", "标准地", "可供地块"]
    assert rows["park"]["texts"] == ["苏陕工业园", "苏陕工业园", "扎尔墩滩工业集中区"]
    assert rows["park"]["links"] == ["/invest/parks/P1", "/invest/parks/P1", "/invest/parks/P2"]
    assert rows["county"]["texts"] == ["陇县", "陇县", "临泽县"]
    assert rows["land_use"]["texts"] == ["工业用地", "—", "工业用地"]
    indicators = {
        "invest_intensity": ("固定资产投资强度", "200 万元/亩"),
        "tax_per_mu": ("亩均税收", "12 万元/亩"),
        "output_per_mu": ("亩均产值", "300 万元/亩"),
        "floor_area_ratio": ("容积率", "1.2"),
        "coverage_pct": ("建筑密度", "40%"),
        "green_max_pct": ("绿地率", "15%"),
        "energy_value": ("单位能耗增加值", "2 万元/吨标煤"),
    }
    for key, (label, text) in indicators.items():
        assert label in rows[key]["label"], key
        assert rows[key]["texts"] == ["—", text, "—"], key
    assert rows["utilities"]["texts"] == ["七通一平"] * 3
    assert rows["utilities"]["same"] and not rows["kind"]["same"] and not rows["id"]["same"]


def test_only_the_lowest_price_is_marked_and_distances_name_their_landmark(gpkg_client):
    rows = table_of(gpkg_client.get(url(*THREE)).get_data(as_text=True))["rows"]
    price = rows["price_wan_per_mu"]
    assert price["texts"] == ["20 万元/亩", "20 万元/亩", "15 万元/亩 最低"]
    assert price["best"] == [2]
    assert [k for k, r in rows.items() if r["best"]] == ["price_wan_per_mu"]  # not the area
    seat = rows["county_seat"]
    assert seat["label"] == "县城"
    assert "陇县政府驻地" in seat["texts"][0] and "临泽县政府驻地" in seat["texts"][2]
    # P1-002's middle (106.815, 34.855) to 陇县's seat, by hand on the local plane.
    dx = (LONG_SEAT[0] - 106.815) * 111.32 * math.cos(math.radians(34.875))
    dy = (LONG_SEAT[1] - 34.855) * 111.0
    shown = float(re.match(r"([\d.]+) 公里", seat["texts"][0]).group(1))
    assert shown == pytest.approx(math.hypot(dx, dy), abs=0.15)
    assert rows["highway_exit"]["label"] == "高速出口"
    texts = rows["highway_exit"]["texts"]
    assert all("陇县高速出口" in t for t in texts[:2])  # the nearest to the 陇县 sites
    assert "陇县东收费站" in texts[2]  # from 临泽, the fixture's other exit is a little nearer
    assert "张掖甘州机场" in rows["airport"]["texts"][2]  # 临泽's, not the test airport
    same = table_of(gpkg_client.get(url(*THREE[:2])).get_data(as_text=True))["rows"]
    assert same["price_wan_per_mu"]["best"] == [] and same["price_wan_per_mu"]["same"]


def test_english_labels_and_units(gpkg_client):
    page = gpkg_client.get(url(*THREE, lang="en")).get_data(as_text=True)
    rows = table_of(page)["rows"]
    assert rows["area_mu"]["label"] == "Area (mu)" and rows["area_mu"]["texts"][0].endswith(" mu")
    assert rows["invest_intensity"]["texts"][1] == "200 10k CNY/mu"
    assert rows["price_wan_per_mu"]["texts"][2].endswith("lowest")
    assert "Compare sites" in page and "Remove this site" in page


def test_order_is_kept_and_repeats_are_folded(gpkg_client):
    backwards = table_of(gpkg_client.get(url(*reversed(THREE))).get_data(as_text=True))
    assert backwards["columns"] == THREE[::-1]
    assert backwards["rows"]["id"]["texts"] == ["P2-001", "P1-003", "P1-002"]
    twice = url(THREE[1], THREE[0], THREE[1], "%20" + THREE[0], THREE[1])
    assert table_of(gpkg_client.get(twice).get_data(as_text=True))["columns"] == THREE[1::-1]


def test_each_column_removes_itself_and_keeps_the_others_in_order(gpkg_client):
    table = table_of(gpkg_client.get(url(*THREE)).get_data(as_text=True))
    for i, link in enumerate(table["remove"]):
        parts = urlsplit(link)
        assert parts.path == "/invest/compare"
        assert parse_qs(parts.query)["site"] == [s for j, s in enumerate(THREE) if j != i]
    page = gpkg_client.get(table["remove"][0]).get_data(as_text=True)
    assert table_of(page)["columns"] == THREE[1:]
    single = gpkg_client.get(url(THREE[0]))
    assert single.status_code == 200 and "再选至少一块地才能对比" in single.get_data(as_text=True)


def test_the_page_links_its_pdf_and_a_way_back_to_add_sites(gpkg_client):
    doc = lxml_html.fromstring(gpkg_client.get(url(*THREE[:2])).get_data(as_text=True))
    pdf = doc.xpath("//a[contains(@href,'/invest/compare.pdf')]/@href")
    assert pdf and parse_qs(urlsplit(pdf[0]).query)["site"] == THREE[:2]
    more = doc.xpath("//a[text()='再加一块地']/@href")[0]
    assert urlsplit(more).path == "/invest/vacancies"
    assert parse_qs(urlsplit(more).query)["site"] == THREE[:2]
    assert doc.xpath("//*[@id='invest-data']")  # the map of the sites
    full = lxml_html.fromstring(
        gpkg_client.get(url(*THREE, "parcels:P1-001")).get_data(as_text=True)
    )
    assert not full.xpath("//a[text()='再加一块地']")  # four: room for none


FIVE = [*THREE, "parcels:P1-001", "parcels:P1-003"]


@pytest.mark.parametrize(
    "sites, status, zh, en",
    [
        ([], 200, "请选择 2–4 块地进行对比", "Pick 2 to 4 sites to compare"),
        (["P1-002"], 400, "“P1-002”不是地块", "“P1-002” is not a site"),
        (["parcels:"], 400, "“parcels:”不是地块", "“parcels:” is not a site"),
        (["projects:A1"], 400, "“projects:A1”：地块只能来自图层", "a site is in the layer"),
        (FIVE, 400, "一次最多对比 4 块地", "At most 4 sites can be compared"),
        ([THREE[0], "parcels:nothing"], 404, "没有地块“nothing”", "There is no parcel “nothing”"),
        (["standard_land:P1-002"], 404, "没有地块“P1-002”", "There is no parcel “P1-002”"),
    ],
)
def test_bad_selections_are_said_on_the_page_in_the_visitors_language(
    gpkg_client, sites, status, zh, en
):
    for lang, words in (("zh", zh), ("en", en)):
        for pdf in (False, True):
            answer = gpkg_client.get(url(*sites, lang=lang, pdf=pdf))
            page = answer.get_data(as_text=True)
            expected = 400 if pdf and not sites else status  # a PDF of nothing: refused
            assert answer.status_code == expected, (lang, pdf)
            assert answer.mimetype == "text/html"
            assert words in page, (lang, pdf)
            doc = lxml_html.fromstring(page)
            assert doc.xpath("//h1")[0].text_content() in ("地块对比", "Compare sites")
            assert doc.xpath("//main//a[@href='/invest/vacancies']")  # where to pick sites


def test_a_value_written_like_html_stays_text(gpkg_client):
    answer = gpkg_client.get(url("<img src=x onerror=alert(1)>"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    # The shared error page, too: a parameter's name repeated in a (lazy) message.
    shared = gpkg_client.get("/invest?%3Cimg%20src%3Dx%3E=%00").get_data(as_text=True)
    assert "<img src=x>" not in shared and "“&lt;img src=x&gt;”" in shared


def test_the_pdf_is_one_a4_landscape_page_with_each_sites_figures(gpkg_client):
    answer = gpkg_client.get(url(*THREE, pdf=True))
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    disposition = answer.headers["Content-Disposition"]
    assert "attachment" in disposition
    assert all(key in disposition for key in ("P1-002", "P1-003", "P2-001"))
    width, height = pdf_page_size(answer.data)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    text = pdf_text(answer.data)
    wanted = ["P1-002", "P1-003", "P2-001", "地块对比表", "1号标准地", "固定资产投资强度"]
    wanted += ["200 万元/亩", "15 万元/亩（最低）", "苏陕工业园", "县城"]
    for expected in [*wanted, *[mu_text(a) for a in areas_of("P1-002", "P2-001")]]:
        assert expected in text, expected
    assert text.count("\f") == 1  # one page
    english = pdf_text(gpkg_client.get(url(*THREE, lang="en", pdf=True)).data)
    assert "Site comparison" in english and "Area (mu)" in english


def test_the_vacancy_list_picks_sites_with_a_plain_form(gpkg_client):
    doc = lxml_html.fromstring(gpkg_client.get("/invest/vacancies").get_data(as_text=True))
    form = doc.xpath("//form[contains(@class,'compare-picker')]")[0]
    assert form.get("method") == "get" and form.get("action") == "/invest/compare"
    boxes = form.xpath(".//input[@type='checkbox'][@name='site']")
    factories = [f"parcels:{key}" for key in FACTORIES]  # factory space is on offer too
    assert sorted(b.get("value") for b in boxes) == sorted([*THREE, *factories])
    assert not [b for b in boxes if b.get("checked") is not None]
    assert form.xpath(".//button[@type='submit']")[0].text_content() == "对比所选"
    ticked = [b.get("value") for b in boxes][:2]  # what the browser sends: ticked, in order
    answer = gpkg_client.get(form.get("action") + "?" + "&".join(f"site={v}" for v in ticked))
    assert table_of(answer.get_data(as_text=True))["columns"] == ticked


def test_a_park_page_carries_a_selection_made_elsewhere(gpkg_client):
    page = gpkg_client.get("/invest/parks/P1?site=parcels:P2-001&site=parcels:P1-002&site=bad")
    doc = lxml_html.fromstring(page.get_data(as_text=True))
    form = doc.xpath("//form[contains(@class,'compare-picker')]")[0]
    hidden = form.xpath(".//input[@type='hidden'][@name='site']/@value")
    assert hidden == ["parcels:P2-001"]  # not listed here: carried along
    checked = form.xpath(".//input[@type='checkbox'][@checked]/@value")
    assert checked == ["parcels:P1-002"]
    link = form.xpath(".//a[contains(@href,'/invest/compare')]")[0]
    assert link.text_content() == "查看对比（2）"
    carried = parse_qs(urlsplit(link.get("href")).query)["site"]
    assert carried == ["parcels:P2-001", "parcels:P1-002"]


def test_the_parcel_page_adds_itself_to_the_selection(gpkg_client):
    doc = lxml_html.fromstring(
        gpkg_client.get("/invest/parcels/standard_land/P1-003?site=parcels:P2-001").get_data(True)
    )
    form = doc.xpath("//form[contains(@class,'compare-add')]")[0]
    assert form.get("method") == "get" and form.get("action") == "/invest/compare"
    values = form.xpath(".//input[@name='site']/@value")
    assert values == ["parcels:P2-001", "standard_land:P1-003"]
    assert form.xpath(".//button")[0].text_content() == "加入对比"
    link = doc.xpath("//a[text()='查看对比（1）']/@href")[0]
    assert parse_qs(urlsplit(link).query)["site"] == ["parcels:P2-001"]
    four = "&".join(f"site={s}" for s in [*THREE[:2], "parcels:P1-001", "parcels:P2-001"])
    full = gpkg_client.get(f"/invest/parcels/parcels/P1-003?{four}").get_data(as_text=True)
    assert "compare-add" not in full and "一次最多对比 4 块地" in full
    alone = lxml_html.fromstring(gpkg_client.get("/invest/parcels/parcels/P1-002").get_data(True))
    assert alone.xpath("//form[contains(@class,'compare-add')]//input/@value") == [THREE[0]]

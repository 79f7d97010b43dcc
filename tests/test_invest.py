"""The investors' site (招商地图) on the tiny fixture: land figures counted from parcels,
distances, labels instead of keys, the PDF sheet, and the enquiry form — sent twice it is one
lead; without its CSRF token, oversized or malformed it is refused beside the field with
nothing stored; officials see the leads of their jurisdiction and editors move them on.

tests/fixtures.py: park P1 (陇县 610327) has P1-001 occupied, P1-002 available and P1-003
standard land (listed: ready to transfer); P2 (临泽 620723) has P2-001 available. Each parcel
is a 0.01° × 0.01° box. tests/invest_fixture.py adds the parks' utilities, the factory parcels
P1-004, P1-005 and P2-002, and landmarks of every kind around P1-002.
"""

from __future__ import annotations

import math
import re
import subprocess

import pytest

from geoapp import create_app
from geoapp.invest.leads import LEADS_TABLE
from tests.accounts import csrf_of, signed_in
from tests.conftest import fill
from tests.fixtures import LINZE, LONG, XSS_NAME, open_store, settings_for
from tests.invest_fixture import LONG_SEAT, NORTH_OF_P1_002, P1_002, invest_frames

ENQUIRY = {"name": "张三", "company": "某某新材料有限公司", "phone": "138 0013 8000",
           "message": "想了解P1-002地块的供电容量和出让时间。"}  # fmt: skip
KM_PER_DEGREE_LAT = 111.0  # near 35° N; the longitude degree shrinks by cos(latitude)
WGS84_A, WGS84_E2 = 6_378_137.0, 6.69437999014e-3  # semi-major axis (m), eccentricity²


@pytest.fixture(params=["geopackage", "postgis"])
def where(request, tmp_path):
    return fill(request.param, invest_frames(), tmp_path, request)


@pytest.fixture
def gpkg_where(request, tmp_path):
    return fill("geopackage", invest_frames(), tmp_path, request)


def app_for(where, **settings):
    return create_app(settings_for(where) | settings)


def mu_of_box(lat: float, side_deg: float = 0.01) -> float:
    """A side × side degree box's area in 亩, by hand: 1° of latitude ≈ 111 km, of longitude
    111 km × cos(latitude); 1 亩 = 10000/15 m²."""
    height = side_deg * KM_PER_DEGREE_LAT * 1000
    width = side_deg * 111.32 * 1000 * math.cos(math.radians(lat))
    return height * width / (10000 / 15)


def figures_on(page: str) -> dict[str, tuple[float, int]]:
    """(亩, 宗) of each figure box of a park page, by the box's class."""
    found = {}
    for key, body in re.findall(r'land-figure-(\w+)">(.*?)</div>', page, re.S):
        mu = float(re.search(r'figure-area">([\d,.]+)', body).group(1).replace(",", ""))
        count = int(re.search(r'figure-count">(\d+)', body).group(1))
        found[key] = (mu, count)
    return found


def floor_on(page: str) -> str:
    """The factory figure's floor line: ``2 栋 / 10,500 平方米``."""
    return re.search(r'land-figure-factory">.*?figure-floor">([^<]*)<', page, re.S).group(1)


def test_park_land_figures_are_counted_from_its_parcels(gpkg_where):
    page = app_for(gpkg_where).test_client().get("/invest/parks/P1").get_data(as_text=True)
    found = figures_on(page)
    one = mu_of_box(34.855)  # ≈ 1,520 亩 each
    expected = {"total": 5, "occupied": 1, "available": 1, "reserved": 0, "standard_land": 1,
                "factory": 2, "standard_ready": 1}  # fmt: skip
    assert {k: c for k, (_mu, c) in found.items()} == expected
    for key, count in expected.items():
        assert found[key][0] == pytest.approx(count * one, rel=0.005), key
    assert floor_on(page) == "2 栋 / 10,500 平方米"  # P1-004 6,000 + P1-005 4,500 m²
    other = figures_on(app_for(gpkg_where).test_client().get("/invest/parks/P2").get_data(True))
    assert other["total"][1] == 2 and other["available"][1] == 1 and other["factory"][1] == 1
    assert other["standard_ready"] == (0.0, 0)


def test_park_cards_show_the_factory_floor_and_the_utilities(gpkg_where):
    client = app_for(gpkg_where).test_client()
    cards = client.get("/invest").get_data(as_text=True).split('class="park-card"')[1:]
    assert len(cards) == 2
    long, linze = cards  # by county code: 610327, then 620723
    assert floor_on(long) == "2 栋 / 10,500 平方米" and floor_on(linze) == "1 栋 / 3,200 平方米"
    assert 'href="/invest/factories?park=P1"' in long
    for card, shown in (
        (long, ["可供电力容量", "8,000 千伏安", "供水能力", "6,000 吨/日", "通天然气",
                "集中供热（蒸汽）"]),
        (linze, ["2,500 千伏安", "3,000 吨/日", "未通天然气", "无集中供热"]),
    ):  # fmt: skip
        utilities = re.search(r'class="utility-facts">(.*?)</dl>', card, re.S).group(1)
        for words in shown:
            assert words in utilities, words
    english = client.get("/invest?lang=en").get_data(as_text=True)
    for words in ("8,000 kVA", "6,000 t/day", "Natural gas", "Steam supply", "No gas", "No steam",
                  "2 buildings / 10,500 m²"):  # fmt: skip
        assert words in english, words


def test_the_park_and_parcel_pages_and_the_sheet_show_the_utilities(gpkg_where, tmp_path):
    client = app_for(gpkg_where).test_client()
    utilities = ["可供电力容量", "8,000 千伏安", "6,000 吨/日", "通天然气", "集中供热（蒸汽）"]
    for url in ("/invest/parks/P1", "/invest/parcels/parcels/P1-002"):
        page = client.get(url).get_data(as_text=True)
        facts = re.findall(r'<dl class="facts">(.*?)</dl>', page, re.S)[-1]  # the park's
        for words in utilities:
            assert words in facts, (url, words)
    text = pdf_text(client.get("/invest/parcels/parcels/P1-002.pdf").data, tmp_path)
    for words in utilities:
        assert words in text, words


def test_the_factories_page_lists_exactly_the_factory_space(gpkg_where):
    client = app_for(gpkg_where).test_client()
    answer = client.get("/invest/factories")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert listed_factories(page) == ["P1-004", "P1-005", "P2-002"]
    rows = dict(zip(listed_factories(page), page.split('class="site factory"')[1:], strict=True))
    for key, park, floor, rent, sale in (
        ("P1-004", "苏陕工业园", "6,000 平方米", "12.5 元/平方米·月", "2,400 元/平方米"),
        ("P1-005", "苏陕工业园", "4,500 平方米", "10 元/平方米·月", "2,100 元/平方米"),
        ("P2-002", "扎尔墩滩工业集中区", "3,200 平方米", "9 元/平方米·月", "1,800 元/平方米"),
    ):
        row = rows[key]
        assert f'href="/invest/parcels/parcels/{key}"' in row and park in row
        for label, text in (("建筑面积", floor), ("租金", rent), ("售价", sale)):
            assert re.search(rf"<dt>{label}</dt><dd>{text}</dd>", row), (key, label)
    assert "合计：3 栋 / 13,700 平方米。" in page  # 6,000 + 4,500 + 3,200
    one = client.get("/invest/factories?park=P1").get_data(as_text=True)
    assert listed_factories(one) == ["P1-004", "P1-005"] and "合计：2 栋 / 10,500 平方米。" in one
    assert listed_factories(client.get("/invest/factories?park=P2").get_data(True)) == ["P2-002"]
    english = client.get("/invest/factories?lang=en").get_data(as_text=True)
    assert "12.5 CNY/m²·month" in english and "6,000 m²" in english
    missing = client.get("/invest/factories?park=nothing")
    assert missing.status_code == 404 and "nothing" in missing.get_data(as_text=True)


def listed_factories(page: str) -> list[str]:
    return re.findall(r'class="site factory" data-site="parcels:([^"]+)"', page)


def test_factory_space_is_free_space_on_the_vacancy_maps_and_its_own_page(gpkg_where, tmp_path):
    client = app_for(gpkg_where).test_client()
    park = client.get("/invest/parks/P1").get_data(as_text=True)
    listed = re.findall(r'<li class="site" data-site="([^"]+)"', park)
    assert listed == ["parcels:P1-002", "parcels:P1-004", "parcels:P1-005", "standard_land:P1-003"]
    assert 'href="/invest/factories?park=P1"' in park
    everywhere = client.get("/invest/vacancies").get_data(as_text=True)
    assert "parcels:P2-002" in everywhere
    page = client.get("/invest/parcels/parcels/P1-004").get_data(as_text=True)
    for words in ("标准化厂房", "建筑面积", "6,000 平方米", "12.5 元/平方米·月", "2,400 元/平方米"):
        assert words in page, words
    available = client.get("/invest/parcels/parcels/P1-002").get_data(as_text=True)
    assert "建筑面积" not in available and "租金" not in available  # a factory's fields only
    text = pdf_text(client.get("/invest/parcels/parcels/P1-004.pdf").data, tmp_path)
    for words in ("建筑面积", "6,000 平方米", "12.5 元/平方米·月", "2,400 元/平方米"):
        assert words in text, words


def meridian_km(lat_a: float, lat_b: float) -> float:
    """North–south distance on the WGS84 ellipsoid by hand: the meridian's radius of curvature
    M = a(1 − e²) / (1 − e² sin²φ)^1.5 at the middle latitude times the angle (to well under a
    metre for a degree)."""
    middle = math.radians((lat_a + lat_b) / 2)
    radius = WGS84_A * (1 - WGS84_E2) / (1 - WGS84_E2 * math.sin(middle) ** 2) ** 1.5
    return radius * math.radians(abs(lat_b - lat_a)) / 1000


def local_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """A few km on the ellipsoid by hand: east–west along the parallel (prime-vertical radius
    N = a / √(1 − e² sin²φ), times cos φ), north–south along the meridian."""
    middle = math.radians((a[1] + b[1]) / 2)
    prime = WGS84_A / math.sqrt(1 - WGS84_E2 * math.sin(middle) ** 2)
    east = prime * math.cos(middle) * math.radians(b[0] - a[0]) / 1000
    return math.hypot(east, meridian_km(a[1], b[1]))


def test_a_parcel_page_and_its_sheet_give_the_distance_to_each_kind(gpkg_where, tmp_path):
    client = app_for(gpkg_where).test_client()
    _lon, lat = P1_002
    expected = {"县城": (local_km(P1_002, LONG_SEAT), "陇县政府驻地")}
    names = {"highway_exit": ("高速出口", "陇县东收费站"), "railway_station": ("火车站", "陇县站"),
             "airport": ("机场", "测试机场")}  # fmt: skip
    for kind, north in NORTH_OF_P1_002.items():
        label, name = names[kind]
        expected[label] = (meridian_km(lat, lat + north), name)
    assert round(expected["机场"][0], 1) == 110.9  # 1° of latitude near 35° N
    page = client.get("/invest/parcels/parcels/P1-002").get_data(as_text=True)
    shown = {
        label: (float(km), name)
        for label, km, name in re.findall(r"距(\S+?) ([\d.]+) 公里 <span[^>]*>([^<]+)<", page)
    }
    assert set(shown) == set(expected)
    for label, (km, name) in expected.items():
        assert shown[label][0] == pytest.approx(km, abs=0.051), label
        assert shown[label][1] == name, label  # the nearest: not 张掖甘州机场
    text = pdf_text(client.get("/invest/parcels/parcels/P1-002.pdf").data, tmp_path)
    for label, (km, name) in expected.items():
        assert f"{round(km, 1):g} km（{name}）" in text, label
    english = client.get("/invest/parcels/parcels/P1-002?lang=en").get_data(as_text=True)
    for label in ("County seat", "Highway exit", "Railway station", "Airport"):
        assert label in english, label


def pdf_text(pdf: bytes, folder) -> str:
    path = folder / "sheet.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def test_the_parks_page_lists_both_parks_with_contact_and_distance_to_the_seat(gpkg_where):
    client = app_for(gpkg_where).test_client()
    answer = client.get("/invest")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "苏陕工业园" in page and "扎尔墩滩工业集中区" in page
    assert "0917-4612345" in page and "陕西省宝鸡市陇县苏陕工业园管委会" in page
    # P1's middle (106.82, 34.865) to 陇县's seat, by hand on the local plane.
    dx = (LONG_SEAT[0] - 106.82) * 111.32 * math.cos(math.radians(34.88))
    dy = (LONG_SEAT[1] - 34.865) * KM_PER_DEGREE_LAT
    p1 = client.get("/invest/parks/P1").get_data(as_text=True)
    shown = float(re.search(r"距县城 ([\d.]+) 公里", p1).group(1))
    assert shown == pytest.approx(math.hypot(dx, dy), abs=0.1)
    english = client.get("/invest?lang=en").get_data(as_text=True)
    assert "County seat" in english and "Industrial parks" in english


def test_the_vacancy_map_speaks_in_labels_and_units_not_keys(gpkg_where):
    page = app_for(gpkg_where).test_client().get("/invest/parks/P1").get_data(as_text=True)
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", page, flags=re.S))
    labels = [
        "可供地块",
        "标准地",
        "固定资产投资强度（不低于）",
        "200 万元/亩",
        "亩均税收（不低于）",
    ]
    labels += ["绿地率（不高于）", "15%", "挂牌出让中", "出让底价", "20 万元/亩", "工业用地"]
    for label in labels:
        assert label in visible, label
    assert "平方米" in visible
    for key in ("available", "invest_intensity", "standard_land", "listed", "250.0"):
        assert key not in visible, key
    assert "invest_intensity" not in page
    assert "P1-001" not in page  # occupied: not free land
    whole = app_for(gpkg_where).test_client().get("/invest/vacancies").get_data(as_text=True)
    assert "P2-001" in whole and "P1-002" in whole and "1号标准地" in whole


def test_the_parcel_page_and_its_pdf_sheet(gpkg_where, tmp_path):
    client = app_for(gpkg_where).test_client()
    page = client.get("/invest/parcels/standard_land/P1-003").get_data(as_text=True)
    assert "1号标准地" in page and "容积率（不低于）" in page and "0917-4612345" in page
    answer = client.get("/invest/parcels/standard_land/P1-003.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert "attachment" in answer.headers["Content-Disposition"]
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(answer.data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout
    text = text.decode()
    for expected in ("P1-003", "地块说明书", "固定资产投资强度", "苏陕工业园", "县城"):
        assert expected in text, expected
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True).stdout.decode()
    assert re.search(r"Pages:\s+1\n", info) and "(A4)" in info
    assert client.get("/invest/parcels/projects/A1").status_code == 404
    assert client.get("/invest/parcels/parcels/nothing").status_code == 404
    assert client.get("/invest/parks/nothing").status_code == 404


def _send(client, url: str, data: dict, lang: str = "zh"):
    token = csrf_of(client.get(f"{url}?lang={lang}").get_data(as_text=True))
    return client.post(url, data=data | {"csrf_token": token})


def leads(where) -> list[dict]:
    store = open_store(where)
    if LEADS_TABLE not in store.tables():
        return []
    return store.read(LEADS_TABLE).drop(columns="geometry").to_dict("records")


def test_the_same_enquiry_sent_twice_is_one_lead(where):
    client = app_for(where).test_client()
    first = _send(client, "/invest/parcels/parcels/P1-002", ENQUIRY)
    again = _send(client, "/invest/parcels/parcels/P1-002", ENQUIRY | {"phone": "13800138000"})
    for answer in (first, again):
        assert answer.status_code == 302 and answer.location.endswith("?sent=1#enquiry")
    stored = leads(where)
    assert len(stored) == 1
    lead = stored[0]
    assert (lead["subject_layer"], lead["subject_id"], lead["park_id"]) == (
        "parcels",
        "P1-002",
        "P1",
    )
    assert lead["county_code"] == LONG and lead["status"] == "new" and lead["name"] == "张三"
    confirmed = client.get(first.location).get_data(as_text=True)
    assert "意向登记已送达园区招商部门" in confirmed
    english = client.get(first.location.replace("?", "?lang=en&")).get_data(as_text=True)
    assert "your enquiry has reached the park's investment office" in english
    _send(client, "/invest/parks/P2", ENQUIRY)
    assert len(leads(where)) == 2


def test_an_enquiry_without_its_csrf_token_is_refused(gpkg_where):
    client = app_for(gpkg_where).test_client()
    answer = client.post("/invest/parks/P1", data=ENQUIRY)
    assert answer.status_code == 403 and "安全令牌" in answer.get_data(as_text=True)
    assert leads(gpkg_where) == []


@pytest.mark.parametrize(
    "change, field, zh, en",
    [
        ({"phone": "12345"}, "phone", "11 位手机号码", "A mobile number"),
        ({"phone": "138001380000000"}, "phone", "11 位手机号码", "A mobile number"),
        ({"name": ""}, "name", "请填写", "Fill this in"),
        ({"name": "张" * 51}, "name", "1 至 50 个字符", "Between 1 and 50"),
        ({"company": "公司" * 51}, "company", "0 至 100 个字符", "Between 0 and 100"),
        ({"message": "好"}, "message", "5 至 1000 个字符", "Between 5 and 1000"),
        ({"message": "很" * 1001}, "message", "5 至 1000 个字符", "Between 5 and 1000"),
        ({"message": "很" * 100_000}, "message", "内容过长", "far longer"),
        ({"message": "x" * 600_000}, "message", "内容过长", "far longer"),
        ({"name": "张\x07三"}, "name", "控制字符", "Control characters"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_stored(
    gpkg_where, change, field, zh, en
):
    app = app_for(gpkg_where)
    for lang, words in (("zh", zh), ("en", en)):
        client = app.test_client()
        answer = _send(client, "/invest/parcels/parcels/P1-002", ENQUIRY | change, lang)
        page = answer.get_data(as_text=True)
        assert answer.status_code in (400, 413), answer.status_code
        error = re.search(rf'id="{field}-error">([^<]*)<', page)
        assert error and words in error.group(1), (lang, error and error.group(1))
        assert f'aria-describedby="{field}-error"' in page
    assert leads(gpkg_where) == []


def test_a_nul_character_is_refused_by_name_before_the_form(gpkg_where):
    """The app refuses NUL in any parameter (geoapp.budget) before a view sees it."""
    answer = _send(
        app_for(gpkg_where).test_client(), "/invest/parks/P1", ENQUIRY | {"name": "张\x00"}
    )
    assert answer.status_code == 400 and "name" in answer.get_data(as_text=True)
    assert leads(gpkg_where) == []


def test_html_in_an_enquiry_stays_text_on_every_page(gpkg_where):
    app = app_for(gpkg_where)
    answer = _send(app.test_client(), "/invest/parks/P1", ENQUIRY | {"name": XSS_NAME})
    assert answer.status_code == 302
    assert leads(gpkg_where)[0]["name"] == XSS_NAME
    page = signed_in(app, "official_long", "official", LONG).get("/leads").get_data(as_text=True)
    assert XSS_NAME not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_enquiries_are_rate_limited_per_address(gpkg_where):
    client = app_for(gpkg_where, GEOAPP_ENQUIRY_LIMIT="2 per hour").test_client()
    statuses = [
        _send(client, "/invest/parks/P1", ENQUIRY | {"message": f"第{i}次询问供地情况"}).status_code
        for i in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert len(leads(gpkg_where)) == 2


def test_officials_see_the_leads_of_their_jurisdiction_and_editors_move_them(where):
    app = app_for(where)
    _send(app.test_client(), "/invest/parks/P1", ENQUIRY)
    _send(app.test_client(), "/invest/parks/P2", ENQUIRY | {"name": "李四"})
    long = signed_in(app, "official_long", "official", LONG).get("/leads").get_data(as_text=True)
    linze = signed_in(app, "official_linze", "official", LINZE).get("/leads").get_data(True)
    assert "张三" in long and "李四" not in long
    assert "李四" in linze and "张三" not in linze
    assert app.test_client().get("/leads").status_code == 302  # to the sign-in page
    assert signed_in(app, "investor", "investor", "").get("/leads").status_code == 403

    lead = next(r for r in leads(where) if r["name"] == "张三")
    version = open_store(where).history(LEADS_TABLE, (lead["lead_id"],))[0].version
    url = f"/leads/{lead['lead_id']}"
    reader = signed_in(app, "official_long", "official", LONG)
    assert reader.post(url, data={"status": "contacted", "version": version}).status_code == 403
    other = signed_in(app, "editor_linze", "editor", LINZE)
    assert other.post(url, data={"status": "contacted", "version": version}).status_code == 404
    editor = signed_in(app, "editor_long", "editor", LONG)
    moved = editor.post(url, data={"status": "contacted", "version": version})
    assert moved.status_code == 302
    stale = editor.post(url, data={"status": "closed", "version": version})
    assert stale.status_code == 409 and "已被他人修改" in stale.get_data(as_text=True)
    assert editor.post(url, data={"status": "new", "version": version + 1}).status_code == 400
    newest = open_store(where).history(LEADS_TABLE, (lead["lead_id"],))[0]
    assert newest.author == "editor_long" and newest.after["status"] == "contacted"


def test_the_public_header_links_the_investment_map_and_no_officials_page(gpkg_where):
    app = app_for(gpkg_where)
    for client in (app.test_client(), signed_in(app, "investor", "investor", "")):
        page = client.get("/invest/parks/P1").get_data(as_text=True)
        links = [u.split("?")[0] for u in re.findall(r'href="([^"]+)"', page.split("</header>")[0])]
        assert "/invest" in links
        assert not {"/", "/leads", "/import", "/admin/users"} & set(links), links
    official = signed_in(app, "official_long", "official", LONG).get("/invest").get_data(True)
    assert 'href="/leads"' in official.split("</header>")[0]

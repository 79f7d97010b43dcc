"""The investors' site (招商地图) on the tiny fixture: land figures counted from parcels,
distances, labels instead of keys, the PDF sheet, and the enquiry form — sent twice it is one
lead; without its CSRF token, oversized or malformed it is refused beside the field with
nothing stored; officials see the leads of their jurisdiction and editors move them on.

tests/fixtures.py: park P1 (陇县 610327) has P1-001 occupied, P1-002 available and P1-003
standard land (listed: ready to transfer); P2 (临泽 620723) has P2-001 available. Each parcel
is a 0.01° × 0.01° box.
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
from tests.invest_fixture import LONG_SEAT, invest_frames

ENQUIRY = {"name": "张三", "company": "某某新材料有限公司", "phone": "138 0013 8000",
           "message": "想了解P1-002地块的供电容量和出让时间。"}  # fmt: skip
KM_PER_DEGREE_LAT = 111.0  # near 35° N; the longitude degree shrinks by cos(latitude)


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


def test_park_land_figures_are_counted_from_its_parcels(gpkg_where):
    page = app_for(gpkg_where).test_client().get("/invest/parks/P1").get_data(as_text=True)
    found = figures_on(page)
    one = mu_of_box(34.855)  # ≈ 1,520 亩 each
    expected = {"total": 3, "occupied": 1, "available": 1, "reserved": 0, "standard_land": 1,
                "factory": 0, "standard_ready": 1}  # fmt: skip
    assert {k: c for k, (_mu, c) in found.items()} == expected
    for key, count in expected.items():
        assert found[key][0] == pytest.approx(count * one, rel=0.005), key
    other = figures_on(app_for(gpkg_where).test_client().get("/invest/parks/P2").get_data(True))
    assert other["total"][1] == 1 and other["available"][1] == 1
    assert other["standard_ready"] == (0.0, 0)


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

"""Progress rates against the published figures of shared/domain.md, from fixtures built the
way the seed reports count (which projects are new or continuing, started when, with what
money), through the module and through ``/api/rates`` on a real store."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest

from geoapp import create_app
from geoapp.rates import rates
from geoapp.stores import GeoPackageStore
from tests.accounts import signed_in
from tests.fixtures import LONG, settings_for, tiny_frames

HULUDAO_DAY = date(2022, 6, 5)  # "early June 2022"


def spread(total: float, n: int) -> list[float]:
    """``total`` 万元 over ``n`` projects, to the cent, summing exactly."""
    cents = round(total * 100)
    each, rest = divmod(cents, n)
    return [(each + (1 if i < rest else 0)) / 100 for i in range(n)]


def group(n: int, nature: str, started: bool, total: float, plan: float, first: int) -> list[dict]:
    """``n`` projects; every other one knows its start by a date, the rest by the sheet's
    start state only (as monthly sheets often do)."""
    rows = []
    state = {("new", True): "started", ("new", False): "not_started"}.get(
        (nature, started), "resumed" if started else "not_resumed"
    )
    for i, (money, annual) in enumerate(zip(spread(total, n), spread(plan, n), strict=True)):
        dated = i % 2 == 0
        rows.append(
            {
                "project_id": f"H{first + i:04d}",
                "nature": nature,
                "start_state": state,
                "planned_start": date(2022, 3, 1),
                "actual_start": date(2022, 4, 15) if started and dated else None,
                "status": "construction" if started else "preparatory",
                "total_investment": money,
                "annual_plan": annual,
                "completed": None,
            }
        )
    return rows


def huludao() -> pd.DataFrame:
    """500 projects: 117 of 268 new ones started (140.16 亿 total, 50.80 亿 annual plan), 212
    of 232 continuing ones resumed (1,471.73 亿, 150.58 亿); 2,619.8 亿 and 325.1 亿 in all."""
    rows = group(117, "new", True, 1_401_600, 508_000, 0)
    rows += group(212, "continuing", True, 14_717_300, 1_505_800, 117)
    rest_total, rest_plan = 26_198_000 - 1_401_600 - 14_717_300, 3_251_000 - 508_000 - 1_505_800
    rows += group(151, "new", False, rest_total * 151 / 171, rest_plan * 151 / 171, 329)
    rows += group(20, "continuing", False, rest_total * 20 / 171, rest_plan * 20 / 171, 480)
    # said started in a later sheet, with its date after the reporting day: not yet started then
    rows[329] |= {"start_state": "started", "actual_start": date(2022, 6, 20)}
    return pd.DataFrame(rows)


def test_huludao_2022_start_and_resume_rates():
    result = rates(huludao(), HULUDAO_DAY)
    assert (result.projects.count, result.new.count, result.continuing.count) == (500, 268, 232)
    assert round(result.start_resume_rate * 100, 1) == 65.8
    assert round(result.resume_rate * 100, 1) == 91.4
    assert round(result.new_start_rate * 100, 1) == 43.7
    assert (result.new_started.count, result.resumed.count) == (117, 212)
    assert result.new_started.total_investment == pytest.approx(1_401_600)
    assert result.new_started.annual_plan == pytest.approx(508_000)
    assert result.resumed.total_investment == pytest.approx(14_717_300)
    assert result.resumed.annual_plan == pytest.approx(1_505_800)
    assert result.projects.total_investment == pytest.approx(26_198_000)
    assert result.projects.annual_plan == pytest.approx(3_251_000)


def test_a_start_after_the_reporting_date_does_not_count_then_but_does_later():
    frame = huludao()
    assert rates(frame, HULUDAO_DAY).new_started.count == 117
    assert rates(frame, date(2022, 6, 30)).new_started.count == 118
    before_any = rates(frame, date(2022, 2, 28))  # dated starts are in April
    assert before_any.planned_to_start == 0 and before_any.start_rate is None


def long_county() -> pd.DataFrame:
    """188 key projects of 陇县 planned to start by April 2023, 147 of them started by its end;
    77.6 亿 completed of a 144.78 亿 annual plan."""
    rows = []
    for i, (plan, done) in enumerate(
        zip(spread(1_447_800, 188), spread(776_000, 188), strict=True)
    ):
        started = i < 147
        rows.append(
            {
                "project_id": f"L{i:03d}",
                "nature": "new" if i % 3 else "continuing",
                "start_state": None,
                "planned_start": date(2023, 1 + i % 4, 1),
                "actual_start": date(2023, 1 + i % 4, 10) if started else None,
                "status": "construction" if started else "preparatory",
                "total_investment": plan * 3,
                "annual_plan": plan,
                "completed": done,
            }
        )
    return pd.DataFrame(rows)


def test_long_county_april_2023_start_rate_and_investment_rate():
    result = rates(long_county(), date(2023, 4, 30))
    assert (result.started_of_planned, result.planned_to_start) == (147, 188)
    assert round(result.start_rate * 100, 1) == 78.2
    assert result.completed == pytest.approx(776_000)
    assert round(result.investment_rate * 100, 1) == 53.6
    assert round(result.time_progress * 100, 1) == 32.9  # 120 of 365 days
    assert result.by_status == {"construction": 147, "preparatory": 41}


@pytest.fixture
def huludao_client(tmp_path):
    """The 葫芦岛 projects in a real GeoPackage, in 陇县's county code and 临泽's (half each)."""
    frames = tiny_frames()
    template = frames["projects"].iloc[[0]]
    rows = huludao()
    projects = pd.concat([template] * len(rows), ignore_index=True)
    for column in rows.columns:
        projects[column] = rows[column].to_numpy()
    projects["name"] = [f"项目{i}" for i in range(len(rows))]
    projects["county_code"] = [LONG if i % 2 else "620723" for i in range(len(rows))]
    projects["warning"] = None
    frames["projects"] = gpd.GeoDataFrame(projects, geometry="geometry", crs=template.crs)
    GeoPackageStore.create(tmp_path / "h.gpkg", frames)
    return signed_in(create_app(settings_for(tmp_path / "h.gpkg")))


def test_the_api_serves_the_same_figures_for_any_filter(huludao_client):
    body = huludao_client.get("/api/rates?as_of=2022-06-05").get_json()
    assert round(body["rates"]["start_resume_rate"] * 100, 1) == 65.8
    assert body["new_started"]["count"] == 117 and body["resumed"]["count"] == 212
    assert body["as_of"] == "2022-06-05"
    half = huludao_client.get(f"/api/rates?as_of=2022-06-05&county={LONG}").get_json()
    assert half["projects"]["count"] == 250
    expected = rates(huludao().iloc[1::2], HULUDAO_DAY)
    assert half["rates"]["start_resume_rate"] == pytest.approx(expected.start_resume_rate)


@pytest.mark.parametrize(
    "value", ["2022-02-30", "june", "1999-12-31", "2022-6-5", "２０２２-06-05"]
)
def test_a_bad_reporting_date_is_a_400_naming_as_of(huludao_client, value):
    response = huludao_client.get(f"/api/rates?as_of={value}")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "as_of"


def test_places_rank_by_start_rate_then_investment_then_red_warnings():
    from geoapp.rates import ranking, red_and_black

    frame = long_county()
    frame["county_code"] = [["A", "B", "C", "D", "E", "F", "G"][i % 7] for i in range(len(frame))]
    frame["warning"] = ["red" if i % 5 == 0 else None for i in range(len(frame))]
    as_of = date(2023, 4, 30)
    ranked = ranking(frame, "county", as_of)
    groups = {key: rows for key, rows in frame.groupby("county_code")}
    order = {
        key: (
            -rates(rows, as_of).start_resume_rate,
            -rates(rows, as_of).investment_rate,
            int((rows["warning"] == "red").sum()),
            key,
        )
        for key, rows in groups.items()
    }
    assert [p.key for p in ranked] == sorted(order, key=order.get)
    assert len({p.rates.start_resume_rate for p in ranked}) > 1  # the fixture tells them apart
    assert sum(p.rates.projects.count for p in ranked) == 188
    assert sum(p.red for p in ranked) == (frame["warning"] == "red").sum()
    red, black = red_and_black(ranked)
    assert [p.key for p in red] == [p.key for p in ranked[:3]]
    assert [p.key for p in black] == [p.key for p in ranked[::-1][:3]]


def test_the_api_ranks_counties_with_their_names(huludao_client):
    body = huludao_client.get("/api/rankings?by=county&as_of=2022-06-05").get_json()
    assert {p["name"]: p["count"] for p in body["places"]} == {"陇县": 250, "临泽县": 250}
    assert body["red_list"] == [] and body["black_list"] == []  # two places: no lists
    assert "开复工率" in body["rule"]
    by_category = huludao_client.get("/api/rankings?by=category&as_of=2022-06-05&lang=en")
    assert [(p["key"], p["name"], p["count"]) for p in by_category.get_json()["places"]] == [
        ("industry", "Industry", 500)  # a declared value by its label, in the page's language
    ]
    bad = huludao_client.get("/api/rankings?by=colour")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "by"


def test_the_rankings_as_a_workbook_for_the_meeting(huludao_client):
    """The same places, order and figures as the JSON, the lists marked, rates as percents."""
    import io

    import openpyxl

    body = huludao_client.get("/api/rankings?by=county&as_of=2022-06-05").get_json()
    answer = huludao_client.get("/api/rankings.xlsx?by=county&as_of=2022-06-05")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in answer.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(answer.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("红黑榜", "统计截止日期", "2022-06-05") and "开复工率" in rows[1][0]
    assert rows[3][:4] == ("排名", "所在县区", "项目数", "开复工率")
    places = [(r[1], r[2], r[3]) for r in rows[4:]]
    expected = [(p["name"], p["count"], p["rates"]["start_resume_rate"]) for p in body["places"]]
    assert places == expected
    assert sheet.cell(5, 4).number_format == "0.0%"
    bad = huludao_client.get("/api/rankings.xlsx?as_of=2022-13-01")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "as_of"


def test_a_unit_named_like_a_formula_stays_text_in_the_workbook(tmp_path):
    import io

    import openpyxl

    from geoapp.rankings_xlsx import write_rankings

    place = {"key": "=SUM(A1:A9)", "name": "=SUM(A1:A9)", "count": 1, "red": 0, "yellow": 0}
    place["rates"] = dict.fromkeys(("start_resume_rate", "start_rate", "investment_rate"), 0.5)
    place["rates"]["time_progress"] = 0.4
    body = {"as_of": "2026-06-30", "by": "unit", "rule": "…", "places": [place]}
    out = io.BytesIO()
    app = create_app(settings_for_tiny(tmp_path))
    with app.test_request_context():
        write_rankings(body | {"red_list": [], "black_list": [place["key"]]}, out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet.cell(5, 2).value == "=SUM(A1:A9)" and sheet.cell(5, 2).data_type == "s"
    assert sheet.cell(5, 10).value == "黑榜" and sheet.cell(4, 2).value == "责任单位"


def settings_for_tiny(tmp_path):
    frames = tiny_frames()
    GeoPackageStore.create(tmp_path / "t.gpkg", frames)
    return settings_for(tmp_path / "t.gpkg")


def test_the_openapi_document_describes_every_parameter_and_answer(huludao_client):
    """Valid OpenAPI 3.0; every documented parameter is taken (a 200 with a plausible value);
    the answers of /rates, /rates/months and /rankings match their schemas, a 400 its own."""
    from openapi_schema_validator import OAS30Validator
    from openapi_spec_validator import validate

    doc = huludao_client.get("/api/rates/openapi.json").get_json()
    validate(doc)
    samples = {"as_of": "2022-06-05", "year": "2022", "county": LONG, "q": "项目",
               "within": "POLYGON((100 34, 108 34, 108 40, 100 40, 100 34))",
               "near": "106.8,34.85,500", "total_investment_min": "0",
               "planned_start_max": "2022-12-31", "park": "P1"}  # fmt: skip
    for path, item in doc["paths"].items():
        get = item["get"]
        for p in get["parameters"]:
            kind = p["schema"].get("format") or p["schema"].get("type")
            typed = {"number": "1000", "date": "2022-03-01", "integer": "1"}.get(kind, "x")
            value = samples.get(p["name"]) or (p["schema"].get("enum") or [typed])[0]
            url = f"/api{path}?as_of=2022-06-05&{p['name']}={value}"
            assert huludao_client.get(url).status_code == 200, url
        if "application/json" in get["responses"]["200"].get("content", {}):
            schema = get["responses"]["200"]["content"]["application/json"]["schema"]
            OAS30Validator(schema).validate(
                huludao_client.get(f"/api{path}?as_of=2022-06-05").get_json()
            )
    bad = huludao_client.get("/api/rates?as_of=tomorrow").get_json()
    error = doc["paths"]["/rates"]["get"]["responses"]["400"]["content"]["application/json"]
    OAS30Validator(error["schema"]).validate(bad)

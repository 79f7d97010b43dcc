"""OGC API Features: documents, items with paging, filters, CQL2, sorting; and a real client.

The client test runs GDAL's own OAPIF driver (Debian's gdal-bin: ogrinfo) against the app
served on loopback, as QGIS would, and compares its counts with the API's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from urllib.parse import quote

import pytest

from tests.accounts import token_of

ITEMS = "/ogc/collections/projects/items"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
NAN_POINT = (  # NaN is not JSON, but Python and some clients write it anyway
    '{"op": "s_intersects", "args": [{"property": "geometry"}, '
    '{"type": "Point", "coordinates": [NaN, 30]}]}'
)


def numbers(body: dict) -> tuple[int, int]:
    return body["numberMatched"], body["numberReturned"]


def test_landing_conformance_and_collections(client):
    landing = client.get("/ogc").get_json()
    assert {link["rel"] for link in landing["links"]} >= {
        "self",
        "service-desc",
        "conformance",
        "data",
    }
    conforms = client.get("/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conforms
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json" in conforms
    collections = client.get("/ogc/collections").get_json()["collections"]
    assert [c["id"] for c in collections] == [
        "boundaries",
        "parks",
        "parcels",
        "standard_land",
        "projects",
    ]
    projects = client.get("/ogc/collections/projects").get_json()
    assert projects["extent"]["spatial"]["bbox"] == [[100.105, 34.82, 106.95, 39.105]]


def test_public_clients_see_public_layers_and_fields_only(client):
    ids = [c["id"] for c in client.get("/public/ogc/collections").get_json()["collections"]]
    assert "projects" not in ids and "parcels" in ids
    assert client.get("/public/ogc/collections/projects/items").status_code == 404


def test_queryables_describe_the_fields(client):
    doc = client.get("/ogc/collections/projects/queryables").get_json()
    props = doc["properties"]
    assert props["status"]["enum"][:3] == ["reserve", "preparatory", "construction"]
    assert props["total_investment"]["type"] == "number"
    assert props["planned_start"]["format"] == "date"
    assert props["name"]["title"] == "项目名称"


def test_items_page_with_next_links(client):
    first = client.get(f"{ITEMS}?limit=2").get_json()
    assert numbers(first) == (5, 2)
    assert first["type"] == "FeatureCollection" and first["features"][0]["id"] == 1
    next_link = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = client.get(next_link.replace("http://localhost", "")).get_json()
    assert numbers(second) == (5, 2)
    assert [f["id"] for f in second["features"]] == [3, 4]
    last = client.get(f"{ITEMS}?limit=2&offset=4").get_json()
    assert numbers(last) == (5, 1)
    assert "next" not in {link["rel"] for link in last["links"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bbox=106.7,34.8,106.85,35.0", [1, 3]),
        ("status=construction", [1, 4, 5]),
        ("county=610327&total_investment_min=2500", [3, 4]),
        ("datetime=2026-03-01", [1, 2, 3, 4, 5]),
        ("datetime=../2026-02-28", []),
        ("planned_start_min=2026-03-02&datetime=2026-01-01/..", []),  # both hold
        ("datetime=2026-01-01/..&datetime=../2026-02-28", []),  # GDAL sends one per comparison
        ("filter=" + quote("status = 'construction' AND total_investment > 1500"), [4, 5]),
        ("filter=" + quote("name LIKE '陇县%' OR level IN ('city')"), [1, 3, 4]),
        (
            "filter="
            + quote("total_investment BETWEEN 2000 AND 4000 AND NOT status = 'completed'"),
            [2, 4],
        ),
        ("filter=" + quote("actual_start IS NULL"), [2]),
        (
            "filter="
            + quote("S_INTERSECTS(geometry, POLYGON((100 39, 101 39, 101 40, 100 40, 100 39)))"),
            [5],
        ),
        (
            "filter=" + quote("planned_start = DATE('2026-03-01') AND warning = 'green'"),
            [1, 3, 4, 5],
        ),
        ("filter-lang=cql2-text&filter=" + quote("status = 'construction'"), [1, 4, 5]),
        ("filter-crs=" + quote(CRS84) + "&filter=" + quote("status = 'construction'"), [1, 4, 5]),
        (
            "filter-lang=cql2-json&filter="
            + quote(
                json.dumps(
                    {
                        "op": "and",
                        "args": [
                            {"op": "=", "args": [{"property": "status"}, "construction"]},
                            {"op": ">", "args": [{"property": "total_investment"}, 1500]},
                        ],
                    }
                )
            ),
            [4, 5],
        ),
        (
            "filter-lang=cql2-json&filter="
            + quote(
                json.dumps(
                    {
                        "op": "s_intersects",
                        "args": [{"property": "geometry"}, {"bbox": [100, 39, 101, 40]}],
                    }
                )
            ),
            [5],
        ),
    ],
)
def test_items_filters(client, query, expected):
    body = client.get(f"{ITEMS}?{query}&limit=100").get_json()
    assert sorted(f["id"] for f in body["features"]) == expected
    assert body["numberMatched"] == len(expected)


def test_properties_and_sortby(client):
    body = client.get(
        f"{ITEMS}?sortby=-total_investment&properties=name,total_investment&limit=3"
    ).get_json()
    assert [f["properties"]["total_investment"] for f in body["features"]] == [5000, 4000, 3000]
    assert set(body["features"][0]["properties"]) == {"name", "total_investment"}


def test_single_item(client):
    item = client.get(f"{ITEMS}/3").get_json()
    assert item["id"] == 3 and item["properties"]["project_id"] == "A3"
    assert client.get(f"{ITEMS}/99").status_code == 404


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("filter=" + quote("status = "), "filter"),
        ("filter=" + quote("colour = 'red'"), "filter"),
        ("filter=" + quote("total_investment = 'abc'"), "filter"),
        ("filter=x&filter-lang=ecql", "filter-lang"),
        ("filter=x&filter-lang=cql2-json", "filter"),
        ("filter=" + quote("status = 'x'") + "&filter-crs=EPSG:3857", "filter-crs"),
        ("filter=" + quote("S_INTERSECTS(geometry, BBOX(1e999, 0, 1, 1))"), "filter"),
        ("filter=" + quote("total_investment > 1e999"), "filter"),
        ("filter=" + quote("(" * 3000 + "status = 'x'" + ")" * 3000), "filter"),
        ("filter-lang=cql2-json&filter=" + quote(NAN_POINT), "filter"),
        ("filter-lang=cql2-json&filter=" + quote('{"op": "=", "args": [1]}'), "filter"),
        ("limit=0", "limit"),
        ("limit=100001", "limit"),
        ("bbox=1,2", "bbox"),
        ("datetime=yesterday", "datetime"),
        ("sortby=nope", "sortby"),
        ("properties=secret", "properties"),
        ("status=flying", "status"),
        ("f=xml", "f"),
        ("bbox-crs=EPSG:4326", "bbox-crs"),  # refused even without a bbox (schemathesis)
        ("filter-lang=ecql", "filter-lang"),  # and without a filter
        ("filter-crs=" + quote("http://www.opengis.net/def/crs/EPSG/0/3857"), "filter-crs"),
    ],
)
def test_bad_requests_are_ogc_exceptions(client, query, parameter):
    response = client.get(f"{ITEMS}?{query}")
    body = response.get_json()
    assert response.status_code == 400
    assert body["code"] == "InvalidParameterValue" and body["parameter"] == parameter


@pytest.mark.parametrize(
    ("query", "zh", "en"),
    [
        (
            "filter=" + quote("colour = 'red'"),
            "筛选表达式中的属性“colour”不存在",
            "Unknown property “colour” in filter",
        ),
        (
            "filter=" + quote("status == 'x'"),
            "筛选表达式有误：at character 8: unexpected '='",
            "Malformed filter, at character 8: unexpected '='",
        ),
        (
            "filter-lang=cql2-json&filter=" + quote(NAN_POINT),
            "筛选表达式有误：invalid geometry: coordinate nan is not a finite number",
            "Malformed filter, invalid geometry: coordinate nan is not a finite number",
        ),
        ("filter=x&filter-lang=ecql", "filter-lang 只能是", "filter-lang must be"),
    ],
)
def test_filter_errors_name_the_problem_in_both_languages(client, query, zh, en):
    for lang, expected in (("zh", zh), ("en", en)):
        response = client.get(f"{ITEMS}?{query}&lang={lang}")
        assert response.status_code == 400
        assert expected in response.get_json()["description"]


def test_openapi_lists_every_collection(client):
    doc = client.get("/ogc/api").get_json(force=True)
    assert doc["openapi"].startswith("3.0")
    assert "/collections/projects/items" in doc["paths"]
    names = {p["name"] for p in doc["paths"]["/collections/projects/items"]["get"]["parameters"]}
    assert {"bbox", "limit", "offset", "datetime", "filter", "sortby", "status"} <= names


def test_html_for_people(client):
    html = client.get(f"{ITEMS}?f=html").get_data(as_text=True)
    assert "<table" in html and "陇县乳制品项目" in html
    assert "&lt;img src=x" in html  # escaped, never markup


def test_the_document_declares_blank_map_filters_html_and_405(client):
    """Found by schemathesis: a blank map filter (`status=`, as the map's form sends it) is a
    filter not set; items answer HTML with f=html; a method a resource does not take is a 405
    in JSON. All three happen, so the OpenAPI document says so."""
    doc = client.get("/ogc/api").get_json(force=True)
    items = doc["paths"]["/collections/projects/items"]["get"]
    everything = client.get(ITEMS).get_json()["numberMatched"]
    blank = {p["name"] for p in items["parameters"] if p.get("allowEmptyValue")}
    assert {"status", "county", "f", "bbox", "total_investment_min", "planned_end_max"} <= blank
    for name in blank:
        assert client.get(f"{ITEMS}?{name}=").get_json()["numberMatched"] == everything, name
    assert set(items["responses"]["200"]["content"]) == {"application/geo+json", "text/html"}
    assert client.get(f"{ITEMS}?f=html").mimetype == "text/html"
    assert all("405" in path["get"]["responses"] for path in doc["paths"].values())
    refused = client.delete("/ogc/collections")
    assert refused.status_code == 405 and refused.get_json()["code"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from geoapp.stores import GeoPackageStore
    from tests.fixtures import serve, tiny_frames

    path = tmp_path_factory.mktemp("ogc") / "tiny.gpkg"
    GeoPackageStore.create(path, tiny_frames())
    with serve({"GEOAPP_DATA": str(path)}) as root:
        yield f"{root}/ogc"


def gdal_env(token: str = token_of("admin")) -> dict[str, str]:
    """What a GIS user sets for GDAL: a timeout and their personal API token."""
    auth = {"GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}"}
    return {"GDAL_HTTP_TIMEOUT": "30", "CPL_DEBUG": "OFF", "PATH": "/usr/bin"} | auth


def ogrinfo(*args: str, env: dict[str, str] | None = None) -> str:
    assert shutil.which("ogrinfo"), "ogrinfo is missing: make test installs gdal-bin"
    done = subprocess.run(
        ["ogrinfo", "-ro", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env or gdal_env(),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gdal_reads_the_collections(served):
    out = ogrinfo(f"OAPIF:{served}")
    for name in ("boundaries", "parks", "parcels", "standard_land", "projects"):
        assert re.search(rf"^\d+: {name}\b", out, re.M), out


def test_gdal_counts_match_the_api(served, client):
    everything = ogrinfo("-so", f"OAPIF:{served}", "projects")
    assert "Feature Count: 5" in everything
    filtered = ogrinfo("-so", "-where", "status = 'construction'", f"OAPIF:{served}", "projects")
    api = client.get(f"{ITEMS}?status=construction").get_json()["numberMatched"]
    assert f"Feature Count: {api}" in filtered and api == 3
    features = ogrinfo("-where", "total_investment > 2500", f"OAPIF:{served}", "projects")
    assert len(re.findall(r"^OGRFeature\(projects\)", features, re.M)) == 3


def test_gdal_date_filters_that_gdal_splits_in_two_both_hold(served):
    """GDAL sends ``datetime=2026-03-01T/..&status=construction&datetime=../2026-02-28T`` for
    this; the second bound was ignored, and the three projects in construction came back."""
    where = "planned_start >= '2026-03-01' AND status = 'construction' AND "
    where += "planned_start <= '2026-02-28'"
    assert "Feature Count: 0" in ogrinfo("-so", "-where", where, f"OAPIF:{served}", "projects")
    where = where.replace("2026-02-28", "2026-03-01")
    assert "Feature Count: 3" in ogrinfo("-so", "-where", where, f"OAPIF:{served}", "projects")


def test_queryables_are_query_parameters(client):
    """Part 3 ``queryables-query-parameters``, as declared: ``?owner=…`` is an equality test,
    typed by the queryable; a value of the wrong type or a repeated parameter is a 400."""
    body = client.get("/ogc/collections/projects/items?name=陇县乳制品项目").get_json()
    assert [f["properties"]["project_id"] for f in body["features"]] == ["A1"]
    body = client.get("/ogc/collections/projects/items?total_investment=3000").get_json()
    assert [f["properties"]["project_id"] for f in body["features"]] == ["A3"]
    both = client.get(
        "/ogc/collections/projects/items?owner=某某有限公司&filter=status='completed'"
    ).get_json()
    assert [f["properties"]["project_id"] for f in both["features"]] == ["A3"]
    for url, param in [
        ("/ogc/collections/projects/items?total_investment=abc", "total_investment"),
        ("/ogc/collections/projects/items?planned_start=soon", "planned_start"),
        ("/ogc/collections/projects/items?owner=a&owner=b", "owner"),
    ]:
        response = client.get(url)
        assert response.status_code == 400 and response.get_json()["parameter"] == param


def test_sortables_list_what_sortby_takes(client):
    """Part 5 ``sortables``, as declared: the document exists and names the sortable fields."""
    response = client.get("/ogc/collections/projects/sortables")
    assert response.status_code == 200 and response.mimetype == "application/schema+json"
    names = set(response.get_json()["properties"])
    assert {"name", "total_investment", "planned_start"} <= names and "geometry" not in names
    for name in ("total_investment", "planned_start"):
        assert client.get(f"/ogc/collections/projects/items?sortby=-{name}").status_code == 200


def test_a_collection_describes_its_features_types(client):
    """The ``describedBy`` link gives a feature's JSON Schema: GIS clients take their field
    types from it (GDAL: tests/test_ogc_clients.py); the public's API has its own."""
    collection = client.get("/ogc/collections/parcels").get_json()
    (link,) = [x for x in collection["links"] if x["rel"].lower() == "describedby"]
    assert link["type"] == "application/schema+json"
    response = client.get(link["href"].removeprefix("http://localhost"))
    assert response.status_code == 200 and response.mimetype == "application/schema+json"
    fields = response.get_json()["properties"]["properties"]["properties"]
    assert fields["floor_m2"]["type"] == "number" and fields["land_state"]["type"] == "string"
    assert "available" in fields["land_state"]["enum"]
    projects = client.get("/ogc/collections/projects/schema").get_json()
    fields = projects["properties"]["properties"]["properties"]
    assert fields["planned_start"] == {**fields["planned_start"], "format": "date"}
    public = client.get("/public/ogc/collections/parcels/schema").get_json()
    assert public["properties"]["properties"]["properties"]["floor_m2"]["type"] == "number"
    assert client.get("/public/ogc/collections/projects/schema").status_code == 404


def test_crs_and_bbox_crs_as_part_2_declares(client):
    """CRS84 (default), EPSG:4326 (latitude first) and EPSG:3857 out; bbox in any of them;
    anything else a 400; Content-Crs names what was served."""
    from pyproj import Transformer

    from geoapp.ogc import CRS84, EPSG_3857, EPSG_4326

    url = "/ogc/collections/projects/items/{}?crs={}"
    plain = client.get("/ogc/collections/projects/items?project_id=A1").get_json()["features"][0]
    fid = plain["id"]
    lon, lat = plain["geometry"]["coordinates"]
    assert (lon, lat) == (106.805, 34.855)  # as stored, not rounded
    for crs, expected in [
        (CRS84, [lon, lat]),
        (EPSG_4326, [lat, lon]),
        (EPSG_3857, list(Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat))),
    ]:
        response = client.get(url.format(fid, crs))
        assert response.headers["Content-Crs"] == f"<{crs}>"
        assert response.get_json()["geometry"]["coordinates"] == pytest.approx(expected)
    for crs, bbox in [
        (EPSG_4326, "34.85,106.8,34.86,106.81"),
        (EPSG_3857, "11889000,4143500,11890000,4145000"),
    ]:
        found = client.get(f"/ogc/collections/projects/items?bbox={bbox}&bbox-crs={crs}")
        assert [f["properties"]["project_id"] for f in found.get_json()["features"]] == ["A1"]
    for param in ("crs", "bbox-crs"):
        bad = client.get(f"/ogc/collections/projects/items?bbox=1,2,3,4&{param}=EPSG:9999")
        assert bad.status_code == 400 and bad.get_json()["parameter"] == param
    collection = client.get("/ogc/collections/projects").get_json()
    assert collection["crs"] == [CRS84, EPSG_4326, EPSG_3857]


@pytest.mark.parametrize(
    "path",
    ["", "/conformance", "/collections", "/collections/projects", "/api",
     "/collections/projects/queryables", "/collections/projects/items/1"],
)  # fmt: skip
def test_one_rule_for_unknown_parameters(client, path):
    response = client.get(f"/ogc{path}?colour=red")
    assert response.status_code == 400 and response.get_json()["parameter"] == "colour"


@pytest.mark.parametrize(
    "path", ["/api", "/collections/projects/queryables", "/collections/projects/sortables"]
)
def test_html_for_every_resource(client, path):
    response = client.get(f"/ogc{path}?f=html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "<table" in response.get_data(as_text=True)


def test_items_and_an_item_link_to_themselves_and_their_html(client):
    items = client.get("/ogc/collections/projects/items?limit=1").get_json()
    rels = {link["rel"]: link for link in items["links"]}
    assert rels["alternate"]["type"] == "text/html" and rels["alternate"]["href"].endswith("f=html")
    fid = items["features"][0]["id"]
    item = client.get(f"/ogc/collections/projects/items/{fid}").get_json()
    links = {link["rel"]: link for link in item["links"]}
    assert links["self"]["href"].endswith(f"/items/{fid}") and links["self"]["type"]
    assert client.get(links["alternate"]["href"]).mimetype == "text/html"


SAMPLE_VALUES = {"number": "1000", "date": "2026-03-01", "integer": "1"}


def test_openapi_document_is_valid_and_lists_every_parameter_items_take(client):
    """Every parameter the document lists for /items is accepted (a 200 with a plausible
    value), and the answers match the response schemas it declares."""
    from openapi_schema_validator import OAS30Validator
    from openapi_spec_validator import validate

    doc = client.get("/ogc/api").get_json()
    validate(doc)
    get = doc["paths"]["/collections/projects/items"]["get"]
    names = {p["name"] for p in get["parameters"]}
    assert {"county", "park", "q", "within", "near", "crs", "bbox-crs", "status",
            "total_investment_min", "planned_start_max", "owner"} <= names  # fmt: skip
    samples = {
        "bbox": "106,34,108,36",
        "county": "610327",
        "park": "P1",
        "within": "POLYGON((106 34, 108 34, 108 36, 106 36, 106 34))",
        "near": "106.8,34.85,5",
        "filter": "status='construction'",
        "properties": "name",
        "sortby": "-name",
        "datetime": "2026-01-01/..",
    }
    for param in get["parameters"]:
        schema = param["schema"]
        value = samples.get(param["name"])
        if value is None:
            value = (schema.get("enum") or [None])[0] or SAMPLE_VALUES.get(
                schema.get("format") or schema.get("type"), "x"
            )
        response = client.get(f"/ogc/collections/projects/items?{param['name']}={value}")
        assert response.status_code == 200, (param["name"], value, response.get_json())
    body = client.get("/ogc/collections/projects/items?limit=3").get_json()
    schema = get["responses"]["200"]["content"]["application/geo+json"]["schema"]
    OAS30Validator(schema).validate(body)
    bad = client.get("/ogc/collections/projects/items?limit=0").get_json()
    error_schema = get["responses"]["400"]["content"]["application/json"]["schema"]
    OAS30Validator(error_schema).validate(bad)


def test_the_officials_document_says_how_to_sign_in_and_what_a_refusal_looks_like(app, client):
    """A client reading /ogc/api learns it needs a token (bearer, or Basic's password), and
    the 401 an anonymous request gets, and the 403 an investor gets, match the document."""
    from openapi_schema_validator import OAS30Validator
    from openapi_spec_validator import validate

    from tests.accounts import signed_in

    doc = client.get("/ogc/api").get_json()
    validate(doc)
    schemes = doc["components"]["securitySchemes"]
    assert {(s["type"], s["scheme"]) for s in schemes.values()} == {
        ("http", "bearer"),
        ("http", "basic"),
    }
    assert {next(iter(s)) for s in doc["security"]} == set(schemes)
    operations = [op for ops in doc["paths"].values() for op in ops.values()]
    assert all({"401", "403"} <= set(op["responses"]) for op in operations)
    items = "/collections/projects/items"
    for who, status in ((app.test_client(), "401"), (signed_in(app, "inv", "investor"), "403")):
        answer = who.get("/ogc" + items + "?f=json")
        assert answer.status_code == int(status)
        schema = doc["paths"][items]["get"]["responses"][status]["content"]["application/json"]
        OAS30Validator(schema["schema"]).validate(answer.get_json())
    public = client.get("/public/ogc/api").get_json()
    public_items = public["paths"]["/collections/parcels/items"]["get"]
    assert "security" not in public and "401" not in public_items["responses"]


@pytest.mark.parametrize(
    ("bbox", "expected"),
    [
        ("170,34,106.85,35", ["A1", "A3"]),  # from 170°E across the antimeridian to 106.85°E
        ("106.85,34,106.8,35", ["A2", "A3", "A4"]),  # all the world but a strip
        ("106.7,34,0,106.9,35,0", ["A1", "A2", "A3"]),  # six numbers: heights ignored
    ],
)
def test_a_bbox_may_cross_the_antimeridian(client, bbox, expected):
    body = client.get(f"/ogc/collections/projects/items?bbox={bbox}&limit=100").get_json()
    assert sorted(f["properties"]["project_id"] for f in body["features"]) == expected

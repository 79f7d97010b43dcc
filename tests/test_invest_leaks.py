"""Nothing internal reaches a public answer: every route anyone may open (the URL map's
routes whose ACCESS entry is None: 招商地图 and its comparison, the public OGC API and tiles,
sign-in), asked by an anonymous visitor, for every park and site of the data.

Markers are planted in every internal field of every layer (the projects layer is internal
whole; a copy of the layer files also makes a park's phone and power capacity, a parcel's
reserve price and a factory's sale price, and a standard-land indicator internal, to prove the
pages follow the files' decision) and in every field of the leads table; every site has a
photo and a PDF attached by an uploader whose name is marked (the files are public, who
attached them is not). Answers are read as a person reads them: HTML and JSON as text, PDF
sheets and documents through pdftotext, vector tiles decoded.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from geoapp import create_app
from geoapp.auth.access import ACCESS
from geoapp.config import PROJECT_ROOT
from geoapp.invest.attachments import Limits, attach, taken
from geoapp.invest.leads import LEADS_TABLE, leads_schema
from geoapp.layers import LayerDef, load_layers
from geoapp.schemas import record_schemas
from geoapp.stores import GeoPackageStore
from geoapp.stores.changes import Change, ChangeSet
from tests.accounts import csrf_of, signed_in
from tests.fixtures import LONG, SqlReads, settings_for
from tests.invest_fixture import invest_frames
from tests.test_access import text_of
from tests.test_invest_compare import table_of
from tests.test_parcel_attachments import pdf
from tests.test_photos import png
from tests.test_tiles import tile_of

TEXT_MARK = "SECRET"
NUMBER_MARK = 97531.0  # shown as 97531 or 97,531
DATE_MARK = "1901-07-04"
MADE_INTERNAL = {  # layer file → fields turned internal in the copy
    "parks.toml": ("phone", "power_kva"),
    "parcels.toml": ("price_wan_per_mu", "sale_yuan_m2"),
    "standard_land.toml": ("tax_per_mu",),
}


def internal_layers(folder: Path) -> Path:
    """A copy of layers/ with the fields of ``MADE_INTERNAL`` declared internal."""
    shutil.copytree(PROJECT_ROOT / "layers", folder)
    for name, fields in MADE_INTERNAL.items():
        path = folder / name
        text = path.read_text(encoding="utf-8")
        for field in fields:
            header = f"[fields.{field}]\n"
            assert header in text, (name, field)
            text = text.replace(header, header + 'audience = "internal"\n')
        path.write_text(text, "utf-8")
    return folder


def secret_fields(layer: LayerDef) -> list[str]:
    """Every field the public may not see (area codes aside: they name public areas)."""
    codes = set(layer.area.values())
    hidden = set(layer.fields) - set(layer.visible_fields("public"))
    if layer.audience == "internal":
        hidden = set(layer.fields) - codes
    return sorted(hidden)


def marked(layers: list[LayerDef]) -> dict:
    frames = invest_frames()
    for layer in layers:
        frame = frames.get(layer.table)
        if frame is None:
            continue
        for name in secret_fields(layer):
            kind = layer.fields[name].type
            if kind == "number":
                frame[name] = NUMBER_MARK
            elif kind == "date":
                frame[name] = DATE_MARK
            else:
                frame[name] = [f"{TEXT_MARK}{name}{i}" for i in range(len(frame))]
    return frames


@pytest.fixture(scope="module", params=["geopackage", "postgis-sql"])
def app(request, tmp_path_factory):
    folder = internal_layers(tmp_path_factory.mktemp("layers") / "layers")
    layers = load_layers(folder)
    frames, schemas = marked(layers), record_schemas(layers)
    if request.param == "geopackage":
        where = tmp_path_factory.mktemp("leaks") / "marked.gpkg"
        GeoPackageStore.create(where, frames, schemas)
    else:
        from geoapp.stores.postgis import PostGISStore

        where = SqlReads(request.getfixturevalue("postgis_cluster").database())
        PostGISStore.create(where, frames, schemas)
    app = create_app(settings_for(where) | {"GEOAPP_LAYERS_DIR": str(folder)})
    _plant_a_lead(app.extensions["geoapp"].store)
    with app.test_request_context():
        _attach_to_every_site(app.extensions["geoapp"].store)
    return app


def _plant_a_lead(store) -> None:
    values = {n: f"{TEXT_MARK}lead-{n}" for n in leads_schema().fields if n != "lead_id"}
    values |= {"subject_layer": "parks", "subject_id": "P1", "park_id": "P1", "county_code": LONG}
    values |= {"status": "new"}
    store.apply(ChangeSet("tests", [Change("insert", LEADS_TABLE, ("lead-1",), values)]))


FILES = {"现状.png": png(), "区域评估报告.pdf": pdf()}  # attached to every site


def _attach_to_every_site(store) -> None:
    limits = Limits(10**6, 10**6, 12)
    for layer in ("parcels", "standard_land"):
        for key in store.read(layer)["parcel_id"]:
            for name, data in FILES.items():
                file = taken(name, data, limits)
                attach(store, (layer, key), file, f"{name} 说明", f"{TEXT_MARK}uploader", limits)


def public_rules(app) -> list:
    """The rules of the URL map that ACCESS opens to anyone (as guard() decides)."""
    found = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0] or None
        needed = (
            ACCESS[rule.endpoint] if rule.endpoint in ACCESS else ACCESS.get(blueprint, "admin")
        )
        if needed is None:
            found.append(rule)
    return found


def samples(app) -> dict[str, list[str]]:
    """Values for each route argument: every park, site, layer and feature of the data."""
    store = app.extensions["geoapp"].store
    layers = app.extensions["geoapp"].layers
    public = [lyr for lyr in layers if lyr.audience == "public"]
    features = [str(i) for lyr in public for i in store.read(lyr.table).index]
    z, x, y = tile_of(106.815, 34.855, 12)
    return {
        "park_id": list(store.read("parks")["park_id"]),
        "layer_id": [lyr.id for lyr in layers],
        "collection_id": [lyr.id for lyr in layers],
        "feature_id": sorted(set(features)),
        "z": [str(z)],
        "x": [str(x)],
        "y": [str(y)],
        "filename": ["invest.js"],
        "digest": [hashlib.sha256(data).hexdigest() for data in FILES.values()],
        "ext": ["png"],
        "parcel_id": [
            *store.read("parcels")["parcel_id"],
            *store.read("standard_land")["parcel_id"],
        ],
    }


def urls(app) -> list[str]:
    values = samples(app)
    found = []
    for rule in public_rules(app):
        if "GET" not in rule.methods:
            continue
        paths = [rule.rule]
        for name in rule.arguments:
            pattern = r"<(?:[a-z]+:)?" + name + ">"
            paths = [re.sub(pattern, v, p) for p in paths for v in values[name]]
        found += paths
    ogc = "/public/ogc/collections"
    extra = [f"{ogc}/parcels/items?price_wan_per_mu=97531", f"{ogc}/parks/items?f=html",
             f"{ogc}/parcels/items?filter=price_wan_per_mu%3D97531", "/invest?lang=en",
             f"{ogc}/standard_land/items?f=html", "/invest/parks/P1?lang=en",
             "/invest/parcels/standard_land/P1-003.pdf?lang=en", "/invest/factories?park=P1",
             "/invest/factories?park=P2&lang=en", "/invest/parcels/parcels/P1-004.pdf"]  # fmt: skip
    siting = "area_min=1&seat=500&power_kva=1&gas=1&water=1&invest_wan=100&tax_wan=10"
    extra += [f"/invest/siting?{siting}", f"/invest/siting.json?{siting}&lang=en",
              "/invest/siting.json?kind=factory&floor_min=1&rent_max=100"]  # fmt: skip
    extra += [COMPARE, COMPARE.replace("compare?", "compare.pdf?"), COMPARE + "&lang=en",
              COMPARE.replace("compare?", "compare.pdf?") + "&lang=en"]  # fmt: skip
    return found + extra


# Every site of the data, side by side (the page and its PDF), as the comparison shows them.
COMPARE = ("/invest/compare?site=parcels:P1-002&site=standard_land:P1-003"
           "&site=parcels:P2-001&site=parcels:P1-001")  # fmt: skip


def leaked(text: str) -> list[str]:
    marks = [TEXT_MARK, "97531", "97,531", DATE_MARK]
    return [m for m in marks if m in text]


def test_no_public_answer_carries_an_internal_value(app):
    client = app.test_client()
    asked = urls(app)
    assert any(u.startswith("/invest/parcels/standard_land/") for u in asked)
    assert any(u.endswith(".pdf") for u in asked) and any("/public/tiles/" in u for u in asked)
    leaks, statuses = [], {}
    for url in asked:
        answer = client.get(url)
        statuses[url] = answer.status_code
        assert answer.status_code < 500, url
        found = leaked(text_of(answer))
        if found:
            leaks.append(f"{url} ({answer.status_code}): {found}")
    assert not leaks, "\n".join(leaks)
    assert statuses["/invest/parcels/standard_land/P1-003.pdf"] == 200
    assert statuses["/invest/parks/P1"] == 200
    assert statuses["/invest/factories"] == statuses["/invest/factories?park=P1"] == 200
    assert statuses[COMPARE] == 200 and statuses[COMPARE.replace("compare?", "compare.pdf?")] == 200
    files = {u for u in asked if u.startswith("/invest/files/")}
    answered = {u.split("/")[3] + "/" + u.split("/")[4] for u in files if statuses[u] == 200}
    store = app.extensions["geoapp"].store
    sites = {f"{lyr}/{key}" for lyr in ("parcels", "standard_land")
             for key in store.read(lyr)["parcel_id"]}  # fmt: skip
    assert answered == sites  # every site's photo, thumbnail and PDF was read
    assert sum(statuses[u] == 200 for u in files) == 3 * len(sites)


def test_the_pages_show_what_stayed_public(app):
    """The copy made the phone and the reserve price internal: the contact's name and the
    land use still show, so the check above is not passing on empty pages."""
    page = app.test_client().get("/invest/parcels/parcels/P1-002").get_data(as_text=True)
    assert "工业用地" in page and "管委会" in page and "出让底价" not in page
    assert "供水能力" in page and "可供电力容量" not in page
    factories = app.test_client().get("/invest/factories?park=P1").get_data(as_text=True)
    assert "建筑面积" in factories and "租金" in factories and "售价" not in factories
    compared = table_of(app.test_client().get(COMPARE).get_data(as_text=True))["rows"]
    assert compared["land_use"]["texts"] == ["工业用地", "—", "工业用地", "工业用地"]
    assert compared["invest_intensity"]["texts"][1] == "200 万元/亩"
    assert "tax_per_mu" not in compared  # internal wherever it is declared
    # The reserve price: internal for parcels, still public for standard land.
    assert compared["price_wan_per_mu"]["texts"] == ["—", "20 万元/亩", "—", "—"]
    official = signed_in(app).get("/api/layers/parcels/features").get_data(as_text=True)
    assert leaked(official) == ["97531"]  # the markers are there: officials see them


def test_an_enquiry_answer_echoes_the_visitor_only(app):
    client = app.test_client()
    token = csrf_of(client.get("/invest/parks/P1").get_data(as_text=True))
    answer = client.post("/invest/parks/P1", data={"csrf_token": token, "name": "王五"})
    assert answer.status_code == 400 and not leaked(answer.get_data(as_text=True))

"""Who sees what: every route of the app × every role, with markers planted in the data.

Routes come from the app's URL map, so a route added later is in the matrix without anyone
remembering to add it. Markers: every text field of a project (an internal layer) holds
``SECRETA…`` in county 610327 (陇县) and ``SECRETB…`` in county 620723 (临泽); every text
field of the other layers' rows in 620723 holds ``LEAKB…``; 临泽's project has a site photo
whose PNG text says ``SECRETB…``. An anonymous visitor or investor may never see ``SECRET``;
an official of 陇县 (or of its city, 6103) never ``SECRETB`` nor ``LEAKB`` on an officials'
route. Binary answers are decoded first (XLSX cells, vector-tile properties, the point count
of ``points.bin``, a PDF's text by ``pdftotext``, images as their bytes: the wall map's PNG
is the same drawing as its PDF, whose text is read).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
from datetime import date

import mapbox_vector_tile
import openpyxl
import pytest
from werkzeug.routing import Rule

from geoapp import create_app
from geoapp.config import PROJECT_ROOT
from geoapp.errors import ConfigError
from geoapp.layers import load_layers
from geoapp.photos import checked, photo_changes
from geoapp.stores import ChangeSet, GeoPackageStore
from geoapp.views.tiles import MVT_TYPE
from tests.accounts import (
    PASSWORD,
    bearer,
    client_at,
    csrf_of,
    provision,
    signed_in_by_form,
    token_of,
)
from tests.fixtures import (
    LINZE,
    LONG,
    SCHEMAS,
    SqlReads,
    open_store,
    serve,
    settings_for,
    tiny_frames,
)
from tests.pdf import pdf_text
from tests.test_ogc import gdal_env, ogrinfo
from tests.test_photos import png
from tests.test_tiles import tile_of

LAYERS = {layer.table: layer for layer in load_layers(PROJECT_ROOT / "layers")}
# name → (role, jurisdiction); None: not signed in
ROLES = {
    "anonymous": None,
    "investor": ("investor", ""),
    "official_long": ("official", LONG),
    "official_linze": ("official", LINZE),
    "city_baoji": ("official", "6103"),  # 宝鸡市: 陇县 is one of its counties
    "editor_long": ("editor", LONG),
    "admin": ("admin", ""),
}
RANK = ("anonymous", "investor", "official", "editor", "admin")
OPEN_PATHS = ("/static/", "/login", "/logout", "/public/", "/basemap/", "/invest")
PUBLIC_PAGES = ("/public/", "/invest")  # every county's public rows, for everyone
LONG_PROJECTS = 4  # projects of 陇县 in tests/fixtures.py
PHOTO = png(text="SECRETBphoto")  # 临泽's project's site photo of PHOTO_MONTH
PHOTO_MONTH = "2026-11"


def marked_frames() -> dict:
    """The tiny fixture with markers in every free-text field (not keys, not area codes)."""
    frames = tiny_frames()
    for table, frame in frames.items():
        layer = LAYERS[table]
        county = layer.area.get("county")
        keep = {layer.id_field, *layer.area.values()}
        texts = [n for n, f in layer.fields.items() if f.type == "text" and n not in keep]
        in_b = frame[county].astype(str) == LINZE
        for name in texts:
            if name not in frame:
                continue
            frame[name] = frame[name].astype(object)
            if table == "projects":
                frame.loc[~in_b, name] = f"SECRETA{name}"
                frame.loc[in_b, name] = f"SECRETB{name}"
            else:
                frame.loc[in_b, name] = f"LEAKB{name}"
    return frames


@pytest.fixture(scope="module", params=["geopackage", "postgis-sql"])
def world(request, tmp_path_factory):
    """The marked store (a GeoPackage, then PostGIS answering in SQL), its app, and one
    client per role (by API token)."""
    if request.param == "geopackage":
        path = tmp_path_factory.mktemp("access") / "marked.gpkg"
        GeoPackageStore.create(path, marked_frames())
    else:
        from geoapp.stores.postgis import PostGISStore

        path = SqlReads(request.getfixturevalue("postgis_cluster").database())
        PostGISStore.create(path, marked_frames(), SCHEMAS)
    app = create_app(settings_for(path) | {"GEOAPP_LOGIN_LIMIT": "5 per minute"})
    store = app.extensions["geoapp"].store
    clients = {}
    for name, grant in ROLES.items():
        client = app.test_client()
        if grant is not None:
            provision(store, name, *grant)
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_of(name)}"
        clients[name] = client
    b_rows = store.read("projects").query("county_code == @LINZE")
    month = date.fromisoformat(PHOTO_MONTH + "-01")
    photo = checked("site.png", PHOTO, len(PHOTO))
    store.apply(ChangeSet("tests", photo_changes(store, b_rows.iloc[0]["project_id"], month,
                                                 [photo], "tests")))  # fmt: skip
    return app, clients, path, int(b_rows.index[0])


def urls(app, b_project: int) -> list[tuple[str, str]]:
    """(method, URL) for every rule of the URL map, with sample values for its arguments."""
    z, x, y = tile_of(106.815, 34.855, 12)
    samples = {
        "layer_id": "projects",
        "collection_id": "projects",
        "fid": str(b_project),
        "feature_id": str(b_project),
        "z": str(z),
        "x": str(x),
        "y": str(y),
        "fmt": "xlsx",
        "ext": "png",
        "token": "0" * 32,
        "filename": "app.css",
        "username": "nobody",  # no such account: an admin's POST changes nothing
        "month": PHOTO_MONTH,
        "digest": hashlib.sha256(PHOTO).hexdigest(),
        "park_id": "P2",
        "parcel_id": "P2-001",
        "lead_id": "0" * 20,  # no such lead: an editor's POST changes nothing
    }
    found = []
    for rule in app.url_map.iter_rules():
        assert set(rule.arguments) <= set(samples), f"no sample value for {rule.rule}"
        path = _build(rule, samples)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    extra = ["/tiles/parcels/{}/{}/{}.pbf", "/export/projects.csv", "/export/parcels.geojson"]
    found += [("GET", u.format(z, x, y)) for u in extra]
    found += [("GET", "/api/layers/parcels/features"), ("GET", "/ogc/collections/parcels/items")]
    found += [("GET", "/api/rankings?by=county"), ("GET", "/api/search?q=SECRE")]
    found += [("GET", "/api/search?q=LEAK"), ("GET", "/?county=" + LINZE)]
    found += [("GET", "/dashboard?by=unit&as_of=2026-12-31"), ("GET", "/api/dashboard?by=leader")]
    sites = ["parcels/P2-001", "standard_land/P1-003", "standard_land/P1-003.pdf"]
    found += [("GET", f"/invest/parcels/{site}") for site in sites]
    compared = "?site=parcels:P2-001&site=standard_land:P1-003"
    found += [("GET", f"/invest/compare{compared}"), ("GET", f"/invest/compare.pdf{compared}")]
    found += [("GET", "/print/wallmap.pdf?lists=1&county=" + LINZE)]
    return found


def _build(rule: Rule, samples: dict[str, str]) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[a-z]+:)?" + name + ">", samples[name], path)
    return path


def required(path: str) -> str:
    """What the issue asks: public pages for anyone, imports and edits for editors, accounts
    and retired records for admins, the rest (history included) for officials."""
    if path.startswith(OPEN_PATHS):
        return "anonymous"
    if path.startswith("/admin/"):
        return "admin"
    return "editor" if path.startswith(("/import", "/edit/")) else "official"


def text_of(response) -> str:
    """Everything a user could read in an answer, binary formats decoded."""
    data = response.get_data()
    kind = response.mimetype or ""
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        cells = [c for ws in book for row in ws.iter_rows(values_only=True) for c in row]
        return " ".join(str(c) for c in cells if c is not None)
    if kind == MVT_TYPE:
        return json.dumps(mapbox_vector_tile.decode(data), ensure_ascii=False) if data else ""
    if kind == "application/pdf":
        return pdf_text(data)
    if kind == "application/octet-stream":
        return ""
    if kind.startswith("image/"):
        return data.decode("latin-1")  # text chunks (a PNG's comment) as they are
    if kind == "application/pdf":
        return pdf_text(data)
    return response.get_data(as_text=True)


def test_every_route_answers_each_role_as_its_role_allows(world):
    app, clients, _path, b_project = world
    wrong = []
    for method, url in urls(app, b_project):
        needed = RANK.index(required(url))
        for name, client in clients.items():
            role = ROLES[name][0] if ROLES[name] else "anonymous"
            response = client.open(url, method=method)
            status = response.status_code
            to_login = status == 302 and "/login?next" in response.location
            if RANK.index(role) >= needed:  # a POST may be refused for its CSRF token only
                ok = not to_login and (
                    status not in (401, 403) or (method == "POST" and status == 403)
                )
            elif role == "anonymous":
                ok = status == 401 or to_login
            else:
                ok = status == 403
            if not ok:
                wrong.append(f"{name} {method} {url}: {status}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "name, forbidden",
    [
        ("anonymous", "SECRET"),
        ("investor", "SECRET"),
        ("official_long", "SECRETB"),
        ("official_long", "LEAKB"),
        ("city_baoji", "SECRETB"),
        ("city_baoji", "LEAKB"),
        ("official_linze", "SECRETA"),
        ("editor_long", "SECRETB"),
    ],
)
def test_no_answer_carries_data_outside_the_roles_scope(world, name, forbidden):
    app, clients, _path, b_project = world
    leaks = []
    for method, url in urls(app, b_project):
        if method != "GET" or (forbidden.startswith("LEAK") and url.startswith(PUBLIC_PAGES)):
            continue  # the public pages show every county's public rows, to everyone
        response = clients[name].get(url)
        if forbidden in text_of(response):
            leaks.append(f"{url} ({response.status_code})")
    assert not leaks, f"{name} sees {forbidden} in:\n" + "\n".join(leaks)


def test_an_official_sees_the_jurisdiction_in_full(world):
    """Scoped, not emptied: the official of 陇县 gets its 4 projects everywhere."""
    _app, clients, _path, b_project = world
    client = clients["official_long"]
    page = client.get("/api/layers/projects/features").get_json()
    assert page["numberMatched"] == LONG_PROJECTS
    ids = {f["id"] for f in page["features"]}
    assert b_project not in ids and len(ids) == LONG_PROJECTS
    points = client.get("/api/layers/projects/points.bin").get_data()
    assert struct.unpack("<I", points[:4])[0] == LONG_PROJECTS
    ogc = client.get("/ogc/collections/projects/items").get_json()
    assert ogc["numberMatched"] == LONG_PROJECTS
    assert client.get(f"/api/layers/projects/features/{b_project}").status_code == 404
    assert client.get(f"/ogc/collections/projects/items/{b_project}").status_code == 404
    assert (
        client.get(f"/api/layers/projects/features?county={LINZE}").get_json()["numberMatched"] == 0
    )
    both = clients["admin"].get("/api/layers/projects/features").get_json()
    assert both["numberMatched"] == LONG_PROJECTS + 1
    printed = text_of(client.get("/print/wallmap.pdf?lists=1"))  # the leak check reads prints
    assert "SECRETAname" in printed and "SECRETB" not in printed


def test_every_answer_refuses_to_be_framed(world):
    app, clients, _path, b_project = world
    for method, url in urls(app, b_project):
        response = clients["admin"].open(url, method=method)
        assert response.headers.get("X-Frame-Options") == "DENY", url
        assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")


def test_every_write_without_a_csrf_token_is_refused_and_changes_nothing(world):
    app, _clients, path, b_project = world
    client = signed_in_by_form(app, "admin")
    store = open_store(path)
    before = store.version()
    posts = [url for method, url in urls(app, b_project) if method == "POST"]
    searches = [url for url in posts if url.endswith("/items")]  # OGC: a query in a body
    writes = [url for url in posts if url not in searches]
    assert {"/api/areas", "/import", "/logout", f"/edit/projects/{b_project}"} <= set(writes)
    for url in searches:
        assert client.post(url, data={"limit": "1"}).status_code in (200, 404), url  # not 403
    for url in writes:
        answer = client.post(url, data={"within": "POLYGON((0 0,1 0,1 1,0 0))"})
        assert answer.status_code == 403, url
        assert "security token" in answer.get_data(as_text=True) or "安全令牌" in answer.get_data(
            as_text=True
        )
    assert store.version() == before
    token = csrf_of(client.get("/").get_data(as_text=True))
    kept = client.post(
        "/api/areas",
        data={"within": "POLYGON((106.8 34.85,106.9 34.85,106.9 34.95,106.8 34.85))"},
        headers={"X-CSRFToken": token},
    )
    assert kept.status_code == 201


def test_signing_in_out_and_a_new_password_ending_old_sessions(world):
    from geoapp.auth.users import set_password

    app, _clients, path, _b = world
    client = signed_in_by_form(app, "editor_long")
    assert client.get("/import").status_code == 200
    set_password(open_store(path), "editor_long", "another-password-99", "tests")
    answer = client.get("/import")
    assert answer.status_code == 302 and "/login" in answer.location
    set_password(open_store(path), "editor_long", PASSWORD, "tests")
    client = signed_in_by_form(app, "editor_long")
    token = csrf_of(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_refused_and_sign_in_is_rate_limited(world):
    app, _clients, _path, _b = world
    client = client_at(app, "10.9.9.9")
    statuses = []
    for _ in range(7):
        token = csrf_of(client.get("/login").get_data(as_text=True))
        answer = client.post(
            "/login", data={"username": "admin", "password": "wrong-password!", "csrf_token": token}
        )
        statuses.append(answer.status_code)
    assert statuses[:5] == [401] * 5  # GEOAPP_LOGIN_LIMIT = 5 per minute in this app
    assert statuses[5:] == [429, 429]
    other = client_at(app, "10.9.9.10")
    token = csrf_of(other.get("/login").get_data(as_text=True))
    right = other.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 302


def test_basic_auth_with_a_token_reads_but_never_writes(world):
    app, _clients, _path, _b = world
    client = app.test_client()
    basic = {"Authorization": "Basic " + _b64(f"official_long:{token_of('official_long')}")}
    assert client.get("/ogc/collections/projects/items", headers=basic).status_code == 200
    stolen = {"Authorization": "Basic " + _b64(f"admin:{token_of('official_long')}")}
    assert client.get("/ogc/collections/projects/items", headers=stolen).status_code == 401
    write = client.post("/api/areas", headers=basic, data={"within": "POLYGON((0 0,1 0,1 1,0 0))"})
    assert write.status_code == 403
    assert client.get("/api/layers", headers=bearer("gat_not-a-token")).status_code == 401
    answer = client.get("/api/layers")
    assert answer.status_code == 401 and "Basic" in answer.headers["WWW-Authenticate"]


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("key", ["", "dev-only-change-me", "short"])
def test_the_app_refuses_to_start_with_a_known_or_missing_secret_key(gpkg, key):
    with pytest.raises(ConfigError, match="GEOAPP_SECRET_KEY"):
        create_app({"GEOAPP_DATA": str(gpkg), "GEOAPP_SECRET_KEY": key})


def test_gdal_reads_the_ogc_api_with_a_token_and_sees_only_its_jurisdiction(world):
    """What a county's GIS desk does: ogrinfo with a personal token (a header, or HTTP Basic
    as QGIS's authentication manager sends it)."""
    _app, _clients, path, _b = world
    with serve(settings_for(path)) as root:
        url = f"OAPIF:{root}/ogc"
        mine = ogrinfo("-so", url, "projects", env=gdal_env(token_of("official_long")))
        assert "Feature Count: 4" in mine
        basic = gdal_env() | {
            "GDAL_HTTP_HEADERS": "",
            "GDAL_HTTP_AUTH": "BASIC",
            "GDAL_HTTP_USERPWD": f"official_linze:{token_of('official_linze')}",
        }
        assert "Feature Count: 1" in ogrinfo("-so", url, "projects", env=basic)
        everything = ogrinfo("-so", url, "projects", env=gdal_env(token_of("admin")))
        assert "Feature Count: 5" in everything

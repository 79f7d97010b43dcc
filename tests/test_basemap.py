"""A basemap from a local MBTiles file (GEOAPP_BASEMAP=file), served by the app itself.

Each test builds its own small MBTiles: solid-colour PNG tiles (a different colour per tile,
so a wrong row shows as the wrong bytes) stored in TMS row order, as the spec and every tool
that writes MBTiles do. One test makes a file with GDAL the way the README tells a county to.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sqlite3
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from geoapp import create_app
from geoapp.basemaps import basemap_layers
from geoapp.config import Config
from geoapp.errors import ConfigError
from geoapp.stores import GeoPackageStore
from tests.accounts import signed_in
from tests.fixtures import tiny_frames

ZOOMS = (0, 1, 2)
ATTRIBUTION = '<a href="https://example.org/x">© 陇县自然资源局</a> & <b>测绘院</b>'


def color(z: int, x: int, y: int) -> tuple[int, int, int]:
    """The colour of XYZ tile z/x/y (y counted from the north, as Leaflet asks)."""
    return 40 + 100 * z, 30 + 60 * x, 30 + 60 * y


def png(rgb: tuple[int, int, int], size: int = 256) -> bytes:
    """A solid-colour RGB PNG, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = (b"\x00" + bytes(rgb) * size) * size  # filter byte 0, then the pixels
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def make_mbtiles(
    path: Path,
    metadata: dict[str, str] | None = None,
    tiles: dict[tuple[int, int, int], bytes] | None = None,
) -> Path:
    """An MBTiles file: ``tiles`` keyed by XYZ (stored with the TMS row), then ``metadata``."""
    if tiles is None:
        tiles = {
            (z, x, y): png(color(z, x, y))
            for z in ZOOMS
            for x in range(2**z)
            for y in range(2**z)
            if (z, x, y) != (2, 0, 0)  # one tile left out: the file does not hold it
        }
    if metadata is None:
        metadata = {
            "name": "陇县 <i>影像</i>",
            "format": "png",
            "minzoom": "0",
            "maxzoom": "2",
            "bounds": "-180,-85.05,180,85.05",
            "attribution": ATTRIBUTION,
        }
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
            "tile_data BLOB)"
        )
        db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, 2**z - 1 - y, data) for (z, x, y), data in tiles.items()],
        )
    db.close()
    return path


@pytest.fixture
def mbtiles(tmp_path: Path) -> Path:
    return make_mbtiles(tmp_path / "basemap.mbtiles")


@pytest.fixture(scope="module")
def basemap_settings(tmp_path_factory) -> dict[str, str]:
    """The tiny fixture with the basemap file, shared by the tests that only read."""
    folder = tmp_path_factory.mktemp("basemap")
    GeoPackageStore.create(folder / "tiny.gpkg", tiny_frames())
    return {"GEOAPP_DATA": str(folder / "tiny.gpkg")} | _file(
        make_mbtiles(folder / "basemap.mbtiles")
    )


@pytest.fixture(scope="module")
def basemap_app(basemap_settings):
    return create_app(basemap_settings)


@pytest.fixture
def basemap_client(basemap_app):
    return signed_in(basemap_app)


# ---------------------------------------------------------------- the tile route


@pytest.mark.parametrize(("z", "x", "y"), [(0, 0, 0), (1, 0, 0), (1, 0, 1), (1, 1, 0), (2, 3, 1)])
def test_a_tile_is_the_files_bytes_with_the_row_flipped(basemap_client, z, x, y):
    response = basemap_client.get(f"/basemap/{z}/{x}/{y}.png")
    assert response.status_code == 200
    assert response.data == png(color(z, x, y))  # y=0 is the north row, TMS row 2**z-1
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    again = basemap_client.get(
        f"/basemap/{z}/{x}/{y}.png", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""


def test_a_tile_the_file_does_not_hold_is_empty(basemap_client):
    for url in ("/basemap/2/0/0.png", "/basemap/3/0/0.png", "/basemap/22/5/7.png"):
        response = basemap_client.get(url)
        assert response.status_code == 204 and response.data == b""
        assert response.headers["Cache-Control"] == "public, max-age=86400"


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/basemap/23/0/0.png", "z"),
        ("/basemap/1/2/0.png", "x"),
        ("/basemap/1/0/2.png", "y"),
        ("/basemap/²/0/0.png", "z"),
        ("/basemap/1/٣/0.png", "x"),
        ("/basemap/1/0/-1.png", "y"),
        ("/basemap/1/0/1e3.png", "y"),
        ("/basemap/1/0/999999999999.png", "y"),
        ("/basemap/ 1/0/0.png", "z"),
    ],
)
def test_an_impossible_tile_is_a_400_naming_the_coordinate(basemap_client, url, param):
    response = basemap_client.get(url)
    assert response.status_code == 400 and response.is_json
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue" and body["parameter"] == param


def test_another_extension_or_no_basemap_file_is_a_json_404(basemap_client, gpkg):
    response = basemap_client.get("/basemap/1/0/0.jpg")
    assert response.status_code == 404 and response.get_json()["parameter"] == "ext"
    plain = signed_in(create_app({"GEOAPP_DATA": gpkg}))
    for url in ("/basemap/1/0/0.png", "/basemap/1/0"):
        response = plain.get(url)
        assert response.status_code == 404 and response.is_json


def test_jpeg_tiles_are_served_as_jpeg_and_a_format_is_found_when_not_declared(tmp_path, gpkg):
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
    tiles = {(0, 0, 0): jpeg, (1, 1, 1): png((1, 2, 3))}  # some tools mix formats
    path = make_mbtiles(tmp_path / "photo.mbtiles", {"name": "ortho"}, tiles)
    settings = {"GEOAPP_DATA": gpkg, "GEOAPP_BASEMAP": "file", "GEOAPP_BASEMAP_FILE": path}
    app = create_app(settings)
    client = signed_in(app)
    response = client.get("/basemap/0/0/0.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == jpeg
    assert client.get("/basemap/0/0/0.jpeg").status_code == 200
    assert client.get("/basemap/1/1/1.jpg").mimetype == "image/png"  # what the bytes are
    with app.test_request_context("/"):
        (layer,) = basemap_layers(app.extensions["geoapp"].config)
    assert layer.tiles.startswith("/basemap/{z}/{x}/{y}.jpg?v=")
    assert layer.options["max_native_zoom"] == 1  # from the tiles: the metadata names none
    assert "attribution" not in layer.options and "bounds" not in layer.options


def test_threads_each_read_the_file(basemap_app):
    from concurrent.futures import ThreadPoolExecutor

    def fetch(xy: tuple[int, int]) -> bool:
        x, y = xy
        with signed_in(basemap_app) as client:
            return client.get(f"/basemap/2/{x}/{y}.png").data == png(color(2, x, y))

    cells = [(x, y) for x in range(4) for y in range(4) if (x, y) != (0, 0)] * 4
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(fetch, cells))


# ---------------------------------------------------------------- the map page


def tile_urls(html: str) -> list[str]:
    return re.findall(r'L\.tileLayer\(\s*"([^"]*)"', html)


def test_the_map_draws_the_files_tiles_and_asks_nothing_of_the_internet(basemap_client):
    html = basemap_client.get("/").get_data(as_text=True)
    (url,) = tile_urls(html)
    assert url.startswith("/basemap/{z}/{x}/{y}.png?v=")
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []  # scripts and styles: ours
    options = re.search(r'L\.tileLayer\(\s*"[^"]*",\s*(\{.*?\})\s*\)', html, re.S).group(1)
    options = json.loads(re.sub(r",\s*([\]}])", r"\1", options))  # folium's trailing commas
    assert options["minZoom"] == 0 and options["maxNativeZoom"] == 2
    assert options["bounds"] == [[-85.05, -180], [85.05, 180]]
    assert options["attribution"] == "© 陇县自然资源局 &amp; 测绘院"  # the metadata's HTML is text


def test_the_attribution_and_name_are_plain_text(mbtiles):
    config = Config.load({"GEOAPP_BASEMAP": "file", "GEOAPP_BASEMAP_FILE": mbtiles})
    (layer,) = basemap_layers(config)
    assert layer.options["attribution"] == "© 陇县自然资源局 &amp; 测绘院"
    assert layer.layer_name == "陇县 影像"
    assert layer.options["max_zoom"] == 22 and layer.options["max_native_zoom"] == 2


def test_a_script_in_the_metadata_stays_text(tmp_path, gpkg):
    path = make_mbtiles(
        tmp_path / "x.mbtiles",
        {"format": "png", "name": "</script><script>alert(1)</script>", "attribution": "<img"},
        {(0, 0, 0): png((0, 0, 0))},
    )
    settings = {"GEOAPP_DATA": gpkg, "GEOAPP_BASEMAP": "file", "GEOAPP_BASEMAP_FILE": path}
    html = signed_in(create_app(settings)).get("/").get_data(as_text=True)
    assert "alert(1)" in html and "<script>alert" not in html and "<img" not in html


def test_custom_and_tianditu_templates_still_make_a_page(gpkg):
    custom = {"GEOAPP_BASEMAP": "custom", "GEOAPP_TILE_URL": "http://10.0.0.5/t/{z}/{x}/{y}.png"}
    tianditu = {"GEOAPP_BASEMAP": "tianditu", "GEOAPP_TIANDITU_KEY": "k123"}
    html = signed_in(create_app({"GEOAPP_DATA": gpkg, **custom})).get("/")
    assert html.status_code == 200
    assert tile_urls(html.get_data(as_text=True)) == ["http://10.0.0.5/t/{z}/{x}/{y}.png"]
    html = signed_in(create_app({"GEOAPP_DATA": gpkg, **tianditu})).get("/")
    assert html.status_code == 200
    assert [u.split(".")[1] for u in tile_urls(html.get_data(as_text=True))] == ["tianditu"] * 2


# The colour a loaded basemap tile image shows (its top-left pixel), or null if not loaded.
JS_TILE_COLOR = """(part) => {
    const img = Array.from(document.querySelectorAll('img.leaflet-tile-loaded'))
        .find((i) => i.src.includes(part));
    if (!img) return null;
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0, 1, 1);
    return Array.from(context.getImageData(0, 0, 1, 1).data.slice(0, 3)); }"""

JS_BASEMAP_DONE = """() => { const map = Object.values(window).find((v) => v instanceof L.Map);
    const layer = Object.values(map._layers).find((l) => l._url && l._url.includes('/basemap/'));
    return layer && !layer.isLoading(); }"""


@pytest.mark.browser
def test_the_browser_paints_the_files_tiles_from_the_app(basemap_settings):
    """Chromium asks the app, and only the app, for the tiles, and paints the file's pixels."""
    from playwright.sync_api import sync_playwright

    from tests.accounts import signed_context
    from tests.fixtures import serve
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, watch

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed: run `make browser`"
    with serve(basemap_settings) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = signed_context(browser, base, viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.set_default_timeout(10_000)
            tab = watch(page, base)
            page.goto(base + "/?view=2/35/105")  # zoom 2: the whole world in 16 tiles
            shown = page.wait_for_function(JS_TILE_COLOR, arg="/basemap/2/3/1.png")
            assert shown.json_value() == list(color(2, 3, 1))
            page.wait_for_function(JS_BASEMAP_DONE)  # every tile answered, 204s too
        finally:
            browser.close()
    assert tab.external == [] and tab.errors == []
    basemap = [(url, status) for url, status in tab.responses if "/basemap/" in url]
    assert basemap and all(status in (200, 204) for _url, status in basemap)
    assert tab.statuses("/basemap/2/0/0.png") == [204]  # the tile the file does not hold


# ---------------------------------------------------------------- start-up checks


def _sqlite(path: Path, *statements: str) -> Path:
    with sqlite3.connect(path) as db:
        for statement in statements:
            db.execute(statement)
    db.close()
    return path


BAD_FILES = {
    "missing": (lambda d: d / "nothing.mbtiles", "no such file"),
    "text": (lambda d: _text(d / "x.mbtiles"), "not a readable SQLite file"),
    "geopackage-like": (
        lambda d: _sqlite(d / "x.mbtiles", "CREATE TABLE gpkg_contents (x)"),
        "no tiles or metadata table",
    ),
    "no metadata": (
        lambda d: _sqlite(
            d / "x.mbtiles",
            "CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)",
        ),
        "no metadata table",
    ),
    "vector": (
        lambda d: make_mbtiles(d / "x.mbtiles", {"format": "pbf"}, {(0, 0, 0): b"\x1a\x00"}),
        "vector tiles",
    ),
    "tiff": (
        lambda d: make_mbtiles(d / "x.mbtiles", {"format": "tiff"}, {(0, 0, 0): b"II*\x00"}),
        "not a raster format",
    ),
    "unknown bytes": (
        lambda d: make_mbtiles(d / "x.mbtiles", {}, {(0, 0, 0): b"GIF89a"}),
        "names no format",
    ),
    "empty": (lambda d: make_mbtiles(d / "x.mbtiles", {"format": "png"}, {}), "holds no tiles"),
    "folder": (lambda d: d, "no such file"),
}


def _text(path: Path) -> Path:
    path.write_text("not a database, just text " * 100)
    return path


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_basemap_file_stops_start_up_naming_the_variable(tmp_path, case):
    make, reason = BAD_FILES[case]
    path = make(tmp_path)
    with pytest.raises(ConfigError, match=f"^GEOAPP_BASEMAP_FILE .*{reason}"):
        Config.load({"GEOAPP_BASEMAP": "file", "GEOAPP_BASEMAP_FILE": path})


def test_the_two_settings_go_together(mbtiles):
    with pytest.raises(ConfigError, match="GEOAPP_BASEMAP=file needs GEOAPP_BASEMAP_FILE"):
        Config.load({"GEOAPP_BASEMAP": "file"})
    with pytest.raises(ConfigError, match="GEOAPP_BASEMAP_FILE is set: it needs GEOAPP_BASEMAP"):
        Config.load({"GEOAPP_BASEMAP_FILE": mbtiles})


def test_the_file_is_only_read(mbtiles, gpkg):
    before = mbtiles.read_bytes()
    app = create_app({"GEOAPP_DATA": gpkg} | _file(mbtiles))
    assert signed_in(app).get("/basemap/1/1/1.png").status_code == 200
    assert mbtiles.read_bytes() == before
    assert sorted(p.name for p in mbtiles.parent.iterdir() if "basemap" in p.name) == [
        "basemap.mbtiles"  # no -journal or -wal beside it
    ]


# ---------------------------------------------------------------- the README's recipe


def test_gdal_makes_a_basemap_file_as_the_readme_says(tmp_path, gpkg):
    """gdal_translate -of MBTILES from a GeoTIFF in WGS84, then gdaladdo: a file we serve."""
    assert shutil.which("gdal_translate"), "gdal_translate is missing: make test installs gdal-bin"
    source = tmp_path / "ortho.png"
    source.write_bytes(png((200, 120, 40), size=512))
    ortho, basemap = tmp_path / "ortho.tif", tmp_path / "basemap.mbtiles"
    georef = ["-a_srs", "EPSG:4326", "-a_ullr", "106.7", "35.0", "107.0", "34.8"]
    subprocess.run(["gdal_translate", "-q", *georef, source, ortho], check=True)
    subprocess.run(["gdal_translate", "-q", "-of", "MBTILES", ortho, basemap], check=True)
    subprocess.run(["gdaladdo", "-q", "-r", "average", basemap, "2", "4", "8", "16"], check=True)

    config = Config.load({"GEOAPP_BASEMAP": "file", "GEOAPP_BASEMAP_FILE": basemap})
    (layer,) = basemap_layers(config)
    (south, west), (north, east) = layer.options["bounds"]
    assert [round(v, 2) for v in (west, south, east, north)] == [106.7, 34.8, 107.0, 35.0]
    app = create_app({"GEOAPP_DATA": gpkg} | _file(basemap))
    meta = app.extensions["geoapp_basemap"].metadata
    assert meta.format == "png" and meta.max_zoom == 11  # 512 px over 0.3°
    assert meta.min_zoom < meta.max_zoom  # gdaladdo's overviews (to one tile's size)
    client = signed_in(app)
    for z in range(meta.min_zoom, meta.max_zoom + 1):
        response = client.get("/basemap/{}/{}/{}.png".format(*tile_of(106.85, 34.9, z)))
        assert response.status_code == 200 and response.mimetype == "image/png", z


def _file(path: Path) -> dict[str, str]:
    return {"GEOAPP_BASEMAP": "file", "GEOAPP_BASEMAP_FILE": str(path)}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)

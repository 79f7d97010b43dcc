"""Site photos on the monthly progress form, on every backend: real images made with Pillow,
sent as a browser sends them (multipart), kept in the store in the month's change set, served
back byte for byte to those who may see the project; every kind of bad file refused beside
the photo field with its name, and then nothing written at all.

Project A1 (陇县, 610327) of tests/fixtures.py; B1 is 临泽's (620723). The app here takes at
most 3 photos of 100 KB each, so "too many" and "too big" stay small files.
"""

from __future__ import annotations

import io
import re
import struct
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from geoapp import create_app
from geoapp.cli import main
from geoapp.photos import PHOTOS_TABLE
from geoapp.stores import Change, ChangeRefused, ChangeSet, GeoPackageStore
from tests.accounts import signed_in
from tests.fixtures import LINZE, LONG, open_store, settings_for, tiny_frames
from tests.test_editing import fid_of

LIMITS = {"GEOAPP_PHOTO_MAX_BYTES": "100000", "GEOAPP_PHOTO_MAX_COUNT": "3"}
MONTH = "2026-11"


@pytest.fixture
def app(where):
    return create_app(settings_for(where) | LIMITS)


@pytest.fixture
def editor(app):
    return signed_in(app, "editor_long", "editor", LONG)


def jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A real photo-like JPEG, different for every seed."""
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    colour = (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)
    ImageDraw.Draw(image).rectangle((20, 20, size[0] // 2, size[1] // 2), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def png(size: tuple[int, int] = (300, 200), text: str = "") -> bytes:
    """A PNG with a transparent half (and a text chunk, when given)."""
    from PIL.PngImagePlugin import PngInfo

    image = Image.new("RGBA", size, (30, 120, 200, 255))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2, size[1]), fill=(0, 0, 0, 0))
    info = PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` × ``height`` zeros: a few KB that decode to a lot."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    rows = (b"\x00" * (1 + (width + 7) // 8)) * height
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        [chunk(b"IHDR", header), chunk(b"IDAT", zlib.compress(rows, 9)), chunk(b"IEND", b"")]
    )


def noisy_jpeg() -> bytes:
    """A JPEG over the test limit of 100 KB (noise does not compress)."""
    out = io.BytesIO()
    Image.effect_noise((800, 600), 80).convert("RGB").save(out, "JPEG", quality=95)
    assert len(out.getvalue()) > 100_000
    return out.getvalue()


def month_form(*files: tuple[bytes, str], **fields: str) -> dict:
    """The progress form as a browser posts it, photos as file parts."""
    form = {"month": MONTH, "completed": "0.06亿", "status": "在建", "remarks": "主体封顶"}
    return form | fields | {"photos": [(io.BytesIO(data), name) for data, name in files]}


def counts(store) -> tuple[int, int]:
    """Rows of the progress history and of the photos (a table not made yet holds none)."""
    tables = store.tables()
    return tuple(len(store.read(t)) if t in tables else 0 for t in ("progress", PHOTOS_TABLE))


def photo_urls(page: str) -> list[str]:
    return re.findall(r'<a href="(/photos/projects/[^"]+)">', page)


def test_a_month_with_two_photos_is_saved_and_served_back(app, editor, where):
    a1 = fid_of(where, "A1")
    site, plan = jpeg(1), png()
    done = editor.post(
        f"/edit/projects/{a1}/progress",
        data=month_form((site, "工地 东侧.jpg"), (plan, "总平图.png")),
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    store = open_store(where)
    assert counts(store) == (1, 2)
    rows = store.read(PHOTOS_TABLE).sort_values("name")
    assert rows["name"].tolist() == ["工地 东侧.jpg", "总平图.png"]
    assert rows["format"].tolist() == ["jpeg", "png"] and "image" not in rows.columns
    assert rows[["width", "height"]].values.tolist() == [[640, 480], [300, 200]]
    newest = store.history(limit=10)
    together = [e for e in newest if e.change_set == newest[0].change_set]
    tables = sorted(e.table for e in together)  # one change set: the month, both photos
    assert [t for t in tables if t != "projects"] == ["progress", PHOTOS_TABLE, PHOTOS_TABLE]
    noted = next(e for e in together if e.table == PHOTOS_TABLE).after["image"]
    assert re.fullmatch(r"\d+ bytes, sha256 [0-9a-f]{64}", noted)  # not the bytes themselves

    page = editor.get(done.location).get_data(as_text=True)
    urls = sorted(photo_urls(page))
    assert len(urls) == 2 and page.count('/thumb"') == 2 and "2026年11月现场照片 1" in page
    sent = {editor.get(u).get_data(): u for u in urls}
    assert set(sent) == {site, plan}  # byte for byte
    answer = editor.get(sent[site])
    assert answer.mimetype == "image/jpeg" and answer.headers["X-Content-Type-Options"] == "nosniff"
    assert editor.get(sent[plan]).mimetype == "image/png"
    cache = answer.headers["Cache-Control"]
    assert "private" in cache and "immutable" in cache and "max-age=31536000" in cache
    again = editor.get(sent[site], headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304
    thumb = editor.get(urls[0] + "/thumb")
    assert thumb.mimetype == "image/jpeg" and max(Image.open(io.BytesIO(thumb.data)).size) == 320

    official = signed_in(app, "official_long", "official", LONG)
    assert official.get(urls[0]).status_code == 200  # officials see their county's photos
    other = signed_in(app, "official_linze", "official", LINZE)
    for url in (urls[0], urls[0] + "/thumb"):
        assert other.get(url).status_code == 404  # another county's: as if missing
    anonymous = app.test_client().get(urls[0])
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert editor.get(urls[0].replace(MONTH, "2026-10")).status_code == 404

    resent = editor.post(f"/edit/projects/{a1}/progress", data=month_form((site, "again.jpg")))
    assert resent.status_code == 302 and counts(open_store(where)) == (1, 2)  # kept once


BAD = {  # the bad files (made when the test runs: some are large), what the refusal says
    "text renamed .jpg": (
        lambda: [(b"site visit notes\n" * 40, "notes.jpg")],
        "不是 JPEG、PNG 或 WebP 图片",
    ),
    "truncated JPEG": (lambda: [(jpeg(2)[:4000], "cut.jpg")], "已损坏或不完整"),
    "SVG": (
        lambda: [(b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9"/></svg>', "map.svg")],
        "不是 JPEG、PNG 或 WebP 图片",
    ),
    "too big": (lambda: [(noisy_jpeg(), "big.jpg")], "超过 0.0954 MB"),
    "too many": (
        lambda: [(jpeg(n), f"p{n}.jpg") for n in range(1, 5)],
        "每次最多 3 张照片，您选了 4 张",
    ),
    "bomb past our limit": (lambda: [(bomb_png(9000, 9000), "bomb.png")], "像素过多"),
    "bomb past Pillow's": (lambda: [(bomb_png(20000, 20000), "huge.png")], "像素过多"),
}


@pytest.mark.parametrize("made, said", BAD.values(), ids=BAD.keys())
def test_a_bad_photo_is_refused_beside_the_field_and_nothing_is_written(editor, where, made, said):
    files = made()
    store = open_store(where)
    a1 = fid_of(where, "A1")
    before = counts(store), store.version(), store.read("projects").loc[a1].astype(str).to_dict()
    good = [] if len(files) > 1 else [(jpeg(3), "good.jpg")]  # even a good photo stays out
    answer = editor.post(f"/edit/projects/{a1}/progress", data=month_form(*good, *files))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    error = re.search(r'<span class="field-error" id="e-photos">([^<]+)</span>', page)
    assert error and said in error.group(1)
    if len(files) == 1:
        assert f"“{files[0][1]}”" in error.group(1) and "good.jpg" not in error.group(1)
    assert 'aria-describedby="h-photos e-photos"' in page and "请重新选择照片" in page
    store = open_store(where)
    after = counts(store), store.version(), store.read("projects").loc[a1].astype(str).to_dict()
    assert after == before


def test_refusals_speak_english_and_name_every_bad_file(editor, where):
    a1 = fid_of(where, "A1")
    files = [(b"GIF89a\x01\x00\x01\x00", "anim.gif"), (jpeg(4)[:3000], "cut.jpg")]
    answer = editor.post(f"/edit/projects/{a1}/progress?lang=en", data=month_form(*files))
    error = re.search(r'id="e-photos">([^<]+)<', answer.get_data(as_text=True)).group(1)
    assert "“anim.gif” is not a JPEG, PNG or WebP image." in error
    assert "“cut.jpg” is damaged or incomplete." in error


def test_a_bad_figure_keeps_the_photos_out_and_shows_the_months_photos(editor, where):
    a1 = fid_of(where, "A1")
    url = f"/edit/projects/{a1}/progress"
    assert editor.post(url, data=month_form((jpeg(5), "first.jpg"))).status_code == 302
    answer = editor.post(url, data=month_form((jpeg(6), "second.jpg"), completed="很多"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and 'id="e-completed"' in page
    assert "2026年11月已存照片" in page and "first.jpg" in page and "second.jpg" not in page
    assert counts(open_store(where)) == (1, 1)


def test_a_month_or_photo_saved_by_another_a_moment_ago_is_refused_at_its_field(
    editor, where, monkeypatch
):
    """Between reading what is stored and writing, another save took the month or the photo:
    the store refuses the insert, the form says so beside the field, nothing is written."""
    url = f"/edit/projects/{fid_of(where, 'A1')}/progress"
    site = jpeg(9)
    assert editor.post(url, data=month_form((site, "site.jpg"))).status_code == 302
    before = counts(open_store(where)), open_store(where).version()
    monkeypatch.setattr("geoapp.photos.stored", lambda *args: [])  # did not see the photo
    answer = editor.post(url, data=month_form((site, "site.jpg"), completed="700"))
    assert answer.status_code == 400 and 'id="e-photos"' in answer.get_data(as_text=True)
    monkeypatch.setattr("geoapp.imports.changes._stored_progress", lambda *args: {})
    answer = editor.post(url, data=month_form(completed="700"))
    assert answer.status_code == 400 and 'id="e-month"' in answer.get_data(as_text=True)
    assert (counts(open_store(where)), open_store(where).version()) == before


def test_binary_fields_take_bytes_only_and_stay_out_of_frames(where):
    store = open_store(where)
    key = ("A1", "2026-11-01", "0" * 64)
    values = {"project_id": "A1", "month": "2026-11-01", "format": "png", "image": "not bytes"}
    with pytest.raises(ChangeRefused) as refused:
        store.apply(ChangeSet("tests", [Change("insert", PHOTOS_TABLE, key, values)]))
    assert refused.value.refusals[0].reason == "binary"
    store.apply(
        ChangeSet("tests", [Change("insert", PHOTOS_TABLE, key, values | {"image": b"\0"})])
    )
    assert store.blob(PHOTOS_TABLE, key, "image") == b"\0"
    assert store.blob(PHOTOS_TABLE, key, "thumbnail") is None
    assert store.blob(PHOTOS_TABLE, ("A1", "2026-10-01", "0" * 64), "image") is None
    assert "image" not in store.read(PHOTOS_TABLE).columns


def test_photos_go_to_postgis_and_back_with_db_copy(tmp_path, postgis_cluster):
    start = tmp_path / "start.gpkg"
    GeoPackageStore.create(start, tiny_frames())
    app = create_app(settings_for(start))
    editor = signed_in(app, "editor_long", "editor", LONG)
    site = jpeg(7)
    url = f"/edit/projects/{fid_of(start, 'A1')}/progress"
    assert editor.post(url, data=month_form((site, "site.jpg"))).status_code == 302
    database, back = postgis_cluster.database(), tmp_path / "back.gpkg"
    for source, target in ((str(start), database), (database, str(back))):
        copied = CliRunner().invoke(main, ["db", "copy", source, target])
        assert copied.exit_code == 0 and "DIFFERENT" not in copied.output, copied.output
    key = ("A1", "2026-11-01", open_store(start).read(PHOTOS_TABLE).iloc[0]["sha256"])
    for copy in (database, back):
        assert open_store(copy).blob(PHOTOS_TABLE, key, "image") == site


def save_months(where: str, worker: int, months: int, start_at: float) -> int:
    """One process's editor saves ``months`` months of A1, each with two photos of its own."""
    app = create_app(settings_for(where) | LIMITS)
    editor = signed_in(app, f"editor_{worker}", "editor", LONG)
    url = f"/edit/projects/{fid_of(where, 'A1')}/progress"
    time.sleep(max(0.0, start_at - time.time()))
    for n in range(months):
        photos = [(jpeg(worker * 4 + k, (320, 240)), f"w{worker}-{n}-{k}.jpg") for k in (1, 2)]
        form = month_form(*photos, month=f"{2020 + worker}-{n + 1:02d}")
        assert editor.post(url, data=form).status_code == 302
    return months


def test_two_processes_saving_months_with_photos_lose_nothing(where):
    months = 4
    start_at = time.time() + 3  # both have started (and imported geopandas) by then
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        done = pool.map(save_months, [str(where)] * 2, [1, 2], [months] * 2, [start_at] * 2)
        assert sum(done) == 2 * months
    store = open_store(where)
    assert counts(store) == (2 * months, 4 * months)
    rows = store.read(PHOTOS_TABLE)
    for row in rows.itertuples():
        key = (row.project_id, row.month.date().isoformat(), row.sha256)
        worker, _month, k = map(int, re.findall(r"\d+", row.name))
        assert store.blob(PHOTOS_TABLE, key, "image") == jpeg(worker * 4 + k, (320, 240))

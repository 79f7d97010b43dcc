"""A site's photos and documents, on GeoPackage and PostGIS: an editor of 陇县 attaches a photo
made with Pillow and a real PDF drawn with matplotlib to parcel P1-002 (and to standard land
P1-003); an anonymous visitor sees them on the parcel page with caption and size and downloads
them byte for byte, with the type, name, cache and sniffing headers a browser needs. Every
kind of bad file (not an image, HTML, SVG, a cut PDF, too big, a bomb, a 13th) and a bad
caption is refused beside its field, in the page's language, and nothing is written. Officials
get 403, an editor of 临泽 a 404, an anonymous visitor the sign-in page; a removal asks once
and the history keeps who attached and who removed.

tests/invest_fixture.py: P1-002 (available) and P1-003 (standard land) lie in P1 (陇县 610327),
P2-001 in P2 (临泽 620723). The app here takes photos and PDFs of at most 100 KB, so "too big"
stays a small file; the count per site is the default, 12.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import ExifTags, Image

from geoapp import create_app
from geoapp.invest.attachments import ATTACHMENTS_TABLE
from tests.accounts import signed_in
from tests.conftest import fill
from tests.fixtures import LINZE, LONG, XSS_NAME, open_store, settings_for
from tests.invest_fixture import invest_frames
from tests.pdf import pdf_text
from tests.test_photos import bomb_png, jpeg, noisy_jpeg, png

LIMITS = {"GEOAPP_PHOTO_MAX_BYTES": "100000", "GEOAPP_DOCUMENT_MAX_BYTES": "100000"}
PAGE = "/invest/parcels/parcels/P1-002"
YEAR = "max-age=31536000"


@pytest.fixture(params=["geopackage", "postgis"])
def where(request, tmp_path):
    return fill(request.param, invest_frames(), tmp_path, request)


@pytest.fixture
def app(where):
    return create_app(settings_for(where) | LIMITS)


@pytest.fixture
def editor(app):
    return signed_in(app, "editor_long", "editor", LONG)


def pdf(text: str = "Regional assessment 2026", noise: int = 0) -> bytes:
    """A real one-page PDF (matplotlib's PDF backend) saying ``text``; with ``noise``, an
    incompressible ``noise`` × ``noise`` picture on it to make it large."""
    figure = Figure(figsize=(4, 3))
    figure.text(0.1, 0.5, text)
    if noise:
        pixels = np.random.default_rng(1).integers(0, 255, (noise, noise, 3), dtype=np.uint8)
        figure.figimage(pixels)
    out = io.BytesIO()
    figure.savefig(out, format="pdf")
    return out.getvalue()


def fid(where, layer: str, key: str) -> int:
    frame = open_store(where).read(layer)
    return int(frame.index[frame["parcel_id"] == key][0])


def form_url(where, layer: str = "parcels", key: str = "P1-002") -> str:
    return f"/edit/{layer}/{fid(where, layer, key)}/attachments"


def sent(data: bytes, name: str, caption: str) -> dict:
    """The attachment form as a browser posts it (multipart)."""
    return {"caption": caption, "file": (io.BytesIO(data), name)}


def stored(where) -> list[dict]:
    """The attachment rows (a table not made yet holds none)."""
    store = open_store(where)
    if ATTACHMENTS_TABLE not in store.tables():
        return []
    frame = store.read(ATTACHMENTS_TABLE)
    return frame.drop(columns="geometry", errors="ignore").to_dict("records")


def state(where) -> tuple:
    store = open_store(where)
    return len(stored(where)), store.version()


def section(page: str) -> str:
    """The parcel page's photos-and-documents section ('' when it has none)."""
    found = re.search(r'<section aria-labelledby="attachments-title">(.*?)</section>', page, re.S)
    return found.group(1) if found else ""


def test_an_editor_attaches_a_photo_and_a_pdf_that_anyone_sees_and_downloads(app, editor, where):
    photo, document = jpeg(1), pdf()
    url = form_url(where)
    form = editor.get(url).get_data(as_text=True)
    assert "公开：投资者可在地块页查看" in form and 'name="file"' in form
    for data, name, caption in [(photo, "现状 航拍.jpg", "地块现状（东南角）"),
                                (document, "区域评估报告.pdf", "区域评估报告摘要")]:  # fmt: skip
        answer = editor.post(url, data=sent(data, name, caption))
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert answer.location.endswith("attached=1")
    rows = sorted(stored(where), key=lambda r: r["format"])
    assert [(r["format"], r["name"], r["caption"], r["author"]) for r in rows] == [
        ("jpeg", "现状 航拍.jpg", "地块现状（东南角）", "editor_long"),
        ("pdf", "区域评估报告.pdf", "区域评估报告摘要", "editor_long"),
    ]
    assert (rows[0]["width"], rows[0]["height"]) == (640, 480) and "data" not in rows[0]

    visitor = app.test_client()  # anonymous
    shown = section(visitor.get(PAGE).get_data(as_text=True))
    assert "照片和文件" in visitor.get(PAGE).get_data(as_text=True)
    assert "地块现状（东南角）" in shown and "区域评估报告摘要" in shown
    assert "区域评估报告.pdf · PDF · " in shown and "editor_long" not in shown
    links = re.findall(r'href="(/invest/files/parcels/P1-002/[0-9a-f]{64})"', shown)
    thumbs = re.findall(r'src="(/invest/files/parcels/P1-002/[0-9a-f]{64}/thumb)"', shown)
    assert len(links) == 2 and len(thumbs) == 1 and thumbs[0].startswith(links[0])
    assert 'alt="照片：地块现状（东南角）"' in shown

    got = {visitor.get(link).get_data(): visitor.get(link) for link in links}
    assert document in got  # byte for byte; the photo saved again, without its metadata
    (public_photo,) = set(got) - {document}
    assert looks_alike(public_photo, photo)
    photo, got[photo] = public_photo, got[public_photo]
    assert [int(r["byte_size"]) for r in rows] == [len(photo), len(document)]
    sizes = re.findall(r"(\d+) KB", shown)
    assert sorted(map(int, sizes)) == sorted(round(len(d) / 1024) for d in (photo, document))
    for answer in got.values():
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        cache = answer.headers["Cache-Control"]
        assert "public" in cache and "immutable" in cache and YEAR in cache
        assert "sandbox" in answer.headers["Content-Security-Policy"]
    assert got[photo].mimetype == "image/jpeg"
    assert got[photo].headers["Content-Disposition"].startswith("inline")
    assert got[document].mimetype == "application/pdf"
    disposition = got[document].headers["Content-Disposition"]
    assert disposition.startswith("attachment;")  # never shown in the browser's window
    assert f"filename*=UTF-8''{quote('区域评估报告.pdf')}" in disposition
    assert "Regional assessment 2026" in pdf_text(got[document].get_data())
    again = visitor.get(links[0], headers={"If-None-Match": visitor.get(links[0]).headers["ETag"]})
    assert again.status_code == 304
    thumb = visitor.get(thumbs[0])
    assert thumb.mimetype == "image/jpeg" and max(Image.open(io.BytesIO(thumb.data)).size) == 320

    pdf_link = next(link for link in links if visitor.get(link).mimetype == "application/pdf")
    for missing in (pdf_link + "/thumb", links[0].replace("P1-002", "P2-001"),
                    links[0][:-1] + ("0" if links[0][-1] != "0" else "1"), links[0][:-2],
                    links[0].replace("/parcels/", "/standard_land/", 1)):  # fmt: skip
        assert visitor.get(missing).status_code == 404, missing
    assert section(visitor.get("/invest/parcels/parcels/P2-001").get_data(as_text=True)) == ""
    sheet = pdf_text(visitor.get(PAGE + ".pdf").get_data())  # the one-page sheet names the PDF
    assert "地块页可下载的文件" in sheet and "· 区域评估报告摘要" in sheet
    assert "地块现状（东南角）" not in sheet  # photos are on the page only


def looks_alike(a: bytes, b: bytes) -> bool:
    """Two photos of the same size whose pixels differ by little (JPEG saved again)."""
    first, second = (np.asarray(Image.open(io.BytesIO(d)).convert("RGB"), float) for d in (a, b))
    return first.shape == second.shape and np.abs(first - second).mean() < 3


def test_a_public_photo_loses_where_when_and_whose_it_was(app, editor, where):
    """A phone's photo carries its GPS position, time, maker and owner (EXIF) and more (XMP),
    and is stored on its side with an orientation tag: the investors' page gets it upright,
    with none of that."""
    image = Image.open(io.BytesIO(jpeg(2)))
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Wang Wei 13800001111"
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 6  # turned a quarter: shown 480 wide, 640 high
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "N", 2: (34.0, 53.0, 17.0)})
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Wang Wei</x:xmpmeta>'
    image.save(out, "JPEG", exif=exif.tobytes(), xmp=xmp)
    sent_photo = out.getvalue()
    assert b"Wang Wei" in sent_photo and Image.open(out).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert (
        editor.post(form_url(where), data=sent(sent_photo, "现状.jpg", "现状")).status_code == 302
    )
    (row,) = stored(where)
    assert (row["width"], row["height"]) == (480, 640)
    link = f"/invest/files/parcels/P1-002/{row['sha256']}"
    public = app.test_client().get(link).get_data()
    shown = Image.open(io.BytesIO(public))
    assert shown.size == (480, 640) and len(shown.getexif()) == 0
    assert b"Wang Wei" not in public and b"PhoneMaker" not in public and b"xmpmeta" not in public
    assert int(row["byte_size"]) == len(public)


def test_standard_land_takes_attachments_of_its_own(app, editor, where):
    answer = editor.post(
        form_url(where, "standard_land", "P1-003"), data=sent(png(), "总平图.png", "总平面图")
    )
    assert answer.status_code == 302
    page = app.test_client().get("/invest/parcels/standard_land/P1-003").get_data(as_text=True)
    assert "总平面图" in section(page)
    link = re.search(r'href="(/invest/files/standard_land/P1-003/[0-9a-f]{64})"', page).group(1)
    answer = app.test_client().get(link)
    assert answer.mimetype == "image/png" and answer.get_data() == png()
    assert section(app.test_client().get(PAGE).get_data(as_text=True)) == ""  # the parcel's own


def test_a_pdf_named_like_a_page_is_kept_and_sent_as_a_pdf(app, editor, where):
    """A PDF named ``.html`` is still a PDF; it is saved as ``….html.pdf``, so the visitor's
    computer never opens it as a page."""
    answer = editor.post(form_url(where), data=sent(pdf(), "报告.html", "评估报告"))
    assert answer.status_code == 302
    assert [r["name"] for r in stored(where)] == ["报告.html.pdf"]
    page = app.test_client().get(PAGE).get_data(as_text=True)
    link = re.search(r'href="(/invest/files/parcels/P1-002/[0-9a-f]{64})"', page).group(1)
    download = app.test_client().get(link)
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].endswith(quote("报告.html.pdf"))


BAD = {  # (the bad file — made when the test runs: some are large — or None, the caption,
    # the field, what the refusal says)
    "text renamed .jpg": (
        lambda: (b"site visit notes\n" * 40, "notes.jpg"),
        "说明",
        "file",
        "“notes.jpg”既不是照片（JPEG、PNG、WebP），也不是 PDF 文件",
    ),
    "HTML": (
        lambda: (b"<!doctype html><script>alert(1)</script>", "page.html"),
        "说明",
        "file",
        "“page.html”既不是照片",
    ),
    "HTML named .pdf": (
        lambda: (b"<html><body>%PDF-1.4</body></html>", "report.pdf"),
        "说明",
        "file",
        "“report.pdf”既不是照片",
    ),
    "SVG": (
        lambda: (b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9"/></svg>', "map.svg"),
        "说明",
        "file",
        "“map.svg”既不是照片",
    ),
    "cut PDF": (lambda: (pdf()[:2500], "cut.pdf"), "说明", "file", "“cut.pdf”已损坏或不完整"),
    "photo too big": (lambda: (noisy_jpeg(), "big.jpg"), "说明", "file", "超过 0.0954 MB"),
    "PDF too big": (lambda: (pdf(noise=300), "big.pdf"), "说明", "file", "“big.pdf”超过 0.0954 MB"),
    "bomb": (lambda: (bomb_png(20000, 20000), "huge.png"), "说明", "file", "像素过多"),
    "no file": (lambda: (b"", ""), "说明", "file", "请选择要上传的照片或 PDF 文件"),
    "no caption": (lambda: (jpeg(2), "a.jpg"), "  ", "caption", "请填写说明"),
    "caption too long": (
        lambda: (jpeg(2), "a.jpg"),
        "长" * 101,
        "caption",
        "说明最多 100 个字，现有 101 个字",
    ),
}


@pytest.mark.parametrize("made, caption, field, said", BAD.values(), ids=BAD.keys())
def test_a_bad_file_or_caption_is_refused_beside_its_field_and_nothing_is_written(
    editor, where, made, caption, field, said
):
    data, name = made()
    before = state(where)
    answer = editor.post(form_url(where), data=sent(data, name, caption))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    error = re.search(rf'<span class="field-error" id="e-{field}">([^<]+)</span>', page)
    assert error and said in error.group(1)
    assert f'aria-describedby="h-{field}' in page and "未上传任何内容" in page
    assert state(where) == before


def test_refusals_speak_english(editor, where):
    answer = editor.post(form_url(where) + "?lang=en", data=sent(b"<svg/>", "x.svg", "Map"))
    error = re.search(r'id="e-file">([^<]+)<', answer.get_data(as_text=True)).group(1)
    assert error == "“x.svg” is neither a photo (JPEG, PNG, WebP) nor a PDF."


def test_a_site_takes_twelve_files_once_each_and_refuses_the_thirteenth(app, editor, where):
    url = form_url(where)
    for n in range(12):
        answer = editor.post(url, data=sent(jpeg(n, (64, 48)), f"p{n}.jpg", f"照片 {n}"))
        assert answer.status_code == 302, (n, answer.get_data(as_text=True))
    before = state(where)
    again = editor.post(url, data=sent(jpeg(3, (64, 48)), "again.jpg", "再传一次"))
    assert "已上传到本地块" in again.get_data(as_text=True) and again.status_code == 400
    answer = editor.post(url, data=sent(jpeg(12, (64, 48)), "p12.jpg", "第 13 个"))
    error = re.search(r'id="e-file">([^<]+)<', answer.get_data(as_text=True)).group(1)
    assert answer.status_code == 400 and "本地块已有 12 个附件，已达上限" in error
    assert state(where) == before
    page = app.test_client().get(PAGE).get_data(as_text=True)
    assert len(re.findall(r"/thumb\"", section(page))) == 12
    other = form_url(where, "standard_land", "P1-003")  # the limit is per site
    assert editor.post(other, data=sent(jpeg(12, (64, 48)), "p.jpg", "另一地块")).status_code == 302


def test_a_body_larger_than_any_file_is_refused_before_it_is_read(editor, where):
    before = state(where)
    answer = editor.post(form_url(where), data=sent(b"\0" * 1_200_000, "huge.pdf", "大文件"))
    assert answer.status_code == 413
    error = re.search(r'id="e-file">([^<]+)<', answer.get_data(as_text=True)).group(1)
    assert "文件超过 0.0954 MB，未上传任何内容" in error
    project = open_store(where).read("projects").index[0]
    huge = sent(b"\0" * 1_200_000, "huge.pdf", "大文件")
    assert editor.post(f"/edit/projects/{project}/attachments", data=huge).status_code == 404
    assert state(where) == before


def test_only_editors_of_the_sites_county_attach(app, where):
    url = form_url(where)
    officials = [signed_in(app, "official_linze", "official", LINZE),
                 signed_in(app, "official_long", "official", LONG)]  # fmt: skip
    other_county = signed_in(app, "editor_linze", "editor", LINZE)
    before = state(where)
    body = sent(jpeg(4), "a.jpg", "说明")
    for official in officials:
        assert official.get(url).status_code == 403
        assert official.post(url, data=sent(jpeg(4), "a.jpg", "说明")).status_code == 403
    assert other_county.get(url).status_code == 404  # as if the site did not exist
    assert other_county.post(url, data=body).status_code == 404
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert state(where) == before
    projects = open_store(where).read("projects").index[0]
    assert signed_in(app).get(f"/edit/projects/{projects}/attachments").status_code == 404


def test_the_edit_form_links_to_the_files_of_a_site_only(app, editor, where):
    assert "/attachments" in editor.get(f"/edit/parcels/{fid(where, 'parcels', 'P1-002')}").text
    page = editor.get(f"/edit/standard_land/{fid(where, 'standard_land', 'P1-003')}").text
    assert "照片和文件" in page
    project = open_store(where).read("projects").index[0]
    assert "/attachments" not in editor.get(f"/edit/projects/{project}").text


def test_captions_and_names_stay_text(app, editor, where):
    answer = editor.post(form_url(where), data=sent(jpeg(5), "<b>x</b>.jpg", XSS_NAME))
    assert answer.status_code == 302
    for page in (editor.get(form_url(where)).text, app.test_client().get(PAGE).text):
        assert XSS_NAME not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "<b>x</b>" not in page


def test_a_removal_asks_once_and_the_history_keeps_both(app, editor, where):
    url = form_url(where)
    assert editor.post(url, data=sent(pdf(), "规划条件.pdf", "规划条件通知书")).status_code == 302
    digest = stored(where)[0]["sha256"]
    removal = f"{url}/{digest}/remove"
    assert f'href="{removal}"' in editor.get(url).text
    asked = editor.get(removal).text
    assert "移除“规划条件通知书”？" in asked and "规划条件.pdf" in asked
    assert stored(where) != []  # asking removes nothing
    assert "/login" in app.test_client().post(removal).location  # not signed in: refused
    assert signed_in(app, "official_long", "official", LONG).post(removal).status_code == 403
    assert len(stored(where)) == 1
    done = editor.post(removal)
    assert done.status_code == 302 and done.location.endswith("removed=1")
    assert stored(where) == []
    assert section(app.test_client().get(PAGE).text) == ""
    assert app.test_client().get(f"/invest/files/parcels/P1-002/{digest}").status_code == 404
    assert editor.post(removal).status_code == 404  # gone: nothing more to remove

    entries = open_store(where).history(ATTACHMENTS_TABLE)
    assert [(e.op, e.author, e.key) for e in entries] == [
        ("delete", "editor_long", ("parcels", "P1-002", digest)),
        ("insert", "editor_long", ("parcels", "P1-002", digest)),
    ]
    assert entries[0].before["caption"] == "规划条件通知书"
    assert re.fullmatch(r"\d+ bytes, sha256 [0-9a-f]{64}", entries[1].after["data"])
    listed = editor.get(url).text
    history = re.search(r'id="attachment-history">(.*?)</table>', listed, re.S).group(1)
    assert history.count("editor_long") == 2
    removed = "移除“规划条件通知书”（规划条件.pdf）"
    attached = "上传“规划条件通知书”（规划条件.pdf）"
    assert history.index(removed) < history.index(attached)  # newest first

"""Uploads from hostile or careless clients: checked before they are kept, removed at once when
refused, expired when left, and prepared once however often their report is read.

Every fixture is a real file built here (openpyxl, xlwt, odfpy-readable ODS, pyogrio, zipfile),
the hostile ones as small as the tester's: an ODS of 852 bytes whose row repeats a million
times, a 5 KB ``.xls`` with a cell at IV65536, an XLSX with a cell in column XFD on every row,
a workbook that inflates to 210 MB. The costly ones run in a child process with a bound on
memory and a measure of CPU, so a regression fails instead of eating the machine.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import xlwt
from shapely.geometry import Point

from geoapp import create_app
from geoapp.imports.problems import FileRefused
from geoapp.imports.sheets import read_table
from tests.accounts import signed_in
from tests.fixtures import LONG

HEADERS = ["项目代码", "项目名称", "建设地点", "经度", "纬度"]
LIMIT = 50  # GEOAPP_IMPORT_MAX_ROWS of these tests


def csv_sheet(rows: int, bad: bool = False) -> bytes:
    """A project sheet of ``rows`` data rows (and a header row); ``bad``: every row an error
    (a date that is no date)."""
    header = ",".join([*HEADERS, "计划开工时间"]) + "\n"
    when = "不是日期" if bad else "2024-01-01"
    body = "".join(f"L{i},项目{i},陇县,106.85,34.9,{when}\n" for i in range(rows))
    return (header + body).encode()


def xlsx_sheet(path: Path, rows: int) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for i in range(rows):
        sheet.append([f"X{i}", f"项目{i}", "陇县", 106.85, 34.9])
    book.save(path)
    return path


def rewritten(path: Path, part: str, change) -> Path:
    """The workbook with one part of its ZIP changed by ``change(bytes) → bytes``."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info.filename) for info in source.infolist()}
    members[part] = change(members[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return path


ODS_CELL = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'


def ods_sheet(path: Path, body: str) -> Path:
    """An OpenDocument spreadsheet whose first table is ``body`` (rows of table XML)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="项目">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        target.writestr("META-INF/manifest.xml", manifest)
        target.writestr("content.xml", content)
    return path


def ods_rows(values: list[list[str]], repeat_last: int = 1) -> str:
    rows = ["".join(ODS_CELL.format(v) for v in row) for row in values]
    last = f'<table:table-row table:number-rows-repeated="{repeat_last}">{rows[-1]}'
    return "".join(f"<table:table-row>{r}</table:table-row>" for r in rows[:-1]) + (
        last + "</table:table-row>"
    )


def xls_sheet(path: Path, rows: int, corner: bool = False) -> Path:
    book = xlwt.Workbook()
    sheet = book.add_sheet("项目")
    for column, header in enumerate(HEADERS):
        sheet.write(0, column, header)
    for i in range(rows):
        for column, value in enumerate([f"X{i}", f"项目{i}", "陇县", 106.85, 34.9]):
            sheet.write(i + 1, column, value)
    if corner:
        sheet.write(65535, 255, "x")  # one cell at IV65536: a rectangle of 16.7 M cells
    book.save(str(path))
    return path


def features(path: Path, count: int, driver: str) -> Path:
    points = [Point(106.83 + i * 1e-4, 34.87) for i in range(count)]
    frame = gpd.GeoDataFrame({"name": [f"P{i}" for i in range(count)]}, geometry=points, crs=4326)
    frame.to_file(path, driver=driver)
    return path


def zipped(path: Path, files: list[Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for file in files:
            target.write(file, file.name)
    return path


def shapefile_zip(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / f"shp{count}"
    folder.mkdir()
    shp = features(folder / "地块.shp", count, "ESRI Shapefile")
    return zipped(tmp_path / f"地块{count}.zip", sorted(shp.parent.glob("地块.*")))


def kml(count: int) -> bytes:
    marks = "".join(
        f"<Placemark><name>P{i}</name><Point><coordinates>106.83,34.87</coordinates></Point>"
        "</Placemark>"
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{marks}</Document></kml>"
    ).encode()


@pytest.fixture
def settings(gpkg, tmp_path) -> dict[str, str]:
    return {
        "GEOAPP_DATA": str(gpkg),
        "GEOAPP_UPLOADS": str(tmp_path / "uploads"),
        "GEOAPP_IMPORT_MAX_ROWS": str(LIMIT),
    }


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    return signed_in(app)


@pytest.fixture
def folder(settings) -> Path:
    return Path(settings["GEOAPP_UPLOADS"])


@pytest.fixture
def roomy(settings):
    """A client whose uploads may have the default 200,000 rows (same uploads folder)."""
    return create_app({k: v for k, v in settings.items() if k != "GEOAPP_IMPORT_MAX_ROWS"})


def kept(folder: Path) -> list[str]:
    """Everything in the uploads folder (it may not exist yet)."""
    return sorted(os.listdir(folder)) if folder.exists() else []


def post(client, name: str, data: bytes | Path, kind: str = "projects", **form):
    body = data.read_bytes() if isinstance(data, Path) else data
    return client.post(
        "/import",
        data={"kind": kind, "file": (io.BytesIO(body), name), **form},
        content_type="multipart/form-data",
    )


def token_of(response) -> str:
    return re.search(r"/import/([0-9a-f]{24})/apply", response.get_data(as_text=True)).group(1)


def refusal(response) -> str:
    found = re.search(r'notice-error" role="alert">([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else response.get_data(as_text=True)[:500]


# --- limits checked before the file is kept ------------------------------------------------------


def refused_uploads(tmp_path: Path) -> list[tuple[str, str, bytes | Path, str]]:
    """(kind, name, content, what the refusal says) of files each breaking one limit."""
    over = LIMIT + 1
    wide = tmp_path / "宽表.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    book.active.cell(row=2, column=16384, value=1)  # column XFD
    book.save(wide)
    lying = rewritten(
        xlsx_sheet(tmp_path / "维度.xlsx", over),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:E2"', xml),
    )
    return [
        ("projects", "多行.csv", csv_sheet(over), f"超过 {LIMIT} 行"),
        ("projects", "多行.xlsx", xlsx_sheet(tmp_path / "多行.xlsx", over), f"超过 {LIMIT} 行"),
        ("projects", "维度.xlsx", lying, f"超过 {LIMIT} 行"),  # <dimension> says 2 rows
        (
            "projects",
            "重复行.ods",
            ods_sheet(tmp_path / "重复行.ods", ods_rows([HEADERS, ["x"] * 5], 60)),
            f"超过 {LIMIT} 行",
        ),
        ("projects", "多行.xls", xls_sheet(tmp_path / "多行.xls", over), f"超过 {LIMIT} 行"),
        ("projects", "角落.xls", xls_sheet(tmp_path / "角落.xls", 3, corner=True), "16,777,216"),
        ("projects", "宽表.xlsx", wide, "ZZ 列之后"),
        ("projects", "表格.xlsx", csv_sheet(3), "不是工作簿"),
        ("projects", "网页.xls", b"<html><table><tr><td>x</td></tr></table>", "另存为 .xlsx"),
        ("projects", "表格.csv", xlsx_sheet(tmp_path / "真表.xlsx", 3), "不是 .csv 文件"),
        ("projects", "空.csv", b"", "是空文件"),
        ("parcels", "地块.txt", b"\x7fELF\x02\x01\x01" + bytes(200), "二进制数据"),
        ("parcels", "地块.gpkg", kml(2), "不是 .gpkg 文件"),
        ("parcels", "地块.zip", shapefile_zip(tmp_path, over), f"超过 {LIMIT} 个要素"),
        ("parcels", "地块.kml", kml(over), f"超过 {LIMIT} 个要素"),
        ("parcels", "地块.kmz", zipped(tmp_path / "地块.kmz", [_kml(tmp_path, over)]), "要素"),
        ("parcels", "地块.gpkg", features(tmp_path / "g.gpkg", over, "GPKG"), "个要素"),
        ("parcels", "坏.zip", b"PK\x03\x04" + bytes(100), "已损坏"),
    ]


def _kml(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "doc.kml"
    path.write_bytes(kml(count))
    return path


def test_each_limit_refuses_naming_the_file_and_leaves_nothing(client, folder, tmp_path):
    for kind, name, content, says in refused_uploads(tmp_path):
        response = post(client, name, content, kind, county=LONG)
        assert response.status_code == 400, (name, response.get_data(as_text=True)[:300])
        message = refusal(response)
        assert name in message and says in message, (name, message)
        assert kept(folder) == [], name  # nothing of the refused file stays
    for page in ("/", "/import", "/import?lang=en", "/ogc", "/api/layers"):
        assert client.get(page).status_code == 200, page


def test_files_at_the_limits_are_kept(client, folder, tmp_path):
    at = LIMIT - 1  # data rows: with the header, the limit exactly
    for kind, name, content in [
        ("projects", "整.csv", csv_sheet(at)),
        ("projects", "整.xlsx", xlsx_sheet(tmp_path / "整.xlsx", at)),
        ("projects", "整.xls", xls_sheet(tmp_path / "整.xls", at)),
        ("projects", "整.ods", ods_sheet(tmp_path / "整.ods", ods_rows([HEADERS, ["x"] * 5], at))),
        ("parcels", "整.zip", shapefile_zip(tmp_path, LIMIT)),
        ("parcels", "整.kml", kml(LIMIT)),
        ("parcels", "整.gpkg", features(tmp_path / "整.gpkg", LIMIT, "GPKG")),
    ]:
        response = post(client, name, content, kind, county=LONG)
        assert response.status_code == 200, (name, refusal(response))
    assert len(kept(folder)) == 7


def test_refusals_speak_the_users_language(client, folder):
    response = client.post(
        "/import?lang=en",
        data={"kind": "projects", "file": (io.BytesIO(csv_sheet(LIMIT + 5)), "many.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert refusal(response) == (
        f"“many.csv” has more than {LIMIT} rows: split it into files of at most {LIMIT} rows."
    )
    assert kept(folder) == []


def test_the_row_limit_is_a_setting(gpkg, tmp_path):
    settings = {"GEOAPP_DATA": str(gpkg), "GEOAPP_UPLOADS": str(tmp_path / "u")}
    client = signed_in(create_app(settings | {"GEOAPP_IMPORT_MAX_ROWS": "10"}))
    assert post(client, "a.csv", csv_sheet(10)).status_code == 400
    client = signed_in(create_app(settings))  # default: 200,000
    assert post(client, "a.csv", csv_sheet(10)).status_code == 200


def test_a_file_over_the_size_limit_says_the_limit(gpkg, tmp_path):
    folder = tmp_path / "u"
    client = signed_in(
        create_app(
            {"GEOAPP_DATA": str(gpkg), "GEOAPP_UPLOADS": str(folder), "GEOAPP_MAX_UPLOAD_MB": "1"}
        )
    )
    response = post(client, "big.csv", b"0" * (1024 * 1024 + 10))
    assert response.status_code == 413 and "最大 1 MB" in response.get_data(as_text=True)
    assert kept(folder) == []


def test_form_fields_are_checked_before_the_file_is_kept(client, folder):
    response = post(client, "a.csv", csv_sheet(2), county="999999")
    assert response.status_code == 400 and kept(folder) == []


def test_a_file_the_reader_refuses_is_removed_at_once(client, folder, tmp_path):
    no_header = b"a,b,c\n1,2,3\n"
    assert post(client, "无表头.csv", no_header).status_code == 400
    broken = xlsx_sheet(tmp_path / "坏.xlsx", 2)
    rewritten(broken, "xl/workbook.xml", lambda xml: xml[: len(xml) // 2])
    assert post(client, "坏.xlsx", broken).status_code == 400
    assert kept(folder) == []


def test_the_rows_counted_are_those_of_the_sheet_that_is_read(client, tmp_path):
    """The first worksheet in the workbook's order is read and counted, not the largest."""
    for order, status in (("small first", 200), ("large first", 400)):
        book = openpyxl.Workbook()
        sheets = [book.active, book.create_sheet("说明")]
        if order == "large first":
            sheets.reverse()
        small, large = sheets
        for sheet, rows in ((small, 3), (large, LIMIT + 10)):
            sheet.append(HEADERS)
            for i in range(rows):
                sheet.append([f"X{i}", f"项目{i}", "陇县", 106.85, 34.9])
        path = tmp_path / f"{order}.xlsx"
        book.save(path)
        assert post(client, "两表.xlsx", path).status_code == status, order


def test_the_reader_refuses_a_cell_beyond_zz_itself(tmp_path):
    """``geoapp import`` does not pass the upload checks: the reader stops at column ZZ."""
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    book.active.cell(row=2, column=703, value=1)  # AAA2
    book.save(tmp_path / "宽.xlsx")
    with pytest.raises(FileRefused, match="ZZ"):
        read_table(tmp_path / "宽.xlsx")


def test_merged_cells_down_to_the_last_row_are_formatting_not_a_million_rows(tmp_path):
    path = rewritten(
        xlsx_sheet(tmp_path / "合并.xlsx", 1),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>",
            b'</sheetData><mergeCells count="2"><mergeCell ref="B2:B1048576"/>'
            b'<mergeCell ref="XFD2:XFD1048576"/></mergeCells>',
        ),
    )
    started = time.process_time()
    table = read_table(path)
    assert len(table.rows) == 1 and time.process_time() - started < 1.0


CHILD = """
import json, os, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
from geoapp import create_app
from tests.accounts import signed_in
settings, path = json.loads(sys.argv[1]), sys.argv[2]
client = signed_in(create_app(settings))
started = time.process_time()
with open(path, "rb") as fh:
    response = client.post(
        "/import",
        data={"kind": "projects", "file": (fh, os.path.basename(path))},
        content_type="multipart/form-data",
    )
page = response.get_data(as_text=True)
print(json.dumps({"status": response.status_code, "cpu": time.process_time() - started,
                  "page": page, "kept": os.listdir(settings["GEOAPP_UPLOADS"])}))
"""


def _wide(tmp_path: Path) -> Path:
    path = tmp_path / "宽.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    for row in range(2, 20_002):
        book.active.cell(row=row, column=16384, value=1)  # column XFD on every row
    book.save(path)
    return path


def _inflating(tmp_path: Path) -> Path:
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    return rewritten(
        xlsx_sheet(tmp_path / "炸弹.xlsx", 1),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", row * (210 * 2**20 // len(row)) + b"</sheetData>"),
    )


def _newlines(tmp_path: Path) -> Path:
    path = tmp_path / "空行.csv"
    path.write_bytes(",".join(HEADERS).encode() + b"\n" * (19 * 2**20))
    return path


BOMBS = {  # small files that took gigabytes before, and what their refusal says
    "ods": (
        lambda tmp: ods_sheet(tmp / "重复.ods", ods_rows([HEADERS, ["x"] * 5], 10**6)),
        "5,000,005 个单元格",
    ),
    "xls": (lambda tmp: xls_sheet(tmp / "角落.xls", 3, corner=True), "16,777,216"),
    "wide": (_wide, "ZZ 列之后"),
    "zip": (_inflating, "疑似 ZIP 炸弹"),
    "csv": (_newlines, "超过 200,000 行"),
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_small_files_that_took_gigabytes_are_refused_within_a_second(gpkg, tmp_path, bomb):
    """Before: the ODS 196 MB in calamine (then a million Python rows), the .xls 1.5 GB and
    4 s, the wide XLSX 2.7 GB and 50 s, the 210 MB sheet gigabytes, the CSV of newlines
    19 million rows."""
    build, says = BOMBS[bomb]
    path = build(tmp_path)
    settings = {"GEOAPP_DATA": str(gpkg), "GEOAPP_UPLOADS": str(tmp_path / "u")}
    (tmp_path / "u").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(settings), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 400 and says in result["page"], result["page"][-2000:]
    assert result["kept"] == []
    assert result["cpu"] < 1.0


# --- removed at once, expired when left, no trace from reading -----------------------------------


def test_reading_an_upload_creates_nothing(client, folder, monkeypatch, tmp_path):
    """N requests for real, unknown and malformed tokens: not one folder more, here or in the
    temporary folder (a ZIP's members are unpacked there while it is read)."""
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    assert client.get("/import/" + "a" * 24).status_code == 404
    assert not folder.exists()  # not even the uploads folder
    token = token_of(post(client, "地块.zip", shapefile_zip(tmp_path, 3), "parcels"))
    before, inside, temp_before = kept(folder), kept(folder / token), kept(system_temp)
    for _ in range(10):
        for url in (
            f"/import/{token}",
            f"/import/{token}?page=2",
            f"/import/{token}/report.xlsx",
            "/import/" + "b" * 24,
            "/import/" + "B" * 24,
            "/import/../../etc",
            "/import/%2e%2e",
            "/import/" + "²" * 24,
            "/import/" + "c" * 24 + "/report.xlsx",
        ):
            assert client.get(url).status_code in (200, 404), url
        assert client.post("/import/" + "d" * 24 + "/apply").status_code == 404
        assert client.post("/import/" + "e" * 24 + "/mapping").status_code == 404
    assert kept(folder) == before and kept(folder / token) == inside
    assert kept(system_temp) == temp_before


def test_an_upload_no_longer_kept_says_so(client, folder):
    token = token_of(post(client, "a.csv", csv_sheet(3)))
    old = time.time() - 25 * 3600
    os.utime(folder / token, (old, old))
    response = client.get(f"/import/{token}")
    assert response.status_code == 404 and "已不再保留" in response.get_data(as_text=True)
    assert kept(folder) == []


def test_an_upload_whose_file_is_gone_is_no_longer_kept(client, folder):
    token = token_of(post(client, "a.csv", csv_sheet(3)))
    for file in (folder / token / "file").iterdir():
        file.unlink()
    assert client.get(f"/import/{token}").status_code == 200  # its report is stored …
    response = client.get(f"/import/{token}?lang=en")  # … but not in English
    assert response.status_code == 404 and "no longer kept" in response.get_data(as_text=True)
    assert kept(folder) == []


def test_uploads_left_unapplied_go_at_the_next_upload(client, folder):
    left = [token_of(post(client, f"{n}.csv", csv_sheet(3))) for n in range(3)]
    old = time.time() - 25 * 3600
    for token in left[:2]:
        os.utime(folder / token, (old, old))
    fresh = token_of(post(client, "新.csv", csv_sheet(3)))
    assert kept(folder) == sorted([left[2], fresh])


def test_beyond_their_space_the_oldest_waiting_uploads_go(gpkg, tmp_path):
    folder = tmp_path / "u"
    settings = {"GEOAPP_DATA": str(gpkg), "GEOAPP_UPLOADS": str(folder), "GEOAPP_UPLOADS_MB": "1"}
    client = signed_in(create_app(settings))
    first = token_of(post(client, "1.csv", csv_sheet(3)))
    (folder / first / "file" / "ballast").write_bytes(bytes(900 * 1024))
    os.utime(folder / first, (time.time() - 60, time.time() - 60))
    checking = folder / ("f" * 24)  # another process is still checking this one: kept
    (checking / "file").mkdir(parents=True)
    (checking / "file" / "big.csv").write_bytes(bytes(200 * 1024))
    second = token_of(post(client, "2.csv", csv_sheet(3)))
    assert kept(folder) == sorted([second, checking.name])
    assert client.get(f"/import/{first}").status_code == 404
    assert client.get(f"/import/{second}").status_code == 200


def test_the_shared_temporary_folder_must_be_the_apps_own(gpkg, tmp_path, monkeypatch):
    """Another user of the machine who made the default folder first (and could plant files
    in it) gets no upload into it."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    client = signed_in(create_app({"GEOAPP_DATA": str(gpkg)}))
    post(client, "a.csv", csv_sheet(2))
    (root,) = tmp_path.glob("geoapp-uploads-*")
    root.chmod(0o777)
    before = kept(root)
    assert post(client, "a.csv", csv_sheet(2)).status_code == 500
    assert kept(root) == before


# --- the report computed once, stored -----------------------------------------------------------


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    """Each time an upload's file is read and checked (the dry run), its name."""
    from geoapp.views import imports

    calls: list[str] = []
    for name in ("prepare_projects", "prepare_parcels", "prepare_progress"):
        real = getattr(imports, name)

        def counting(store, layers, path, *args, _real=real, **kwargs):
            calls.append(Path(path).name)
            return _real(store, layers, path, *args, **kwargs)

        monkeypatch.setattr(imports, name, counting)
    return calls


def page_text(response) -> str:
    """A page without its CSRF tokens (signed with the time, so new at every view)."""
    html = response.get_data(as_text=True)
    return re.sub(r'(name="csrf[-_]token" (?:content|value)=)"[^"]*"', r"\1", html)


def test_the_report_is_computed_once_and_read_from_its_store(roomy, folder, counted):
    """450 bad rows: three pages of problems, the XLSX report, a language change, the apply —
    one dry run per language; with the file gone after the first, the pages are the same."""
    client = signed_in(roomy)
    response = post(client, "坏.csv", csv_sheet(450, bad=True))
    token = token_of(response)
    assert counted == ["坏.csv"]
    stored = kept(folder / token)
    assert any(name.startswith("page-zh-") for name in stored)
    assert any(name.startswith("prepared-zh-") for name in stored)
    pages = [page_text(client.get(f"/import/{token}?page={n}")) for n in (1, 2, 3)]
    assert "第 3 / 3 页" in pages[2] and pages[2].count("不是有效的日期") == 50
    assert counted == ["坏.csv"]
    english = page_text(client.get(f"/import/{token}?page=3&lang=en"))
    assert "Page 3 of 3" in english
    client.get(f"/import/{token}?page=1&lang=en")
    assert counted == ["坏.csv"] * 2  # once per language, no more
    for file in (folder / token / "file").iterdir():
        file.write_bytes(csv_sheet(1))  # the source changes: the report does not
    assert page_text(client.get(f"/import/{token}?page=3&lang=en")) == english
    again = [page_text(client.get(f"/import/{token}?page={n}&lang=zh")) for n in (1, 2, 3)]
    assert again == pages
    for file in (folder / token / "file").iterdir():
        file.unlink()  # … nor when it is gone
    assert page_text(client.get(f"/import/{token}?page=2")) == pages[1]
    report = client.get(f"/import/{token}/report.xlsx")
    assert report.status_code == 200
    assert len(list(openpyxl.load_workbook(io.BytesIO(report.data)).worksheets[0].rows)) == 451
    assert counted == ["坏.csv"] * 2


def test_apply_writes_what_the_report_showed(client, folder, counted):
    token = token_of(post(client, "好.csv", csv_sheet(5)))
    for file in (folder / token / "file").iterdir():
        file.unlink()
    done = client.post(f"/import/{token}/apply")
    assert done.status_code == 200 and "新增 5 条" in done.get_data(as_text=True)
    assert counted == ["好.csv"] and kept(folder) == []


def test_a_new_mapping_is_checked_once_more(client, folder, counted):
    sheet = "项目代码,项目名称,建设地点,经度,纬度,计划总技资\nM1,项目,陇县,106.85,34.9,100\n"
    token = token_of(post(client, "映射.csv", sheet.encode()))
    page = client.get(f"/import/{token}").get_data(as_text=True)
    name = re.search(r'id="(column-\d+)-name">计划总技资<', page).group(1)
    mapped = client.post(f"/import/{token}/mapping", data={name: "total_investment"})
    assert mapped.status_code == 200
    client.get(f"/import/{token}")
    assert counted == ["映射.csv", "映射.csv"]
    assert len([n for n in kept(folder / token) if n.startswith("page-")]) == 1


def test_two_uploads_at_once_keep_their_own_files_and_reports(app, folder):
    """Two clients upload different sheets at the same moment (threads of one process; the
    gunicorn test in test_records_processes does it across worker processes)."""
    sheets = {f"同时{n}.csv": csv_sheet(3 + n) for n in range(2)}
    barrier = threading.Barrier(len(sheets))
    results: dict[str, str] = {}

    def send(name: str, body: bytes) -> None:
        client = signed_in(app)
        barrier.wait()
        results[name] = post(client, name, body).get_data(as_text=True)

    threads = [threading.Thread(target=send, args=item) for item in sheets.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n, name in enumerate(sheets):
        page = results[name]
        assert f"<h2>{name}</h2>" in page and f'data-figure="read">{3 + n}<' in page
        token = re.search(r"/import/([0-9a-f]{24})/apply", page).group(1)
        assert [f.name for f in (folder / token / "file").iterdir()] == [name]
    assert len(kept(folder)) == 2

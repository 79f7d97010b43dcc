"""What an uploaded file must meet before it is kept, checked from its bytes without reading
it into a table: a refusal costs a scan, never the memory of a read.

Files a tester sent: a 5.9 MB workbook whose sheet inflates to 1.5 GB (15 GB in a worker);
an 852-byte ODS whose one row repeats a million times (``table:number-rows-repeated``); a
5 KB ``.xls`` with one cell at IV65536 (calamine holds every sheet as a rectangle: 1.5 GB); a
100 KB XLSX with one cell per row in column XFD (2.7 GB, 50 s). The checks, in this order:

- **type**: the first bytes are those of the kind the name says (a workbook is a ZIP, or an OLE
  file for ``.xls`` and a password-protected ``.xlsx``; a GeoPackage is SQLite; CSV, 界址点,
  KML and GeoJSON files are text);
- **archives** (Shapefile ZIPs, KMZ, and the XLSX and ODS workbooks that are ZIPs too): member
  names, encryption, compression ratio and unpacked size, from the ZIP's directory
  (:mod:`geoapp.imports.archives`);
- **rows**: XLSX — the ``<row>`` elements of the worksheet that will be read, streamed out of
  the ZIP and counted (the ``<dimension>`` a file declares is not trusted); ODS — the table rows
  with their repeat counts; XLS — the cell records of the BIFF stream; CSV and text — the lines;
  GIS files — the features (``.shx``/``.dbf`` headers, ``<Placemark>``, ``"Feature"``, or an
  SQL count of a GeoPackage's tables). Counting stops one past the limit;
- **cells**: ODS and XLS sheets are read as rectangles from the first to the last filled cell,
  all of a workbook's sheets at once, so their area is bounded too
  (``COLUMNS_PER_ROW`` × the row limit), and no sheet may fill a column beyond ``ZZ``.

Each refusal is a :class:`UploadRefused` whose message (flask-babel, the user's language)
names the file and the limit.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import sqlite3
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO
from xml.parsers import expat

import olefile
from flask_babel import get_locale
from flask_babel import gettext as _
from openpyxl.utils.cell import get_column_letter

from geoapp.imports.archives import check_members
from geoapp.imports.problems import FileRefused, Problem, language
from geoapp.imports.sheets import MAX_COLUMNS

MAX_COLUMN_NAME = get_column_letter(MAX_COLUMNS)  # ZZ: a sheet filled beyond it is refused
COLUMNS_PER_ROW = 25  # ODS/XLS: rows × columns of all sheets ≤ this × the row limit
CHUNK = 1 << 20
SMALL_PART = 8 << 20  # [Content_Types].xml, workbook.xml and its rels: read whole up to this

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SQLITE_MAGIC = b"SQLite format 3\x00"
SHP_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian
BINARY_MAGIC = (b"%PDF", b"MZ", b"\x7fELF", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"\x89PNG")

WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods")
# What each accepted name may hold, as sniffed from its first bytes.
EXPECTED = {
    ".xlsx": ("zip", "ole"),  # OLE: a password-protected workbook (its reader says so)
    ".xlsm": ("zip", "ole"),
    ".xls": ("ole", "zip"),  # ZIP: an .xlsx saved under the old name; the reader takes both
    ".ods": ("zip",),
    ".zip": ("zip",),
    ".kmz": ("zip",),
    ".gpkg": ("sqlite",),
    ".shp": ("shp",),
    ".csv": ("text",),
    ".txt": ("text",),
    ".dat": ("text",),
    ".kml": ("xml",),
    ".geojson": ("json",),
}

_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_WIDE_CELL = re.compile(rb'\sr="[A-Za-z]{3}')  # a cell reference beyond column ZZ
_PLACEMARK = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Placemark[\s/>]")
_FEATURE = re.compile(rb'"Feature"')

_WORKBOOK_TYPES = {
    f"application/vnd.{kind}.main+xml"
    for kind in (
        "openxmlformats-officedocument.spreadsheetml.sheet",
        "openxmlformats-officedocument.spreadsheetml.template",
        "ms-excel.sheet.macroEnabled",
        "ms-excel.template.macroEnabled",
    )
}
_RELATIONSHIP_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships id"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"

# BIFF5/8 records that calamine turns into cells (BLANK and MULBLANK it leaves out).
_BOF, _EOF, _WORKSHEET = 0x0809, 0x000A, 0x0010
_MULRK = 0x00BD
_CELL_RECORDS = frozenset({0x0006, 0x00BD, 0x00D6, 0x00FD, 0x0203, 0x0204, 0x0205, 0x027E})


class UploadRefused(Exception):
    """The upload breaks a limit; ``message`` says which, naming the file, in the user's
    language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_upload(path: Path, max_rows: int) -> None:
    """Raise :class:`UploadRefused` unless ``path`` (named as the user named it) is of the
    type its name says and within the limits of size, rows and cells."""
    name, suffix = path.name, path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head:
        raise UploadRefused(_("“%(name)s” is empty.", name=name))
    found = _sniff(head)
    if found not in EXPECTED.get(suffix, (found,)) and suffix in WORKBOOKS:
        raise UploadRefused(  # such as a web page saved as .xls
            _(
                "“%(name)s” is not a workbook (its content is %(content)s): open it in Excel "
                "or WPS and save it as .xlsx.",
                name=name,
                content=_content_words(found),
            )
        )
    if found not in EXPECTED.get(suffix, (found,)):
        raise UploadRefused(
            _(
                "“%(name)s” is not a %(type)s file: its content is %(content)s.",
                name=name,
                type=suffix,
                content=_content_words(found),
            )
        )
    limit = _Limit(name, max_rows)
    if found == "zip":
        _check_zip(path, suffix, limit)
    elif found == "ole":
        _check_ole(path, limit)
    elif found == "sqlite":
        limit.features(_geopackage_features(path, limit))
    elif suffix == ".kml":
        with path.open("rb") as fh:
            limit.features(_count(_chunks(fh), _PLACEMARK, max_rows))
    elif suffix == ".geojson":
        with path.open("rb") as fh:
            limit.features(_count(_chunks(fh), _FEATURE, max_rows))
    elif found == "text":
        limit.rows(_text_lines(path))


class _Limit:
    """The limits of one upload, and the refusal of each."""

    def __init__(self, name: str, max_rows: int):
        self.name, self.max_rows = name, max_rows
        self.max_cells = max_rows * COLUMNS_PER_ROW

    def rows(self, count: int) -> None:
        if count > self.max_rows:
            raise UploadRefused(
                _(
                    "“%(name)s” has more than %(limit)s rows: split it into files of at most "
                    "%(limit)s rows.",
                    name=self.name,
                    limit=format(self.max_rows, ","),
                )
            )

    def features(self, count: int) -> None:
        if count > self.max_rows:
            raise UploadRefused(
                _(
                    "“%(name)s” has more than %(limit)s features: split it into files of at "
                    "most %(limit)s features.",
                    name=self.name,
                    limit=format(self.max_rows, ","),
                )
            )

    def cells(self, count: int) -> None:
        if count > self.max_cells:
            raise UploadRefused(
                _(
                    "The sheets of “%(name)s” span %(cells)s cells from their first to their "
                    "last filled cell, more than the %(limit)s this server reads: delete the "
                    "rows and columns far from the data, or split the file.",
                    name=self.name,
                    cells=format(count, ","),
                    limit=format(self.max_cells, ","),
                )
            )

    def columns(self, last: int) -> None:
        if last > MAX_COLUMNS:
            raise UploadRefused(
                _(
                    "“%(name)s” has cells beyond column %(column)s (at most %(count)s columns "
                    "are read): delete them, or move the data to the left.",
                    name=self.name,
                    column=MAX_COLUMN_NAME,
                    count=MAX_COLUMNS,
                )
            )

    def damaged(self, suffix: str) -> UploadRefused:
        return UploadRefused(
            _("“%(name)s” is damaged or not a %(type)s file.", name=self.name, type=suffix)
        )

    def archive(self, zh: str, en: str) -> FileRefused:
        """The refusal :func:`check_members` raises, said in the user's language."""
        reason = en if language(str(get_locale() or "")) == "en" else zh
        text = _("“%(name)s” is refused: %(reason)s", name=self.name, reason=reason)
        return FileRefused(Problem(self.name, None, None, text))


def _sniff(head: bytes) -> str:
    """What the first bytes say the file is: zip, ole, sqlite, shp, binary, or text — xml and
    json for text that starts as they do."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(SHP_MAGIC):
        return "shp"
    text = _head_text(head)
    if text is None or head.startswith(BINARY_MAGIC):
        return "binary"
    start = text.lstrip()[:1]
    return {"<": "xml", "{": "json"}.get(start, "text")


def _head_text(head: bytes) -> str | None:
    """The first bytes as text (UTF-16 with its BOM, else bytes without NUL), or None."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    if b"\x00" in head:
        return None
    return head.decode("latin-1")


def _content_words(found: str) -> str:
    return {
        "zip": _("a ZIP archive (or an .xlsx or .ods workbook)"),
        "ole": _("an old Excel workbook (.xls)"),
        "sqlite": _("an SQLite database (GeoPackage)"),
        "shp": _("a Shapefile .shp"),
        "binary": _("binary data, not text"),
        "xml": _("XML text (such as KML)"),
        "json": _("JSON text (such as GeoJSON)"),
    }.get(found, _("text"))


# --- ZIP: workbooks, Shapefile ZIPs, KMZ -------------------------------------------------------


def _check_zip(path: Path, suffix: str, limit: _Limit) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise limit.damaged(suffix) from exc
    with archive:
        infos = archive.infolist()
        try:
            check_members(infos, limit.archive)
        except FileRefused as refused:
            raise UploadRefused(refused.problem.reason) from refused
        try:
            if suffix == ".ods":
                _check_ods(archive, limit)
            elif suffix in (".xlsx", ".xlsm", ".xls"):
                _check_xlsx(archive, limit)
            else:
                limit.features(_archive_features(archive, limit.max_rows))
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            NotImplementedError,
            ValueError,
            expat.ExpatError,
        ) as exc:
            raise limit.damaged(suffix) from exc


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk


def _count(chunks: Iterator[bytes], pattern: re.Pattern[bytes], limit: int) -> int:
    """Matches of ``pattern`` (at most 64 bytes long) in a stream, up to ``limit`` + 1."""
    count, carry = 0, b""
    for chunk in chunks:
        window = carry + chunk
        for match in pattern.finditer(window):
            if match.end() > len(carry):  # one wholly in the carry was counted before
                count += 1
                if count > limit:
                    return count
        carry = window[-64:]
    return count


def _small(archive: zipfile.ZipFile, name: str) -> bytes | None:
    """A small part of the package (None when absent); a large one is damage."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > SMALL_PART:
        raise ValueError(f"{name} is {info.file_size} bytes")
    return archive.read(info)


def _elements(data: bytes) -> list[tuple[str, dict[str, str]]]:
    """(namespace + " " + name, attributes) of every element; no DTD (no entity tricks)."""
    found: list[tuple[str, dict[str, str]]] = []
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = lambda name, attrs: found.append((name, attrs))
    parser.StartDoctypeDeclHandler = _no_doctype
    parser.Parse(data, True)
    return found


def _no_doctype(*_args: object) -> None:
    raise ValueError("a document type declaration")


def _worksheet_parts(archive: zipfile.ZipFile) -> list[str]:
    """The workbook's worksheet parts, the one that will be read first, found as openpyxl
    finds it: content types → workbook part → its relationships and sheet order. When that
    finds none, every part declared or named a worksheet (each is then counted)."""
    types = _small(archive, "[Content_Types].xml")
    if types is None:
        raise ValueError("no [Content_Types].xml")
    declared = _elements(types)
    workbook = next(
        (
            attrs.get("PartName", "").lstrip("/")
            for name, attrs in declared
            if name.endswith(" Override") and attrs.get("ContentType") in _WORKBOOK_TYPES
        ),
        None,
    )
    if workbook is None and any(
        name.endswith(" Default") and attrs.get("ContentType") in _WORKBOOK_TYPES
        for name, attrs in declared
    ):
        workbook = "xl/workbook.xml"  # as openpyxl reads a workbook declared by default
    if workbook is None:
        raise ValueError("no workbook part")
    folder = PurePosixPath(workbook).parent
    rels = _small(archive, str(folder / "_rels" / f"{PurePosixPath(workbook).name}.rels"))
    book = _small(archive, workbook)
    targets = {}
    for name, attrs in _elements(rels or b"<none/>"):
        if name.endswith(" Relationship") and attrs.get("Type", "").endswith("/worksheet"):
            target = attrs.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else str(folder / target)
            targets[attrs.get("Id")] = _normal(part)
    ordered = [
        targets[attrs[_RELATIONSHIP_ID]]
        for name, attrs in _elements(book or b"<none/>")
        if name.endswith(" sheet") and attrs.get(_RELATIONSHIP_ID) in targets
    ]
    if ordered:
        return ordered[:1]
    return [
        info.filename
        for info in archive.infolist()
        if "worksheets/" in info.filename
        or any(
            attrs.get("PartName", "").lstrip("/") == info.filename
            and attrs.get("ContentType", "").endswith(".worksheet+xml")
            for name, attrs in declared
        )
    ]


def _normal(part: str) -> str:
    parts: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _check_xlsx(archive: zipfile.ZipFile, limit: _Limit) -> None:
    """The rows of the worksheet that will be read, and no cell beyond column ZZ."""
    for part in _worksheet_parts(archive):
        try:
            source = archive.open(part)
        except KeyError:
            continue  # a sheet the package lacks: the reader says so
        with source:
            chunks = _checked_columns(_chunks(source), limit)
            limit.rows(_count(chunks, _ROW, limit.max_rows))


def _checked_columns(chunks: Iterator[bytes], limit: _Limit) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        if _WIDE_CELL.search(carry + chunk):
            limit.columns(MAX_COLUMNS + 1)
        carry = chunk[-16:]
        yield chunk


def _check_ods(archive: zipfile.ZipFile, limit: _Limit) -> None:
    """Every table's filled rectangle, with the repeat counts of rows and cells: the first
    table's rows, all tables' area, and how far right they reach."""
    try:
        source = archive.open("content.xml")
    except KeyError as exc:
        raise ValueError("no content.xml") from exc
    tables: list[list[int]] = []  # per table: first row, last row, first column, last column
    depth = 0  # of the table being read (a table in a cell is part of it)
    row = column = 0
    rows_repeated = cells_repeated = 1
    row_filled = cell_filled = False
    in_cell = False
    area = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, row, column, rows_repeated, cells_repeated, row_filled, cell_filled
        nonlocal in_cell
        if name == f"{_TABLE} table":
            depth += 1
            if depth == 1:
                tables.append([-1, -1, -1, -1])
                row = 0
        elif depth != 1:
            return
        elif name == f"{_TABLE} table-row":
            rows_repeated = _repeat(attrs.get(f"{_TABLE} number-rows-repeated"))
            column, row_filled = 0, False
        elif name in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell"):
            cells_repeated = _repeat(attrs.get(f"{_TABLE} number-columns-repeated"))
            cell_filled = f"{_OFFICE} value-type" in attrs
            in_cell = True
        elif in_cell:
            cell_filled = True  # text in a cell (calamine reads value-typed cells only)

    def end(name: str) -> None:
        nonlocal depth, row, column, row_filled, in_cell, area
        if name == f"{_TABLE} table":
            depth -= 1
            if depth == 0:
                first, last, left, right = tables[-1]
                if first >= 0:
                    area += (last - first + 1) * (right - left + 1)
                    limit.cells(area)
                    if len(tables) == 1:
                        limit.rows(last - first + 1)
        elif depth != 1:
            return
        elif name in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell"):
            if cell_filled:
                table = tables[-1]
                table[2] = column if table[2] < 0 else min(table[2], column)
                table[3] = max(table[3], column + cells_repeated - 1)
                limit.columns(table[3] + 1)
                row_filled = True
            column += cells_repeated
            in_cell = False
        elif name == f"{_TABLE} table-row":
            if row_filled:
                table = tables[-1]
                table[0] = row if table[0] < 0 else table[0]
                table[1] = row + rows_repeated - 1
                limit.cells(area + (table[1] - table[0] + 1) * (table[3] - table[2] + 1))
                if len(tables) == 1:
                    limit.rows(table[1] - table[0] + 1)
            row += rows_repeated

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = _no_doctype
    with source:
        for chunk in _chunks(source):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


def _repeat(value: str | None) -> int:
    if value is None:
        return 1
    number = int(value)
    if number < 1:
        raise ValueError(f"repeated {number} times")
    return number


def _archive_features(archive: zipfile.ZipFile, max_rows: int) -> int:
    """The most features any dataset in a Shapefile ZIP or KMZ holds: a Shapefile's record
    count from its .shx size and its .dbf header, KML's placemarks, GeoJSON's features."""
    infos = {info.filename.lower(): info for info in archive.infolist() if not info.is_dir()}
    most = 0
    for lower, info in infos.items():
        suffix = PurePosixPath(lower).suffix
        if suffix == ".shx":
            most = max(most, max(0, info.file_size - 100) // 8)
        elif suffix == ".dbf":
            with archive.open(info) as source:
                header = source.read(8)
            if len(header) == 8:
                most = max(most, struct.unpack_from("<I", header, 4)[0])
        elif suffix in (".kml", ".geojson", ".json"):
            pattern = _PLACEMARK if suffix == ".kml" else _FEATURE
            with archive.open(info) as source:
                most = max(most, _count(_chunks(source), pattern, max_rows))
        if most > max_rows:
            break
    return most


# --- OLE: .xls ---------------------------------------------------------------------------------


def _check_ole(path: Path, limit: _Limit) -> None:
    """An .xls workbook's BIFF stream: the rectangle of each worksheet's cells (calamine reads
    them all on opening), the first worksheet's rows. An OLE file without one (an encrypted
    .xlsx) is left to the reader, which refuses it by name."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            stream = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
            if stream is None:
                return
            data = ole.openstream(stream).read()
    except Exception as exc:  # any damage in the OLE container
        raise limit.damaged(path.suffix.lower()) from exc
    sheets = _biff_sheets(data)
    area = 0
    for i, (top, bottom, left, right) in enumerate(sheets):
        if top < 0:
            continue
        limit.columns(right + 1)
        area += (bottom - top + 1) * (right - left + 1)
        limit.cells(area)
        if i == 0:
            limit.rows(bottom - top + 1)


def _biff_sheets(data: bytes) -> list[list[int]]:
    """Per worksheet substream: first and last row and column of its cells (-1: none)."""
    sheets: list[list[int]] = []
    current: list[int] | None = None
    position, size = 0, len(data)
    unpack = struct.unpack_from
    while position + 4 <= size:
        kind, length = unpack("<HH", data, position)
        body = position + 4
        position = body + length
        if kind == _BOF:
            worksheet = length >= 4 and unpack("<H", data, body + 2)[0] == _WORKSHEET
            current = [-1, -1, -1, -1] if worksheet else None
            if current is not None:
                sheets.append(current)
        elif kind == _EOF:
            current = None
        elif current is not None and kind in _CELL_RECORDS and length >= 4 and body + 4 <= size:
            row, first = unpack("<HH", data, body)
            last = first
            if kind == _MULRK and length >= 6 and position <= size:
                last = unpack("<H", data, position - 2)[0]
            if current[0] < 0:
                current[:] = [row, row, first, last]
            else:
                current[0], current[1] = min(current[0], row), max(current[1], row)
                current[2], current[3] = min(current[2], first), max(current[3], last)
    return sheets


# --- GeoPackage and text -------------------------------------------------------------------------


def _geopackage_features(path: Path, limit: _Limit) -> int:
    """The largest feature table's row count, read-only (nothing written beside the file);
    a feature "table" that is a view, or any damage, refuses the file."""
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    budget = [2_000]  # × 10,000 virtual machine steps: a count of a few million rows

    def spent() -> int:
        budget[0] -= 1
        return 1 if budget[0] < 0 else 0

    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            db.set_progress_handler(spent, 10_000)
            db.execute("PRAGMA trusted_schema = OFF")
            tables = {
                name
                for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            names = [
                str(name)
                for (name,) in db.execute(
                    "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'"
                )
            ]
            most = 0
            for name in names:
                if name not in tables:
                    raise ValueError(f"{name} is not a table")
                quoted = '"' + name.replace('"', '""') + '"'
                (count,) = db.execute(f"SELECT count(*) FROM {quoted}").fetchone()
                most = max(most, int(count))
        db.close()
    except (sqlite3.Error, ValueError) as exc:
        raise limit.damaged(".gpkg") from exc
    return most


def _text_lines(path: Path) -> int:
    """Lines of a text file (an upper bound of a CSV's records: a quoted cell may hold a line
    break): LF, CR LF or a lone CR, UTF-16 read as such."""
    with path.open("rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
            lines = returns = 0
            last = ""
            for chunk in _chunks(fh):
                text = decoder.decode(chunk)
                lines, returns = lines + text.count("\n"), returns + text.count("\r")
                last = text[-1:] or last
            return max(lines, returns) + (last not in ("\n", "\r", ""))
        lines = returns = 0
        tail = b""
        for chunk in _chunks(fh):
            lines, returns = lines + chunk.count(b"\n"), returns + chunk.count(b"\r")
            tail = chunk[-1:]
        return max(lines, returns) + (tail not in (b"\n", b"\r", b""))

"""Read one sheet of a workbook or one CSV file into raw cells under their headers.

Nothing is typed here beyond what the file itself says (Excel numbers and dates stay numbers
and datetimes, CSV cells stay text); ``geoapp.imports.projects`` validates and converts. What
this module does:

- finds the header row: the first of the first ``HEADER_SCAN_ROWS`` rows with at least
  ``MIN_HEADERS`` headers the header map knows, or a project code or name and one more (real
  sheets have a title row above it; a monthly sheet may hold only a code and a figure);
- maps headers to our fields with ``data/header_map.toml`` (spaces, brackets and case ignored,
  a money unit such as ``（亿元）`` recognised), warns once about unknown columns and refuses a
  file without the required columns;
- XLSX: the first worksheet unless one is named. openpyxl reads the package, the workbook, the
  styles (which cells are dates) and the sheet list; the sheet's cells are streamed here with
  expat in one pass, giving what openpyxl's read-only, data-only cells give (the cached value of
  a formula) plus what read-only openpyxl cannot tell: merged ranges and formulas without a
  cached value — at about a third of the time (100,000 rows × 20 columns: ~8 s instead of 20–28
  s). Merged cells in the header row are refused; merged cells below it that span rows of one
  column are filled with their value (what a reader of the sheet sees), with a warning; a
  formula without a calculated value is an error of its cell;
- CSV: UTF-8, UTF-8 with BOM or GB18030/GBK (strict decodes in that order; a UTF-16 BOM is
  honoured too), delimiter sniffed among comma, semicolon and tab.

Row numbers are those the user sees in Excel: for a CSV, the record number (a quoted cell with a
line break is still one row). Blank rows are left out; blank cells are absent from a row's dict.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tomllib
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.parsers import expat

import python_calamine
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.constants import SHARED_STRINGS

from geoapp.config import PROJECT_ROOT
from geoapp.errors import ConfigError
from geoapp.imports.archives import check_members
from geoapp.imports.problems import FileRefused, Problem, join, language, message

DEFAULT_HEADER_MAP = PROJECT_ROOT / "data" / "header_map.toml"
HEADER_SCAN_ROWS = 10
MAX_COLUMNS = 702  # column ZZ: a cell beyond it refuses the sheet (XFD would cost GBs a row)
MIN_HEADERS = 3
IDENTIFYING = frozenset({"project_id", "name"})  # with one more known column: a header row
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
CSV_DELIMITERS = (",", "\t", ";")
MONEY_UNITS = {"万元": 1.0, "亿元": 10_000.0, "元": 0.0001}  # → 万元

Cell = str | int | float | datetime | None

_SPACES = re.compile(r"\s+")
_DROP_IN_HEADER = str.maketrans("", "", "()[]【】{}<>《》〔〕")
_NOTE_IN_HEADER = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
# A year or reporting period in front of a header: "2024年计划投资" is the 年计划投资 of 2024,
# "1-10月完成投资" and "截至10月底累计完成投资" are this year's completed investment.
_PERIOD_PREFIX = re.compile(
    r"^(?:\d{4}(?=年)"
    r"|(?:\d{4}年)?(?:\d{1,2}[-~～至到—]+)?\d{1,2}月(?:份)?(?:底|末)?(?:止)?"
    r"|截[至止](?:目前|今|\d{4}年(?:\d{1,2}月(?:底|末)?)?|\d{1,2}月(?:底|末)?)?"
    r"|年度?|本年度?|今年|上年|全年)"
)
_UNIT_SUFFIX = re.compile(
    r"(?:[(\[【/]?(万元|亿元)[)\]】]?|[(\[【/](元|10kcny|100mcny|cny|rmb|yuan)[)\]】]?)$"
)
_UNIT_NAMES = {"10kcny": "万元", "100mcny": "亿元", "cny": "元", "rmb": "元", "yuan": "元"}


# --- the header map ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderMatch:
    """What a header means: our field, and a money unit written in the header (or None)."""

    field: str
    unit: str | None = None

    @property
    def factor(self) -> float:
        """Multiply a number in this column by this to get 万元 (1 when no unit is written)."""
        return MONEY_UNITS[self.unit] if self.unit else 1.0


@dataclass(frozen=True, eq=False)
class HeaderMap:
    """``data/header_map.toml``: accepted headers per field, required fields, enum synonyms."""

    fields: dict[str, tuple[str, ...]]
    required: tuple[str, ...] = ()
    ignore: frozenset[str] = frozenset()  # normalised headers
    values: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    source: Path | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)  # header → field, "": not used
    _lookup: dict[str, str] = field(default_factory=dict, repr=False)
    _matches: dict[str, HeaderMatch | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self._lookup:
            for name, headers in self.fields.items():
                for header in (name, *headers):
                    self._lookup.setdefault(normalise_header(header)[0], name)

    def match(self, header: str) -> HeaderMatch | None:
        """The field a header names (None: not one of ours); cached per header text.

        The header as written is tried first, then without notes in brackets (``经度(度)``),
        then without a year or period in front (``2024年``, ``1-10月``, ``截至10月底``)."""
        try:
            return self._matches[header]
        except KeyError:
            pass
        forms, unit = header_forms(header)
        if header in self.overrides:
            name = self.overrides[header] or None
        else:
            name = next((self._lookup[f] for f in forms if f in self._lookup), None)
        found = HeaderMatch(name, unit) if name else None
        if len(self._matches) < 10_000:
            self._matches[header] = found
        return found

    def ignored(self, header: str) -> bool:
        return normalise_header(header)[0] in self.ignore or self.overrides.get(header) == ""

    def with_overrides(self, overrides: Mapping[str, str]) -> HeaderMap:
        """This map with the user's choices for some columns of one sheet layout."""
        return replace(self, overrides=dict(overrides), _matches={})

    def words(self) -> dict[str, str]:
        """Every accepted header, normalised, → its field (for near-miss suggestions)."""
        return dict(self._lookup)

    def describe(self, name: str, locale: str) -> str:
        """A field for a message: its first accepted header, then the others."""
        first, *others = self.fields.get(name) or (name,)
        if not others:
            return first
        if language(locale) == "en":
            return f"{first} (or: {', '.join(others)})"
        return f"{first}（或：{join(others, locale)}）"

    def examples(self, locale: str, count: int = 4) -> str:
        """A few headers for a message, English ones for English readers where there are."""
        picked = []
        for headers in list(self.fields.values())[:count]:
            english = [h for h in headers if h.isascii()]
            picked.append(english[0] if language(locale) == "en" and english else headers[0])
        return join(picked, locale)


def normalise_header(text: object) -> tuple[str, str | None]:
    """``" 总投资（亿元） "`` → ``("总投资", "亿元")``: NFKC, no spaces or brackets, lower case.

    A required-field mark in front (``*项目名称``) is dropped too.
    """
    folded, unit = _folded(text)
    return folded.translate(_DROP_IN_HEADER), unit


def header_forms(text: object) -> tuple[list[str], str | None]:
    """The forms a header is looked up by, most literal first, and its money unit:
    ``"项目业主（建设单位）"`` → ``["项目业主建设单位", "项目业主"]``;
    ``"2024年计划投资（万元）"`` → ``["2024年计划投资", "年计划投资"]`` and 万元."""
    folded, unit = _folded(text)
    forms = [folded.translate(_DROP_IN_HEADER), _NOTE_IN_HEADER.sub("", folded)]
    for form in list(forms):
        while (found := _PERIOD_PREFIX.match(form)) and found.end() < len(form):
            form = form[found.end() :]
            forms.append(form.translate(_DROP_IN_HEADER))
            forms.append(_NOTE_IN_HEADER.sub("", form))
    return list(dict.fromkeys(f for f in forms if f)), unit


def _folded(text: object) -> tuple[str, str | None]:
    """NFKC, no spaces, lower case, no required-field mark; a trailing money unit taken off."""
    folded = _SPACES.sub("", unicodedata.normalize("NFKC", str(text))).lower().lstrip("*※★")
    unit = None
    found = _UNIT_SUFFIX.search(folded)
    if found and found.start() > 0:
        written = found.group(1) or found.group(2)
        unit = _UNIT_NAMES.get(written, written)
        folded = folded[: found.start()]
    return folded, unit


def load_header_map(path: Path | None = None) -> HeaderMap:
    """The header map at ``path`` (default ``data/header_map.toml``), validated and cached."""
    path = Path(path) if path is not None else DEFAULT_HEADER_MAP
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot read the header map: {exc}") from exc
    return _load_header_map(str(path.resolve()), stamp)


@lru_cache(maxsize=8)
def _load_header_map(path_text: str, _stamp: int) -> HeaderMap:
    path = Path(path_text)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc

    def words(value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{path.name}: {key}: must be a list of texts")
        return tuple(value)

    unknown = set(data) - {"required", "ignore", "fields", "values"}
    if unknown:
        raise ConfigError(f"{path.name}: {sorted(unknown)[0]}: unknown key")
    if not isinstance(data.get("fields"), dict) or not data["fields"]:
        raise ConfigError(f"{path.name}: fields: is required (field = [headers])")
    fields = {name: words(v, f"fields.{name}") for name, v in data["fields"].items()}
    owner: dict[str, str] = {}
    for name, headers in fields.items():
        for header in (name, *headers):
            base = normalise_header(header)[0]
            if owner.setdefault(base, name) != name:
                raise ConfigError(
                    f"{path.name}: fields.{name}: {header!r} is also a header of {owner[base]!r}"
                )
    required = words(data.get("required", []), "required") if "required" in data else ()
    for name in required:
        if name not in fields:
            raise ConfigError(f"{path.name}: required: {name!r} is not in [fields]")
    ignore = words(data.get("ignore", []), "ignore") if "ignore" in data else ()
    values: dict[str, dict[str, tuple[str, ...]]] = {}
    raw_values = data.get("values", {})
    if not isinstance(raw_values, dict):
        raise ConfigError(f"{path.name}: values: must be a table of fields")
    for name, table in raw_values.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path.name}: values.{name}: must be a table of value keys")
        values[name] = {k: words(v, f"values.{name}.{k}") for k, v in table.items()}
    return HeaderMap(
        fields=fields,
        required=required,
        ignore=frozenset(normalise_header(h)[0] for h in ignore),
        values=values,
        source=path,
    )


def map_headers(headers: Iterable[str], header_map: HeaderMap) -> dict[str, HeaderMatch]:
    """Header → match for the headers that name one of our fields; the first one per field wins."""
    mapped: dict[str, HeaderMatch] = {}
    taken: set[str] = set()
    for header in headers:
        found = header_map.match(header)
        if found is not None and found.field not in taken:
            taken.add(found.field)
            mapped[header] = found
    return mapped


# --- the table ---------------------------------------------------------------------------------


@dataclass
class RawTable:
    """One sheet's data rows under its header texts, and the problems found while reading.

    ``rows`` holds ``(row number, {header: cell})`` with blank cells left out. Cells are text,
    numbers or datetimes as the file holds them. ``headers`` are the named columns in file order
    (a repeated name only once). ``date1904``: the workbook counts Excel serial dates from 1904.
    """

    sheet: str
    headers: list[str]
    rows: list[tuple[int, dict[str, Cell]]]
    header_row: int = 1
    problems: list[Problem] = field(default_factory=list)
    date1904: bool = False


def read_table(
    path: Path,
    sheet: str | None = None,
    locale: str = "zh",
    header_map: HeaderMap | None = None,
) -> RawTable:
    """Read an XLSX sheet (the first unless ``sheet``) or a CSV file; FileRefused if unusable."""
    path = Path(path)
    header_map = header_map or load_header_map()

    def refused(key: str) -> FileRefused:
        return FileRefused(Problem(path.name, None, None, message(key, locale, file=path.name)))

    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise refused("unreadable") from exc
    if head.startswith(ZIP_MAGIC):  # .xlsx, .xlsm, .ods: a ZIP, checked before it is read
        _check_package(path, locale)
    if head.startswith(OLE_MAGIC) or path.suffix.lower() == ".ods":
        return _read_calamine(path, sheet, locale, header_map)
    if head.startswith(ZIP_MAGIC):
        return _read_xlsx(path, sheet, locale, header_map)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        raise refused("not_excel")
    return _read_csv(path, locale, header_map)


class _Reading:
    """The header-dependent part shared by XLSX and CSV: find, check and map the header."""

    def __init__(self, sheet: str, locale: str, header_map: HeaderMap):
        self.sheet, self.locale, self.header_map = sheet, locale, header_map
        self.problems: list[Problem] = []

    def refuse(self, key: str, row: int | None = None, **params: object) -> FileRefused:
        reason = message(key, self.locale, row=row, **params)
        return FileRefused(Problem(self.sheet, row, None, reason))

    def find_header(self, first_rows: Sequence[tuple[int, Sequence[Any]]]) -> tuple[int, list[str]]:
        """(row number, header texts by column) of the header row, or FileRefused."""
        required = set(self.header_map.required)
        for number, values in first_rows[:HEADER_SCAN_ROWS]:
            texts = [_header_text(v) for v in values]
            fields = {m.field for t in texts if t and (m := self.header_map.match(t))}
            if (
                len(fields) >= MIN_HEADERS
                or (required and required <= fields)
                or (len(fields) >= 2 and fields & IDENTIFYING)  # a code and this month's figure
            ):
                return number, texts
        raise self.refuse(
            "no_header", rows=HEADER_SCAN_ROWS, examples=self.header_map.examples(self.locale)
        )

    def columns(self, number: int, texts: list[str]) -> list[tuple[int, str]]:
        """(column index, header) of the named columns; warns about the odd ones once each."""
        mapped = map_headers((t for t in texts if t), self.header_map)
        missing = [
            name
            for name in self.header_map.required
            if name not in {m.field for m in mapped.values()}
        ]
        if missing:
            described = [self.header_map.describe(name, self.locale) for name in missing]
            raise self.refuse("missing_columns", columns=join(described, self.locale))
        by_field = {m.field: header for header, m in mapped.items()}
        columns: list[tuple[int, str]] = []
        seen: dict[str, int] = {}
        for index, text in enumerate(texts):
            if not text:
                continue
            if text in seen:
                letter = get_column_letter(seen[text] + 1)
                self.warn(number, text, "duplicate_column", column=text, letter=letter)
                continue
            seen[text] = index
            columns.append((index, text))
            found = self.header_map.match(text)
            if found is not None and text not in mapped:
                other = by_field[found.field]
                self.warn(number, text, "same_field", column=text, other=other, field=other)
            elif found is None and not self.header_map.ignored(text):
                self.warn(number, text, "unknown_column", column=text)
        return columns

    def warn(self, row: int | None, header: str | None, key: str, /, **params: object) -> None:
        reason = message(key, self.locale, **params)
        self.problems.append(Problem(self.sheet, row, header, reason, "warning"))

    def unnamed(self, number: int, texts: list[str], with_data: set[int]) -> None:
        for index in sorted(with_data):
            letter = get_column_letter(index + 1)
            self.warn(number, None, "unnamed_column", letter=letter)


def _filled(values: Sequence[Any]) -> bool:
    return any(v is not None and (not isinstance(v, str) or v.strip()) for v in values)


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == time() else value
    if isinstance(value, date):
        value = value.isoformat()
    return " ".join(str(value).split())


def _clean(value: Any) -> Cell:
    """A cell as RawTable keeps it: text stripped (blank → None), numbers, datetimes."""
    kind = type(value)
    if kind is str:
        return value.strip() or None
    if value is None or kind is int or kind is float or kind is datetime:
        return value
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, time | timedelta):
        return str(value)
    return str(value).strip() or None


def _rows_to_dicts(
    reading: _Reading,
    header_row: int,
    header_texts: list[str],
    data: Iterable[tuple[int, Sequence[Any]]],
    keep: set[int] | None = None,
) -> tuple[list[tuple[int, str]], list[tuple[int, dict[str, Cell]]]]:
    """Data rows → ((index, header) of named columns, [(row number, {header: cell})]).

    Blank rows are left out, except those in ``keep`` (a formula without a value)."""
    keep = keep or set()
    columns = reading.columns(header_row, header_texts)
    width = len(header_texts)
    pending = {i for i in range(width) if not header_texts[i]}
    unnamed: set[int] = set()
    rows: list[tuple[int, dict[str, Cell]]] = []
    for number, values in data:
        cells = {}
        for index, header in columns:
            if index < len(values):
                value = values[index]
                if value is not None:
                    value = _clean(value)
                    if value is not None:
                        cells[header] = value
        if pending or len(values) > width:
            for index in [i for i in pending if i < len(values)] + list(range(width, len(values))):
                if index not in unnamed and _clean(values[index]) is not None:
                    unnamed.add(index)
                    pending.discard(index)
        if cells or number in keep:
            rows.append((number, cells))
    reading.unnamed(header_row, header_texts, unnamed)
    return columns, rows


# --- XLSX --------------------------------------------------------------------------------------

_MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # "strict" Open XML
)
_TAGS = {
    f"{ns} {local}": local
    for ns in _MAIN_NAMESPACES
    for local in ("row", "c", "v", "f", "is", "t", "rPh", "si", "mergeCell")
}


@dataclass
class _Workbook:
    """What reading a sheet needs from a workbook: openpyxl parses the package, styles and
    sheet list; the cells are streamed here (see ``_stream_sheet``)."""

    archive: zipfile.ZipFile
    sheets: list[tuple[str, str, bool]]  # (name, part in the zip, is a worksheet)
    strings: list[str]
    date_styles: frozenset[int]
    timedelta_styles: frozenset[int]
    epoch: datetime


@dataclass
class _SheetData:
    rows: list[tuple[int, list[Any]]]  # (row number, cached values by column), in file order
    merges: list[tuple[int, int, int, int]]  # (min_col, min_row, max_col, max_row)
    no_value: list[tuple[int, int]]  # (row, 0-based column) of formulas without a value


def _read_xlsx(path: Path, sheet: str | None, locale: str, header_map: HeaderMap) -> RawTable:
    def refused(key: str, **params: object) -> FileRefused:
        return FileRefused(Problem(path.name, None, None, message(key, locale, **params)))

    with warnings.catch_warnings():
        # openpyxl's notes about unsupported extensions or odd styles are not the user's problem
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
        try:
            with path.open("rb") as source:
                book = _open_workbook(source)
                try:
                    title, part = _pick_sheet(book, sheet, path, locale)
                    data = _stream_sheet(book, part)
                finally:
                    book.archive.close()
        except FileRefused:
            raise
        except _TooWide as exc:
            column = get_column_letter(MAX_COLUMNS)
            reason = message("too_wide", locale, sheet=title, column=column, count=MAX_COLUMNS)
            raise FileRefused(Problem(title, None, None, reason)) from exc
        except Exception as exc:  # any damage in the zip or its XML: refuse, never crash
            raise refused("not_excel", file=path.name) from exc
    return _sheet_table(data, title, locale, header_map, book.epoch.year == 1904)


def _check_package(path: Path, locale: str) -> None:
    """A workbook is a ZIP: refuse one that would inflate beyond the archive limits."""

    def refuse(zh: str, en: str) -> FileRefused:
        return FileRefused(Problem(path.name, None, None, en if language(locale) == "en" else zh))

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRefused(
            Problem(path.name, None, None, message("not_excel", locale, file=path.name))
        ) from exc
    check_members(infos, refuse)


def _read_calamine(path: Path, sheet: str | None, locale: str, header_map: HeaderMap) -> RawTable:
    """An old ``.xls`` or an OpenDocument ``.ods`` through calamine (a maintained Rust reader):
    values as the file caches them, merged ranges as in XLSX; no one has to re-save the file.
    A password-protected workbook (also an OLE file) is refused."""
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # damaged, encrypted or not a workbook at all
        key = "locked_excel" if path.suffix.lower() != ".ods" else "not_excel"
        raise FileRefused(
            Problem(path.name, None, None, message(key, locale, file=path.name))
        ) from exc
    names = book.sheet_names
    title = sheet if sheet is not None else (names[0] if names else path.name)
    if title not in names:
        quote = "“{}”" if language(locale) == "zh" else '"{}"'
        listed = join([quote.format(n) for n in names], locale)
        reason = message("unknown_sheet", locale, sheet=title, sheets=listed)
        raise FileRefused(Problem(title, None, None, reason))
    cells = book.get_sheet_by_name(title)
    start_row, start_col = cells.start or (0, 0)
    rows = [
        (start_row + i + 1, [None] * start_col + [None if v == "" else v for v in values])
        for i, values in enumerate(cells.to_python(skip_empty_area=False))
    ]
    merges = [
        (c0 + 1, r0 + 1, c1 + 1, r1 + 1) for (r0, c0), (r1, c1) in cells.merged_cell_ranges or []
    ]
    return _sheet_table(_SheetData(rows, merges, []), title, locale, header_map, False)


def _open_workbook(source: Any) -> _Workbook:
    """The package, workbook and styles through openpyxl (a file object: any extension)."""
    reader = ExcelReader(source, read_only=True, data_only=True)
    try:
        reader.read_manifest()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        strings: list[str] = []
        part = reader.package.find(SHARED_STRINGS)
        if part is not None:
            with reader.archive.open(part.PartName[1:]) as src:
                strings = _shared_strings(src)
        sheets = [
            (entry.name, rel.target, rel.Type.endswith("/worksheet"))
            for entry, rel in reader.parser.find_sheets()
        ]
    except BaseException:
        reader.archive.close()
        raise
    workbook = reader.wb
    return _Workbook(
        archive=reader.archive,
        sheets=sheets,
        strings=strings,
        date_styles=frozenset(getattr(workbook, "_date_formats", ())),
        timedelta_styles=frozenset(getattr(workbook, "_timedelta_formats", ())),
        epoch=workbook.epoch,
    )


def _pick_sheet(book: _Workbook, sheet: str | None, path: Path, locale: str) -> tuple[str, str]:
    """(title, zip part) of the named sheet, else of the first worksheet; FileRefused if none."""
    names = [name for name, _, _ in book.sheets]
    if sheet is not None:
        found = [(name, part) for name, part, is_sheet in book.sheets if name == sheet]
        if not found:
            quote = "“{}”" if language(locale) == "zh" else '"{}"'
            listed = join([quote.format(n) for n in names], locale)
            reason = message("unknown_sheet", locale, sheet=sheet, sheets=listed)
            raise FileRefused(Problem(sheet, None, None, reason))
        name, part = found[0]
        if not dict((n, w) for n, _, w in book.sheets)[name]:  # a chart sheet: no cells
            raise FileRefused(Problem(name, None, None, message("empty", locale, sheet=name)))
        return name, part
    worksheets = [(name, part) for name, part, is_sheet in book.sheets if is_sheet]
    if not worksheets:
        title = names[0] if names else path.name
        raise FileRefused(Problem(title, None, None, message("empty", locale, sheet=title)))
    return worksheets[0]


def _shared_strings(source: Any) -> list[str]:
    """The shared string table, rich text flattened, phonetic runs (rPh) left out."""
    strings: list[str] = []
    parts: list[str] = []
    buffer: list[str] | None = None
    phonetic = False

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal buffer, phonetic
        tag = _TAGS.get(name)
        if tag == "t" and not phonetic:
            buffer = []
        elif tag == "si":
            parts.clear()
        elif tag == "rPh":
            phonetic = True

    def end(name: str) -> None:
        nonlocal buffer, phonetic
        tag = _TAGS.get(name)
        if tag == "t" and buffer is not None:
            parts.append("".join(buffer))
            buffer = None
        elif tag == "si":
            strings.append("".join(parts).replace("x005F_", ""))  # as openpyxl does
        elif tag == "rPh":
            phonetic = False

    def text(data: str) -> None:
        if buffer is not None:
            buffer.append(data)

    _parse(source, start, end, text)
    return strings


def _stream_sheet(book: _Workbook, part: str) -> _SheetData:
    """Every row's cached values, the merged ranges and the formulas without a value, in one
    pass over the sheet's XML (what openpyxl's read-only cells give, at a third of the cost)."""
    rows: list[tuple[int, list[Any]]] = []
    merges: list[tuple[int, int, int, int]] = []
    no_value: list[tuple[int, int]] = []
    strings, dates, durations = book.strings, book.date_styles, book.timedelta_styles
    epoch = book.epoch
    columns: dict[str, int] = {}
    row_number = 0
    values: list[Any] = []
    column = 0
    kind: str | None = None
    style: str | None = None
    formula = False
    text: str | None = None
    inline: list[str] | None = None
    buffer: list[str] | None = None
    phonetic = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row_number, values, column, kind, style, formula, text, inline, buffer
        nonlocal phonetic
        tag = _TAGS.get(name)
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                index = columns.get(letters)
                if index is None:
                    index = columns[letters] = column_index_from_string(letters)
                column = index
            else:
                column += 1
            if column > MAX_COLUMNS:
                raise _TooWide
            kind, style = attrs.get("t"), attrs.get("s")
            formula, text, inline = False, None, None
        elif tag == "v":
            buffer = []
        elif tag == "row":
            r = attrs.get("r")
            row_number = int(r) if r else row_number + 1
            values, column = [], 0
        elif tag == "f":
            formula = True
        elif tag == "is":
            inline = []
        elif tag == "t" and inline is not None and not phonetic:
            buffer = []
        elif tag == "rPh":
            phonetic = True
        elif tag == "mergeCell":
            try:
                bounds = range_boundaries(attrs.get("ref", ""))
            except (ValueError, TypeError):
                return
            if None not in bounds:
                merges.append(bounds)  # type: ignore[arg-type]

    def end(name: str) -> None:
        nonlocal text, buffer, phonetic
        tag = _TAGS.get(name)
        if tag == "c":
            value: Any = None
            if kind == "inlineStr":
                value = "".join(inline) if inline else None
            elif text:
                if kind is None or kind == "n":
                    value = (
                        float(text) if ("." in text or "e" in text or "E" in text) else int(text)
                    )
                    if style and style != "0" and int(style) in dates:
                        try:
                            value = from_excel(value, epoch, timedelta=int(style) in durations)
                        except (OverflowError, ValueError):
                            value = "#VALUE!"  # as openpyxl does
                elif kind == "s":
                    value = strings[int(text)]
                elif kind == "b":
                    value = bool(int(text))
                elif kind == "d":
                    value = from_ISO8601(text)
                else:  # "str" (a formula's text), "e" (an error such as #DIV/0!)
                    value = text
            elif formula:
                no_value.append((row_number, column - 1))
            if value is not None:
                if len(values) < column:
                    values.extend([None] * (column - len(values)))
                values[column - 1] = value
        elif tag == "v":
            text = "".join(buffer) if buffer else ""
            buffer = None
        elif tag == "row":
            if values:
                rows.append((row_number, values))
        elif tag == "t" and buffer is not None:
            if inline is not None:
                inline.append("".join(buffer))
            buffer = None
        elif tag == "rPh":
            phonetic = False

    def characters(data: str) -> None:
        if buffer is not None:
            buffer.append(data)

    with book.archive.open(part) as source:
        _parse(source, start, end, characters)
    return _SheetData(rows, sorted(merges), no_value)


class _TooWide(Exception):
    """A cell beyond ``MAX_COLUMNS``: every row's list would reach it."""


def _parse(source: Any, start: Any, end: Any, characters: Any) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.ParseFile(source)


def _sheet_table(
    data: _SheetData, title: str, locale: str, header_map: HeaderMap, date1904: bool
) -> RawTable:
    reading = _Reading(title, locale, header_map)
    if not any(_filled(values) for _, values in data.rows) and not data.no_value:
        raise reading.refuse("empty", sheet=title)
    first = [(n, v) for n, v in data.rows if n <= HEADER_SCAN_ROWS]
    header_row, texts = reading.find_header(first)
    across = [m for m in data.merges if m[1] <= header_row <= m[3]]
    below_header = next((v for n, v in data.rows if n == header_row + 1), [])
    joined = _joined_header(texts, [_header_text(v) for v in below_header], across)
    if (
        across
        and _two_rows(across, header_row)
        and _known(joined, header_map) > _known(texts, header_map)
    ):
        texts, header_row = joined, header_row + 1
    elif across:
        cells = join([_range_text(m) for m in across], locale)
        raise reading.refuse("merged_header", row=header_row, cells=cells)

    rows = [(n, v) for n, v in data.rows if n > header_row]
    below = [m for m in data.merges if m[1] > header_row and m[0] == m[2] and m[3] > m[1]]
    if below:
        rows = _fill_merged(rows, below)
    keep = {row for row, _ in data.no_value if row > header_row}
    columns, table_rows = _rows_to_dicts(reading, header_row, texts, rows, keep)
    by_index = dict(columns)
    mapped = map_headers(by_index.values(), header_map)
    for min_col, min_row, _, max_row in below:
        header = by_index.get(min_col - 1)
        if header in mapped:
            cells = _range_text((min_col, min_row, min_col, max_row))
            reading.warn(min_row, header, "merged_data", cells=cells)
    for row, column in data.no_value:
        header = by_index.get(column)
        if row > header_row and header in mapped:
            reason = message("formula_no_value", locale)
            reading.problems.append(Problem(title, row, header, reason, "error"))
    reading.problems.sort(key=lambda p: p.row or 0)
    return RawTable(
        sheet=title,
        headers=[header for _, header in columns],
        rows=table_rows,
        header_row=header_row,
        problems=reading.problems,
        date1904=date1904,
    )


def _known(texts: list[str], header_map: HeaderMap) -> int:
    return len({m.field for t in texts if t and (m := header_map.match(t))})


def _two_rows(merges: list[tuple[int, int, int, int]], row: int) -> bool:
    """Merges that make a two-row header: each within the header row (a group heading over
    its columns) or spanning it and the row below (a column without sub-headings)."""
    return all(m[1] == row and m[3] in (row, row + 1) for m in merges)


def _joined_header(
    upper: list[str], lower: list[str], merges: list[tuple[int, int, int, int]]
) -> list[str]:
    """One header per column from a two-row header: the sub-heading where there is one, else
    the heading above; a money unit of a group heading other than the default 万元
    (``投资情况（亿元）``) goes to its sub-headings that name none."""
    width = max(len(upper), len(lower), max((m[2] for m in merges), default=0))
    upper, lower = upper + [""] * (width - len(upper)), lower + [""] * (width - len(lower))
    group = list(upper)
    for min_col, _, max_col, _ in merges:
        for col in range(min_col, max_col + 1):
            group[col - 1] = upper[min_col - 1]
    texts = []
    for heading, sub in zip(group, lower, strict=True):
        unit = normalise_header(heading)[1]
        if sub and unit and unit != "万元" and normalise_header(sub)[1] is None:
            sub = f"{sub}（{unit}）"
        texts.append(sub or heading)
    return texts


def _fill_merged(
    rows: list[tuple[int, list[Any]]], merges: list[tuple[int, int, int, int]]
) -> list[tuple[int, list[Any]]]:
    """Merged ranges of one column spanning rows: every row gets the first cell's value. A
    range is filled down to the last row with data, no further (a merge down to row 1048576
    of an otherwise short sheet is formatting, not a million rows)."""
    index = {number: i for i, (number, _) in enumerate(rows)}
    last = max(index, default=0)
    for min_col, min_row, _, max_row in merges:
        top = index.get(min_row)
        if top is None or min_col > len(rows[top][1]):
            continue
        max_row = min(max_row, last)
        value = rows[top][1][min_col - 1]
        for number in range(min_row + 1, max_row + 1):
            i = index.get(number)
            if i is None:
                rows.append((number, []))
                i = index[number] = len(rows) - 1
            values = rows[i][1]
            if len(values) < min_col:
                values.extend([None] * (min_col - len(values)))
            values[min_col - 1] = value
    rows.sort(key=lambda row: row[0])
    return rows


def _range_text(bounds: tuple[int, int, int, int]) -> str:
    min_col, min_row, max_col, max_row = bounds
    return f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"


# --- CSV ---------------------------------------------------------------------------------------


def _read_csv(path: Path, locale: str, header_map: HeaderMap) -> RawTable:
    reading = _Reading(path.name, locale, header_map)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise reading.refuse("unreadable", file=path.name) from exc
    if not data.strip():
        raise reading.refuse("empty", sheet=path.name)
    text = decode_text(data)
    if text is None:
        raise reading.refuse("encoding")
    delimiter = sniff_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise reading.refuse("unreadable", file=path.name) from exc
    numbered = list(enumerate(records, start=1))
    if not any(_filled(values) for _, values in numbered):
        raise reading.refuse("empty", sheet=path.name)
    header_row, texts = reading.find_header(numbered[:HEADER_SCAN_ROWS])
    columns, rows = _rows_to_dicts(reading, header_row, texts, numbered[header_row:])
    headers = [header for _, header in columns]
    return RawTable(path.name, headers, rows, header_row, reading.problems)


def decode_text(data: bytes) -> str | None:
    """The text of a CSV: UTF-8, UTF-8 with BOM, then GB18030 (a superset of GBK), strictly.

    A UTF-16 byte-order mark (Excel's "Unicode text") is honoured; otherwise a NUL byte means
    UTF-16 without a BOM or a binary file, neither of which is a CSV we can read.
    """
    if data.startswith(codecs.BOM_UTF8):
        candidates: tuple[tuple[bytes, str], ...] = ((data[3:], "utf-8"),)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ((data, "utf-16"),)
    elif b"\x00" in data:
        return None
    else:
        candidates = ((data, "utf-8"), (data, "gb18030"))
    for raw, encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    return None


def sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon: the one most used in the first lines (comma on a tie)."""
    lines = [line for line in text[:65_536].splitlines() if line.strip()][:HEADER_SCAN_ROWS]
    counts = {d: sum(line.count(d) for line in lines) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","

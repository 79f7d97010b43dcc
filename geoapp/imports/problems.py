"""What is wrong with an imported file, where, and why — in the user's language.

A ``Problem`` names the sheet, the row as the user sees it in Excel (the header row of a sheet
without a title is row 1), the column by its header text in the file, and a reason already
written in ``zh`` or ``en``. Reasons come from the templates in ``MESSAGES`` so that both
languages stay side by side and a test can ask for the exact text.

``FileRefused`` is raised when the whole file cannot be imported (corrupt, empty, no header,
merged header cells, undetectable encoding, missing required columns); it carries one Problem.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]

MESSAGES: dict[str, dict[str, str]] = {
    # --- the whole file ---------------------------------------------------------------------
    "unreadable": {
        "zh": "无法读取文件“{file}”",
        "en": 'The file "{file}" cannot be read',
    },
    "not_excel": {
        "zh": "文件“{file}”不是有效的 Excel 工作簿（.xlsx），可能已损坏",
        "en": 'The file "{file}" is not a valid Excel workbook (.xlsx); it may be damaged',
    },
    "locked_excel": {
        "zh": "文件“{file}”设置了打开密码或已损坏，无法读取；"
        "请在 Excel 中取消密码后另存为 .xlsx 或“CSV UTF-8”",
        "en": 'The file "{file}" is password-protected or damaged; remove the password and '
        'save it from Excel as .xlsx or "CSV UTF-8"',
    },
    "unknown_sheet": {
        "zh": "工作簿中没有名为“{sheet}”的工作表；现有工作表：{sheets}",
        "en": 'The workbook has no sheet named "{sheet}"; its sheets are: {sheets}',
    },
    "empty": {
        "zh": "“{sheet}”是空的，没有可导入的内容",
        "en": '"{sheet}" is empty: there is nothing to import',
    },
    "too_wide": {
        "zh": "“{sheet}”在 {column} 列之后还有单元格（最多读取 {count} 列）：请删除这些单元格，"
        "或把数据移到左侧",
        "en": '"{sheet}" has cells beyond column {column} (at most {count} columns are read): '
        "delete them, or move the data to the left",
    },
    "no_header": {
        "zh": "前 {rows} 行中找不到表头：表头行至少要有 3 个可识别的列名，例如 {examples}",
        "en": "No header row in the first {rows} rows: the header row needs at least 3 known "
        "column names, such as {examples}",
    },
    "merged_header": {
        "zh": "表头行（第 {row} 行）有合并单元格 {cells}；请取消合并，让每一列都有自己的列名",
        "en": "The header row (row {row}) has merged cells {cells}; unmerge them so that every "
        "column has its own name",
    },
    "encoding": {
        "zh": "无法识别文件编码（已尝试 UTF-8、带 BOM 的 UTF-8 和 GB18030/GBK）；"
        "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
        "en": "The file's text encoding is not recognised (tried UTF-8, UTF-8 with BOM and "
        'GB18030/GBK); save it from Excel as "CSV UTF-8 (comma delimited)"',
    },
    "missing_columns": {
        "zh": "缺少必需的列：{columns}",
        "en": "Required columns are missing: {columns}",
    },
    "missing_code_or_name": {
        "zh": "表中既没有项目代码列也没有项目名称列，至少要有其中一列：{columns}",
        "en": "The sheet has neither a project code nor a project name column; it needs one "
        "of them: {columns}",
    },
    # --- a column ---------------------------------------------------------------------------
    "unknown_column": {
        "zh": "无法识别的列“{column}”，该列已忽略",
        "en": 'Unknown column "{column}"; it is ignored',
    },
    "duplicate_column": {
        "zh": "列名“{column}”出现了不止一次，只使用第一列（{letter} 列）",
        "en": 'The column name "{column}" appears more than once; only the first one '
        "(column {letter}) is used",
    },
    "same_field": {
        "zh": "列“{column}”与列“{other}”都表示“{field}”，只使用“{other}”",
        "en": 'Columns "{column}" and "{other}" both mean "{field}"; only "{other}" is used',
    },
    "unnamed_column": {
        "zh": "{letter} 列有数据但没有列名，已忽略",
        "en": "Column {letter} holds data but has no name; it is ignored",
    },
    "merged_data": {
        "zh": "合并单元格 {cells} 只有首格有值，已把首格的值用于合并区域的每一行",
        "en": "Merged cells {cells} hold a value only in their first cell; that value is used "
        "for every row they span",
    },
    # --- a cell -----------------------------------------------------------------------------
    "formula_no_value": {
        "zh": "公式没有已计算的结果（文件可能由程序生成、未在 Excel 中保存过）；"
        "请在 Excel 中打开并保存后重新导入",
        "en": "The formula has no calculated value (the file was probably written by a program "
        "and never saved in Excel); open and save it in Excel, then import it again",
    },
    "excel_error": {
        "zh": "单元格是 Excel 错误值 {value}（公式出错）",
        "en": "The cell holds the Excel error {value} (a formula failed)",
    },
    "required": {
        "zh": "“{column}”不能为空",
        "en": '"{column}" must not be empty',
    },
    "enum_unknown": {
        "zh": "“{value}”不是有效的“{column}”；可填：{choices}",
        "en": '"{value}" is not a valid "{column}"; use one of: {choices}',
    },
    "number_invalid": {
        "zh": "“{value}”不是有效的数字",
        "en": '"{value}" is not a valid number',
    },
    "money_invalid": {
        "zh": "“{value}”不是有效的金额（示例：1234.5、1.2亿、3000万）",
        "en": '"{value}" is not a valid amount (examples: 1234.5, 1.2亿, 3000万)',
    },
    "money_negative": {
        "zh": "金额不能为负数：{value}",
        "en": "An amount cannot be negative: {value}",
    },
    "date_invalid": {
        "zh": "“{value}”不是有效的日期（示例：2023-04-01、2023/4/1、2023年4月1日、2023年4月）",
        "en": '"{value}" is not a valid date (examples: 2023-04-01, 2023/4/1, 2023年4月1日, '
        "2023年4月)",
    },
    "date_ambiguous": {
        "zh": "“{value}”有歧义：可能是 {year} 年 1 月，也可能是 10 月；"
        "请写成 {year}-01 或 {year}-10",
        "en": '"{value}" is ambiguous: January or October {year}? Write {year}-01 or {year}-10',
    },
    "duplicate_id": {
        "zh": "项目代码“{value}”与第 {first} 行重复",
        "en": 'The project code "{value}" is also on row {first}',
    },
    "no_code_no_name": {
        "zh": "这一行既没有项目代码也没有项目名称，无法对应到项目",
        "en": "This row has neither a project code nor a name to match it by",
    },
    "coord_invalid": {
        "zh": "“{value}”不是有效的坐标（示例：106.855 或 106°51′18″）",
        "en": '"{value}" is not a valid coordinate (examples: 106.855 or 106°51′18″)',
    },
    "lon_range": {
        "zh": "经度 {value} 不在中国范围内（东经 73–136 度）",
        "en": "Longitude {value} is outside China (73–136° E)",
    },
    "lat_range": {
        "zh": "纬度 {value} 不在中国范围内（北纬 3–54 度）",
        "en": "Latitude {value} is outside China (3–54° N)",
    },
    "swapped": {
        "zh": "；经度和纬度可能填反了",
        "en": "; longitude and latitude may be swapped",
    },
    "coord_half": {
        "zh": "只填了“{present}”，缺少“{missing}”；该项目将按建设地点大致定位",
        "en": '"{present}" is given without "{missing}"; the project will be placed '
        "approximately from its location",
    },
    "county_code": {
        "zh": "“{value}”不是 6 位行政区划代码（例如 610327）",
        "en": '"{value}" is not a 6-digit administrative code (such as 610327)',
    },
    "total_row": {
        "zh": "合计行，已跳过",
        "en": "A totals row; skipped",
    },
    "group_row": {
        "zh": "分组标题行“{value}”，已跳过",
        "en": 'A group heading row ("{value}"); skipped',
    },
    "completed_exceeds": {
        "zh": "累计完成投资 {completed} 万元大于总投资 {total} 万元",
        "en": "Completed investment {completed} (10k CNY) exceeds the total {total}",
    },
    "end_before_start": {
        "zh": "计划竣工时间 {end} 早于计划开工时间 {start}",
        "en": "Planned completion {end} is before the planned start {start}",
    },
}

_LIST_SEPARATOR = {"zh": "、", "en": ", "}


def language(locale: str | None) -> str:
    """``en`` for any English locale (``en``, ``en_GB``), ``zh`` otherwise."""
    return "en" if locale and locale.lower().startswith("en") else "zh"


def message(key: str, locale: str | None, **params: object) -> str:
    """The template ``key`` in the locale's language, filled with ``params``."""
    return MESSAGES[key][language(locale)].format(**params)


def join(items: list[str] | tuple[str, ...], locale: str | None) -> str:
    """A list for a message: ``a、b、c`` in Chinese, ``a, b, c`` in English."""
    return _LIST_SEPARATOR[language(locale)].join(items)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an imported file; ``row`` and ``column`` are None for the whole file."""

    sheet: str
    row: int | None
    column: str | None
    reason: str
    severity: Severity = "error"

    def where(self, locale: str | None) -> str:
        """Sheet, row and column in words: ``工作表“项目”第 5 行“总投资”列``."""
        if language(locale) == "en":
            parts = [f'sheet "{self.sheet}"']
            if self.row is not None:
                parts.append(f"row {self.row}")
            if self.column is not None:
                parts.append(f'column "{self.column}"')
            return ", ".join(parts)
        text = f"工作表“{self.sheet}”"
        if self.row is not None:
            text += f"第 {self.row} 行"
        if self.column is not None:
            text += f"“{self.column}”列"
        return text

    def describe(self, locale: str | None) -> str:
        """Place and reason in one line, for a log or a plain-text report."""
        separator = ": " if language(locale) == "en" else "："
        return f"{self.where(locale)}{separator}{self.reason}"

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class FileRefused(Exception):
    """The whole file cannot be imported; ``problem`` says why, in the user's language."""

    def __init__(self, problem: Problem):
        super().__init__(problem.reason)
        self.problem = problem

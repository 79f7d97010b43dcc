"""Rows of text laid out in columns, as a newspaper sets them: the legend, the figures, the
red/yellow list and the index table of a wall map fill one column after the other.

Pure arithmetic on page points (y up), so how many index rows fit is known before anything
is drawn. A table that runs into a new column repeats its header there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

LINE = 1.45  # row height in body type sizes


@dataclass(frozen=True)
class Cell:
    at: float  # ems from the column's left edge; negative: from its right edge
    text: str
    align: str = "left"  # left | right
    width: float | None = None  # ems the text may take (cut with "…" beyond)
    color: str | None = None


@dataclass(frozen=True)
class Swatch:
    """A key drawn in front of a legend row: a marker (fill, ring) or a line."""

    kind: str  # marker | line | area
    fill: str = "none"
    edge: str = "#455a64"
    dash: str | None = None


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    size: float = 1.0  # × body type
    swatches: tuple[tuple[float, Swatch], ...] = ()  # (ems from the left, as Cell.at)
    rule: bool = False  # a line under it (a table's header)
    space: float = 0.0  # extra room above it, in rows

    def height(self, body: float) -> float:
        return (1 + self.space) * LINE * self.size * body


@dataclass
class Block:
    rows: list[Row]
    header: Row | None = None  # repeated at the top of every further column
    tag: str = ""


@dataclass(frozen=True)
class Column:
    x: float
    top: float
    width: float
    bottom: float


@dataclass(frozen=True)
class Placed:
    row: Row
    x: float
    top: float
    width: float
    tag: str = ""


@dataclass
class Flow:
    placed: list[Placed] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # tag → body rows placed


def lay_out(blocks: Sequence[Block], columns: Sequence[Column], body: float) -> Flow:
    """Every row that fits, column after column; what does not fit is left out."""
    flow = Flow()
    col, y = 0, columns[0].top if columns else 0.0
    for block in blocks:
        flow.counts[block.tag] = 0
        for number, row in enumerate(block.rows):
            while col < len(columns) and y - row.height(body) < columns[col].bottom:
                col += 1
                y = columns[col].top if col < len(columns) else 0.0
                if col < len(columns) and block.header is not None and number > 0:
                    y = _put(flow, block.header, columns[col], y, body, block.tag)
            if col >= len(columns):
                return flow
            y = _put(flow, row, columns[col], y, body, block.tag)
            flow.counts[block.tag] += 1
    return flow


def _put(flow: Flow, row: Row, column: Column, y: float, body: float, tag: str) -> float:
    flow.placed.append(Placed(row, column.x, y - row.space * LINE * body, column.width, tag))
    return y - row.height(body)


def text_ems(text: str) -> float:
    """Width of a text in ems: Chinese characters are square, Latin letters and digits about
    half as wide (WenQuanYi Micro Hei; a little generous, so nothing runs over)."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.6 for ch in text)


def fit(text: str, ems: float | None) -> str:
    """``text`` cut to ``ems`` with an ellipsis when longer."""
    if ems is None or text_ems(text) <= ems:
        return text
    kept = ""
    for ch in text:
        if text_ems(kept + ch) > ems - 1:
            break
        kept += ch
    return kept + "…"


CLOSING = "）)，。、；：！？」』”’"  # never the first character of a line (禁则)


def wrap(text: str, ems: float, lines: int = 3) -> list[str]:
    """``text`` in lines of at most ``ems``: broken at a space in the line's second half
    (between Latin words), else anywhere (Chinese), never before closing punctuation;
    beyond ``lines`` the last is cut with an ellipsis."""
    found, line = [], ""
    for ch in text:
        if line and ch not in CLOSING and text_ems(line + ch) > ems:
            cut = line.rfind(" ")
            if ch != " " and cut > 0 and text_ems(line[:cut]) >= ems / 2:
                found.append(line[:cut])
                line = line[cut + 1 :]
            else:
                found.append(line.rstrip())
                line = ""
        if line or ch != " ":
            line += ch
    found.append(line)
    if len(found) > lines:
        found = [*found[: lines - 1], fit(found[lines - 1] + "…", ems)]
    return found

"""The words and figures beside a wall map, as rows for ``flow``: the legend (one row per
status and warning colour with its count, from the layer's declared style), the figures of
``geoapp.rates``, the red/yellow list and the index table (number → project).

Every text is in the request's language; names are data and stay as they are (cut to fit).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from geoapp.formatting import money
from geoapp.layers import LayerDef
from geoapp.outputs.flow import Block, Cell, Row, Swatch
from geoapp.rates import Rates

KEY = 1.8  # ems taken by a legend key before its label
NUMBER, STATUS, MONEY, WARNING = 3.0, 4.6, 7.6, 6.4  # index table column widths (ems)


@dataclass(frozen=True)
class Entry:
    """One numbered project of the index table."""

    number: int
    name: str
    status: str | None
    total_investment: float | None
    warning: str | None


@dataclass(frozen=True)
class Warned:
    """One project of the red/yellow list."""

    number: int | None  # its number on the map, if it has one
    name: str
    warning: str
    reason: str


def heading(text: str, space: float = 0.6) -> Row:
    return Row((Cell(0, text),), size=1.25, space=space)


def legend_block(
    projects: LayerDef,
    outlines: list[LayerDef],
    counts: dict[str, dict[str, int]],
    width: float,
    locale: str,
) -> Block:
    """Two halves of a ``width``-ems column: status fills with their counts on the left;
    warning rings with theirs, then the outlines drawn beneath, on the right. Colours and
    labels are the layer's declaration."""
    half = width / 2
    left = _keys(projects, projects.style.fill, counts, locale)
    right = _keys(projects, projects.style.stroke, counts, locale)
    right += [(lyr.title(locale), "", outline_swatch(lyr)) for lyr in outlines]
    titles = [projects.fields[n].label(locale) if n else "" for n in _styled(projects)]
    rows = [
        heading(_("Legend"), space=0),
        Row((Cell(0, titles[0]), Cell(half, titles[1])), space=0.2),
    ]
    for i in range(max(len(left), len(right))):
        cells, swatches = [], []
        for at, keys in ((0.0, left), (half, right)):
            if i < len(keys):
                label, count, swatch = keys[i]
                cells += [Cell(at + KEY, label), Cell(at + half - 1.2, count, "right")]
                swatches.append((at, swatch))
        rows.append(Row(tuple(cells), swatches=tuple(swatches)))
    rows.append(Row((Cell(0, _("Numbers on the map: see the index.")),), size=0.85))
    return Block(rows, tag="legend")


def _styled(layer: LayerDef) -> tuple[str | None, str | None]:
    return layer.style.fill, layer.style.stroke


def _keys(layer: LayerDef, name: str | None, counts, locale: str) -> list[tuple[str, str, Swatch]]:
    """(label, count, key) of each declared value of the colouring field ``name``."""
    if not name:
        return []
    filled = name == layer.style.fill
    keys = []
    for value in layer.fields[name].values:
        colour = value.color or layer.style.fill_color
        swatch = Swatch("marker", fill=colour if filled else "white", edge=colour)
        keys.append((value.label(locale), str(counts.get(name, {}).get(value.key, 0)), swatch))
    return keys


def outline_swatch(layer: LayerDef) -> Swatch:
    style = layer.style
    edge = style.color
    if style.stroke:  # coloured by a field: the first declared colour
        edge = next((v.color for v in layer.fields[style.stroke].values if v.color), edge)
    if style.fill_opacity > 0:
        return Swatch("area", fill=style.fill_color, edge=edge, dash=style.dash)
    return Swatch("line", edge=edge, dash=style.dash)


def stats_block(figures: Rates, projects: LayerDef, locale: str) -> Block:
    """Counts, money and rates of the filtered projects, all from ``geoapp.rates``."""
    fields = projects.fields
    total = figures.projects
    rows = [
        heading(_("Figures as of %(date)s", date=long_date(figures.as_of, locale))),
        _pair(
            _("Projects"),
            _(
                "%(count)s (new %(new)s, continuing %(continuing)s)",
                count=total.count,
                new=figures.new.count,
                continuing=figures.continuing.count,
            ),
        ),
        _pair(fields["total_investment"].label(locale), money(total.total_investment)),
        _pair(fields["annual_plan"].label(locale), money(total.annual_plan)),
        _pair(fields["completed"].label(locale), money(figures.completed)),
        _pair(
            _("Start rate"),
            _ratio(figures.start_rate, figures.started_of_planned, figures.planned_to_start),
        ),
        _pair(
            _("Start-or-resume rate"),
            _ratio(
                figures.start_resume_rate,
                figures.new_started.count + figures.resumed.count,
                total.count,
            ),
        ),
        _pair(
            _("New-project start rate"),
            _ratio(figures.new_start_rate, figures.new_started.count, figures.new.count),
        ),
        _pair(
            _("Continuing-project resume rate"),
            _ratio(figures.resume_rate, figures.resumed.count, figures.continuing.count),
        ),
        _pair(_("Investment completion"), percent(figures.investment_rate)),
        _pair(_("Time progress"), percent(figures.time_progress)),
    ]
    return Block(rows, tag="stats")


def _pair(label: str, value: str) -> Row:
    return Row((Cell(0, label, width=13), Cell(-0.2, value, "right")))


def _ratio(share: float | None, part: int, whole: int) -> str:
    return f"{percent(share)} ({part}/{whole})"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.1f}%"


def long_date(day, locale: str) -> str:
    """2026年6月30日 / 30 June 2026."""
    if locale == "en":
        return day.strftime("%-d %B %Y")
    return f"{day.year}年{day.month}月{day.day}日"


def lists_block(warned: list[Warned], more: int, projects: LayerDef, locale: str) -> Block:
    """The red and yellow projects with their reasons (``more``: those left out for room)."""
    rows = [heading(_("Red and yellow list"))]
    for item in warned:
        label, colour = _value(projects, projects.style.stroke, item.warning, locale)
        cells = (
            Cell(NUMBER + 1.2, str(item.number or "—"), "right"),
            Cell(NUMBER + 1.6, item.name, width=12),
            Cell(NUMBER + 14.2, item.reason or label),
        )
        rows.append(Row(cells, swatches=((0.0, _ring(colour)),)))
    if not warned:
        rows.append(Row((Cell(0, _("No red or yellow warnings.")),)))
    if more:
        rows.append(Row((Cell(0, _("… and %(n)s more.", n=more)),), size=0.85))
    return Block(rows, tag="lists")


def _ring(colour: str | None) -> Swatch:
    return Swatch("marker", fill="white", edge=colour or "#9e9e9e")


def index_header(projects: LayerDef, locale: str) -> Row:
    fields = projects.fields
    unit = fields["total_investment"].unit
    money_label = fields["total_investment"].label(locale) + (
        f" ({unit(locale)})" if locale == "en" else f"（{unit(locale)}）"
    )
    return Row(
        (
            Cell(NUMBER - 0.4, _("No."), "right"),
            Cell(NUMBER, fields["name"].label(locale)),
            Cell(-(MONEY + WARNING + STATUS), _status_label(projects, locale), width=STATUS),
            Cell(-WARNING - 0.4, money_label, "right", width=MONEY + STATUS),
            Cell(-WARNING + 0.2, _warning_label(projects, locale), width=WARNING),
        ),
        rule=True,
    )


def index_block(entries: list[Entry], width_ems: float, projects: LayerDef, locale: str) -> Block:
    """Number → name, status, total investment, warning; the header repeats per column."""
    header = index_header(projects, locale)
    name_width = width_ems - NUMBER - STATUS - MONEY - WARNING - 0.6
    rows = [heading(_("Index of numbered projects")), header]
    rows += [_index_row(e, name_width, projects, locale) for e in entries]
    return Block(rows, header=header, tag="index")


def _index_row(entry: Entry, name_width: float, projects: LayerDef, locale: str) -> Row:
    status = _value(projects, projects.style.fill, entry.status, locale)
    warning = _value(projects, projects.style.stroke, entry.warning, locale)
    amount = "—" if entry.total_investment is None else f"{entry.total_investment:,.0f}"
    return Row(
        (
            Cell(NUMBER - 0.4, str(entry.number), "right"),
            Cell(NUMBER, entry.name, width=name_width),
            Cell(-(MONEY + WARNING + STATUS), status[0], width=STATUS),
            Cell(-WARNING - 0.4, amount, "right"),
            Cell(-WARNING + KEY, warning[0], width=WARNING - KEY),
        ),
        swatches=((-WARNING + 0.2, _ring(warning[1])),),
    )


def _value(
    layer: LayerDef, name: str | None, key: str | None, locale: str
) -> tuple[str, str | None]:
    """(label, colour) of an enum value of the layer's field ``name``."""
    field = layer.fields.get(name) if name else None
    value = field.value(key) if field and key else None
    if value is None:
        return (key or "—"), None
    return value.label(locale), value.color


def _status_label(layer: LayerDef, locale: str) -> str:
    return layer.fields[layer.style.fill].label(locale) if layer.style.fill else ""


def _warning_label(layer: LayerDef, locale: str) -> str:
    return layer.fields[layer.style.stroke].label(locale) if layer.style.stroke else ""

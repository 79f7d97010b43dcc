"""Numbers as people read them: money in 万元/亿元, areas in 亩, with the locale's words."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

WAN_PER_YI = 10_000  # 1 亿元 = 10,000 万元


def money(wan: float | None) -> str:
    """A sum given in 万元 as text: 亿元 from 1 亿 upwards, else 万元."""
    if wan is None:
        return "—"
    if abs(wan) >= WAN_PER_YI:
        return _("%(value)s × 100M CNY", value=f"{wan / WAN_PER_YI:,.2f}")
    return _("%(value)s × 10k CNY", value=f"{wan:,.0f}")


def percent(share: float | None) -> str:
    """A rate (0–1) as the reports write it: 78.2%."""
    return "—" if share is None else f"{100 * share:.1f}%"


def list_index(values: list, value: object) -> int:
    """Position of a value in a declared order (enum values sort as declared, not A–Z)."""
    return values.index(value) if value in values else len(values)


def register_filters(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(list_index, "list_index")
